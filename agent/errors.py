"""The agent's two failure kinds that end a command with a message (no heavy imports)."""

from __future__ import annotations

__all__ = ["AgentConfigError", "TransportError"]


class AgentConfigError(ValueError):
    """The agent's configuration cannot be used; the message names the setting."""


class TransportError(RuntimeError):
    """A request failed; ``status`` is the HTTP status (None when the server was not reached)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
