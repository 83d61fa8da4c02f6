"""Agent settings: defaults, ``/etc/stocktake/agent.toml`` and ``STOCKTAKE_AGENT_*`` variables.

A plain class rather than a dataclass: the agent starts on every inventory and the
dataclasses machinery (and the ``inspect`` module it imports) costs milliseconds.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from agent.errors import AgentConfigError

__all__ = ["AgentConfig", "AgentConfigError", "DEFAULT_CONFIG_PATH", "load_agent_config"]

DEFAULT_CONFIG_PATH = "/etc/stocktake/agent.toml"
ENV_PREFIX = "STOCKTAKE_AGENT_"

DEFAULTS: dict[str, Any] = {
    "server_url": "",
    "enroll_secret": "",
    "enroll_secret_file": "",
    "state_dir": "/var/lib/stocktake-agent",
    "ca_bundle": "",
    "timeout_s": 30,
    # Spool bounds: reports kept on disk while the collector cannot be reached.
    "spool_max_bytes": 64 * 1024 * 1024,
    "spool_max_reports": 1000,
    # Times the collector may fail (500) on one report before it is moved to rejected/.
    "spool_max_failures": 5,
    # Time one delivery attempt may spend retrying before leaving the rest spooled.
    "delivery_budget_s": 120,
    # Schedule until the collector's check-in answer says otherwise.
    "inventory_interval_s": 3600,
    "splay_s": 600,
    "checkin_interval_s": 900,
    # Scanner role: the ARP sweep engine (agent.discovery.arp_engine): auto, raw or scapy.
    "arp_engine": "auto",
}


class AgentConfig:
    server_url: str
    enroll_secret: str
    enroll_secret_file: str
    state_dir: str
    ca_bundle: str
    timeout_s: int
    spool_max_bytes: int
    spool_max_reports: int
    spool_max_failures: int
    delivery_budget_s: int
    inventory_interval_s: int
    splay_s: int
    checkin_interval_s: int
    arp_engine: str

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - DEFAULTS.keys()
        if unknown:
            raise AgentConfigError(f"unknown agent setting {sorted(unknown)[0]!r}")
        for name, default in DEFAULTS.items():
            value = values.get(name, default)
            if isinstance(default, int):
                if isinstance(value, bool):
                    raise AgentConfigError(f"{name}: expected an integer, got {value!r}")
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise AgentConfigError(f"{name}: expected an integer, got {value!r}") from None
            else:
                value = str(value)
            setattr(self, name, value)

    def __repr__(self) -> str:  # never show the secret
        shown = {k: getattr(self, k) for k in DEFAULTS if k != "enroll_secret"}
        return f"AgentConfig({shown})"

    def secret(self) -> str:
        if self.enroll_secret:
            return self.enroll_secret
        if self.enroll_secret_file:
            try:
                with open(self.enroll_secret_file) as handle:
                    return handle.read().strip()
            except OSError as exc:
                raise AgentConfigError(f"cannot read enroll_secret_file {self.enroll_secret_file}: {exc.strerror}") from None
        raise AgentConfigError("no enrollment secret: set enroll_secret_file (or STOCKTAKE_AGENT_ENROLL_SECRET)")

    def validated(self) -> "AgentConfig":
        if self.server_url and not self.server_url.startswith(("https://", "http://")):
            raise AgentConfigError(f"server_url must start with https:// (or http:// explicitly), got {self.server_url!r}")
        for name in ("timeout_s", "spool_max_bytes", "spool_max_reports", "spool_max_failures", "delivery_budget_s",
                     "inventory_interval_s", "checkin_interval_s"):
            if getattr(self, name) <= 0:
                raise AgentConfigError(f"{name} must be positive")
        if self.splay_s < 0:
            raise AgentConfigError("splay_s must be 0 or more")
        if self.arp_engine not in ("auto", "raw", "scapy"):
            raise AgentConfigError(f"arp_engine must be auto, raw or scapy, got {self.arp_engine!r}")
        return self


def load_agent_config(path: str | None = None, environ: Mapping[str, str] | None = None) -> AgentConfig:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    explicit = path or environ.get("STOCKTAKE_AGENT_CONFIG")
    candidate = explicit or DEFAULT_CONFIG_PATH
    if explicit or os.path.exists(candidate):
        values.update(_read_toml(candidate))
    for key, value in environ.items():
        name = key[len(ENV_PREFIX):].lower()
        if key.startswith(ENV_PREFIX) and name in DEFAULTS:
            values[name] = value
    return AgentConfig(**values).validated()


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise AgentConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise AgentConfigError(f"cannot read {path}: {exc.strerror}") from None
    if not raw.strip():
        return {}
    import tomllib

    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AgentConfigError(f"{path} is not valid TOML: {exc}") from None
    section = document.get("agent", {})
    if not isinstance(section, dict):
        raise AgentConfigError(f"{path}: [agent] must be a table")
    return section
