"""Collector settings: defaults in code, a TOML site file on top, ``STOCKTAKE_*`` variables last.

The site file is ``/etc/stocktake/collector.toml`` in production (path from
``STOCKTAKE_CONFIG``); ``config/collector.example.toml`` documents every key. Values are
checked at start-up so that a typo fails loudly instead of running with a default.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

__all__ = ["CollectorConfig", "ConfigError", "load_config"]

ENV_PREFIX = "STOCKTAKE_"
CONFIG_PATH_ENV = "STOCKTAKE_CONFIG"
MiB = 1024 * 1024


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the key."""


@dataclass(frozen=True)
class CollectorConfig:
    data_dir: str = "var"
    # Empty means SQLite (WAL) in data_dir; set postgresql+psycopg://… for production.
    database_url: str = ""
    # Decompressed body cap for agent uploads (gzip bombs stop here).
    max_body_bytes: int = 16 * MiB
    # Cap on the bytes read off the wire, before decompression.
    max_wire_bytes: int = 16 * MiB
    # Failed enrolments per client address before it gets 429 for the rest of the window.
    enroll_failures_allowed: int = 5
    enroll_failure_window_s: int = 60
    # Number of reverse proxies in front of the collector whose X-Forwarded-For is trusted.
    trusted_proxies: int = 0
    log_level: str = "INFO"
    log_format: str = "json"
    page_size_max: int = 500
    # What agents are told at check-in: how often to inventory, the random splay, how
    # often to check in again.
    agent_inventory_interval_s: int = 3600
    agent_splay_s: int = 600
    agent_checkin_interval_s: int = 900
    # Reconciliation: a rules file overriding the built-in defaults (collector/reconcile/rules.toml),
    # and how often `stocktake-collector jobs` runs a full reconciliation.
    reconcile_rules_file: str = ""
    reconcile_interval_s: int = 3600
    # After a CMDB import, the subjects matched to the changed CIs are reconciled at once (collector/facts.py)
    # unless there are more than this many; a bigger import is left to the next full run.
    reconcile_changed_cis_max_subjects: int = 1000
    # Job runners on other nodes stand by and try to take over the schedule this often.
    jobs_standby_poll_s: int = 30
    # Scan profiles: the Fernet key encrypting SNMP credentials at rest (a file, default
    # <data_dir>/credentials.key, created 0600 on first use; or the key itself, e.g. from
    # STOCKTAKE_CREDENTIALS_KEY; several comma-separated keys rotate: the first encrypts),
    # and the most addresses one profile may cover.
    credentials_key_file: str = ""
    credentials_key: str = field(default="", repr=False)
    scan_max_addresses: int = 4096
    # Load shedding (collector/admission.py): an agent request that waited longer than this for a
    # worker thread is answered 503 at once (0 turns shedding off), with a Retry-After drawn from
    # min..max seconds so the refused agents come back spread out.
    shed_queue_wait_ms: int = 1000
    shed_retry_after_min_s: int = 30
    shed_retry_after_max_s: int = 300
    # /metrics (Prometheus): open when empty, as exporters usually are behind a private
    # network; a token here makes scrapes send `Authorization: Bearer <token>`.
    metrics_token: str = field(default="", repr=False)
    # How far ahead of the collector's clock an agent's report time may be (agents' clocks
    # drift; NTP keeps them within seconds). Anything later is refused: a future time would
    # order after every later report. Kept below the inventory interval, so that a report
    # accepted at the limit never makes the agent's next regular report "historical".
    max_clock_skew_s: int = 600
    # Devices of a discovery report stored per write transaction: other writers (check-ins,
    # inventory) get SQLite's lock between batches instead of waiting for the whole report.
    discovery_batch_devices: int = 2000
    # The completeness KPI's required fields per CI class: a TOML table replacing the shipped
    # definition class by class (collector/reports/required_fields.py; JSON in the environment).
    ci_required_fields: dict = field(default_factory=dict, hash=False)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'stocktake.db'}"

    def validate(self) -> "CollectorConfig":
        problems = []
        for name in ("max_body_bytes", "max_wire_bytes", "enroll_failures_allowed",
                     "enroll_failure_window_s", "page_size_max", "agent_inventory_interval_s",
                     "agent_checkin_interval_s", "reconcile_interval_s", "discovery_batch_devices",
                     "jobs_standby_poll_s", "reconcile_changed_cis_max_subjects"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be a positive integer")
        if not 1 <= self.scan_max_addresses <= 65536:
            problems.append("scan_max_addresses must be from 1 to 65536")
        if self.shed_queue_wait_ms < 0:
            problems.append("shed_queue_wait_ms must be 0 (off) or more")
        if not 1 <= self.shed_retry_after_min_s <= self.shed_retry_after_max_s <= 3600:
            problems.append("shed_retry_after_min_s and shed_retry_after_max_s must satisfy 1 <= min <= max <= 3600")
        if not 0 <= self.max_clock_skew_s < self.agent_inventory_interval_s:
            problems.append(f"max_clock_skew_s must be from 0 to {self.agent_inventory_interval_s - 1} "
                            "(below agent_inventory_interval_s)")
        if self.agent_splay_s < 0:
            problems.append("agent_splay_s must be 0 or more")
        if self.trusted_proxies < 0:
            problems.append("trusted_proxies must be 0 or more")
        if self.log_format not in ("json", "text"):
            problems.append("log_format must be 'json' or 'text'")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append("log_level must be DEBUG, INFO, WARNING or ERROR")
        problems += _required_fields_problems(self.ci_required_fields)
        url = self.effective_database_url
        if not url.startswith(("sqlite", "postgresql")):
            problems.append("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        if problems:
            raise ConfigError("invalid collector configuration: " + "; ".join(problems))
        return self


def _required_fields_problems(table: Mapping) -> list[str]:
    from collector.reports.required_fields import definition_problems

    return definition_problems(table)


def _table(name: str, raw: Any) -> dict:
    """A TOML table as is, or (from the environment) the same as a JSON object."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected a JSON object, got {raw!r}") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{name}: expected a table, got {raw!r}")
    return dict(raw)


def _coerce(name: str, raw: Any, target: type) -> Any:
    if target is int:
        if isinstance(raw, bool):
            raise ConfigError(f"{name}: expected an integer, got {raw!r}")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected an integer, got {raw!r}") from None
    if not isinstance(raw, (str, int, float)):
        raise ConfigError(f"{name}: expected a string, got {raw!r}")
    return str(raw)


def _apply(config: CollectorConfig, values: Mapping[str, Any], origin: str) -> CollectorConfig:
    known = {f.name: f for f in fields(CollectorConfig)}
    updates = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(f"{origin}: unknown setting {key!r}")
        if known[key].type in ("dict", dict):
            updates[key] = _table(f"{origin}: {key}", raw)
            continue
        target = int if known[key].type in ("int", int) else str
        updates[key] = _coerce(f"{origin}: {key}", raw, target)
    return replace(config, **updates)


def load_config(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> CollectorConfig:
    """Build the configuration from defaults, the TOML file and ``STOCKTAKE_*`` variables."""
    environ = os.environ if environ is None else environ
    config = CollectorConfig()
    path = path or environ.get(CONFIG_PATH_ENV)
    if path:
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        config = _apply(config, document.get("collector", document), str(path))
    known = {f.name for f in fields(CollectorConfig)}
    from_env = {
        key[len(ENV_PREFIX):].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):].lower() in known
    }
    config = _apply(config, from_env, "environment")
    if overrides:
        config = _apply(config, overrides, "overrides")
    return config.validate()
