"""Agent settings: defaults, ``/etc/stocktake/agent.toml`` and ``STOCKTAKE_AGENT_*`` variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

__all__ = ["AgentConfig", "AgentConfigError", "DEFAULT_CONFIG_PATH", "load_agent_config"]

DEFAULT_CONFIG_PATH = "/etc/stocktake/agent.toml"
ENV_PREFIX = "STOCKTAKE_AGENT_"


class AgentConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AgentConfig:
    server_url: str = ""
    enroll_secret: str = ""
    enroll_secret_file: str = ""
    state_dir: str = "/var/lib/stocktake-agent"
    ca_bundle: str = ""
    timeout_s: int = 30
    # Spool bounds: reports kept on disk while the collector cannot be reached.
    spool_max_bytes: int = 64 * 1024 * 1024
    spool_max_reports: int = 1000
    # Time one delivery attempt may spend retrying before leaving the rest spooled.
    delivery_budget_s: int = 120
    # Schedule until the collector's check-in answer says otherwise.
    inventory_interval_s: int = 3600
    splay_s: int = 600
    checkin_interval_s: int = 900

    def secret(self) -> str:
        if self.enroll_secret:
            return self.enroll_secret
        if self.enroll_secret_file:
            try:
                return Path(self.enroll_secret_file).read_text().strip()
            except OSError as exc:
                raise AgentConfigError(f"cannot read enroll_secret_file {self.enroll_secret_file}: {exc.strerror}") from None
        raise AgentConfigError("no enrollment secret: set enroll_secret_file (or STOCKTAKE_AGENT_ENROLL_SECRET)")

    def validated(self) -> "AgentConfig":
        if self.server_url and not self.server_url.startswith(("https://", "http://")):
            raise AgentConfigError(f"server_url must start with https:// (or http:// explicitly), got {self.server_url!r}")
        for name in ("timeout_s", "spool_max_bytes", "spool_max_reports", "delivery_budget_s",
                     "inventory_interval_s", "checkin_interval_s"):
            if getattr(self, name) <= 0:
                raise AgentConfigError(f"{name} must be positive")
        if self.splay_s < 0:
            raise AgentConfigError("splay_s must be 0 or more")
        return self


def load_agent_config(path: str | None = None, environ: Mapping[str, str] | None = None) -> AgentConfig:
    environ = os.environ if environ is None else environ
    config = AgentConfig()
    known = {f.name: f for f in fields(AgentConfig)}
    values: dict[str, object] = {}
    explicit = path or environ.get("STOCKTAKE_AGENT_CONFIG")
    candidate = explicit or DEFAULT_CONFIG_PATH
    if Path(candidate).exists() or explicit:
        try:
            with open(candidate, "rb") as handle:
                values.update(tomllib.load(handle).get("agent", {}))
        except FileNotFoundError:
            raise AgentConfigError(f"config file not found: {candidate}") from None
        except tomllib.TOMLDecodeError as exc:
            raise AgentConfigError(f"{candidate} is not valid TOML: {exc}") from None
    for key, value in environ.items():
        name = key[len(ENV_PREFIX):].lower()
        if key.startswith(ENV_PREFIX) and name in known:
            values[name] = value
    for key, value in list(values.items()):
        if key not in known:
            raise AgentConfigError(f"unknown agent setting {key!r}")
        if known[key].type in ("int", int):
            try:
                values[key] = int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise AgentConfigError(f"{key}: expected an integer, got {value!r}") from None
        else:
            values[key] = str(value)
    return replace(config, **values).validated()  # type: ignore[arg-type]
