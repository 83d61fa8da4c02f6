"""How a transport reports a failed send: retry later, or give up on this notification now."""

from __future__ import annotations

__all__ = ["DeliveryError"]


class DeliveryError(Exception):
    """A send failed. ``permanent`` means retrying cannot help (a 4xx, a refused recipient).

    The message is stored as the row's ``last_error`` and logged: it names the webhook or
    the SMTP reply, never a URL (webhook URLs may carry tokens), secret or password.
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
