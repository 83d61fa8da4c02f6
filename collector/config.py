"""Collector settings: defaults in code, a TOML site file on top, ``STOCKTAKE_*`` variables last.

The site file is ``/etc/stocktake/collector.toml`` in production (path from
``STOCKTAKE_CONFIG``); ``config/collector.example.toml`` documents every key. Values are
checked at start-up so that a typo fails loudly instead of running with a default.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

__all__ = ["CollectorConfig", "ConfigError", "NamedValues", "load_config"]

ENV_PREFIX = "STOCKTAKE_"
CONFIG_PATH_ENV = "STOCKTAKE_CONFIG"
MiB = 1024 * 1024
# A name -> value table (webhook URLs, their secrets) kept as sorted pairs so the frozen
# config stays hashable. TOML gives a table; the environment gives "name=value,name=value".
NamedValues = tuple[tuple[str, str], ...]
_HOOK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


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
    # After an agent's report is stored, its reconciliation and the consumers (workflow triggers,
    # licence positions) run on a background thread together with the other reports of this
    # window, not inside the request (collector/facts_batching.py); 0 runs them in the request.
    facts_batch_window_ms: int = 1000
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
    # Foreign agents (OCS, FusionInventory, GLPI; collector/interop/): when true, a submission
    # without a site secret is admitted unauthenticated. Only for a network where every host
    # that can reach the collector is trusted; start-up logs a WARNING while it is on.
    foreign_agents_trust_network: bool = False
    # Devices of a discovery report stored per write transaction: other writers (check-ins,
    # inventory) get SQLite's lock between batches instead of waiting for the whole report.
    discovery_batch_devices: int = 2000
    # Notifications (collector/notify/). Email through this SMTP relay (empty host: email off),
    # STARTTLS and login when set; the password also from STOCKTAKE_SMTP_PASSWORD.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    # CA bundle that verifies the relay's certificate (empty: the system's store).
    smtp_ca_file: str = ""
    mail_from: str = ""
    # Signed webhooks: name -> http(s) URL, and name -> HMAC secret (every hook needs both;
    # secrets also from STOCKTAKE_WEBHOOK_SECRETS="name=secret,..."). Admin-configured only.
    # URLs stay out of repr too: chat services put their token in the URL's path.
    webhook_urls: NamedValues = field(default=(), repr=False)
    webhook_secrets: NamedValues = field(default=(), repr=False)
    # Delivery: the most attempts per notification, the backoff's first and largest delay
    # (doubling, with jitter), the network timeout, rows per run, and how often jobs run it.
    notify_max_attempts: int = 8
    notify_backoff_base_s: int = 30
    notify_backoff_max_s: int = 3600
    notify_timeout_s: int = 10
    notify_batch_size: int = 100
    notify_interval_s: int = 60
    # Workflows: admin directories of BPMN templates (comma-separated), loaded after the shipped
    # ones (collector/workflows/templates/); never uploaded, since templates run Python. Approver
    # groups a template's tasks and decision tables may name: "finance: alice bob; it: carol".
    workflow_template_dirs: str = ""
    workflow_approver_groups: str = ""
    # The collector's address as people reach it (https://stocktake.example.org), printed in the
    # QR code of asset-tag labels. Empty: the API uses the address of the request, the CLI asks.
    public_url: str = ""
    # SLA breaches (collector/workflows/sla.py): how often the jobs leader looks for them, and the
    # webhooks (names from webhook_urls, comma-separated) told of each; email goes to the people
    # who may do the task and have an address.
    workflow_sla_interval_s: int = 300
    workflow_sla_webhooks: str = ""
    # Automatic triggers (collector/workflows/triggers.py): trigger -> template. Events: exception,
    # unmanaged_device, agent_first_seen, license_over_deployment; schedules: asset_not_seen,
    # warranty_ending, subscription_renewal, stale_record. Merged over the defaults (trigger_config.py
    # DEFAULT_TRIGGERS: exception, license_over_deployment);
    # "" turns a trigger off. A template that is not loaded is a warning at start-up, not an error.
    workflow_triggers: dict = field(default_factory=dict, hash=False)
    workflow_triggers_interval_s: int = 3600
    workflow_warranty_days: int = 30  # warranty ending within this many days
    workflow_not_seen_days: int = 14  # an asset not reported for this many days
    workflow_stale_days: int = 365  # a CI record nobody changed for this many days
    # Licence positions (collector/sam/run.py): how often the jobs leader computes them, and how
    # many days an install's program must not have run to be a reclaim candidate.
    sam_positions_interval_s: int = 3600
    sam_unused_days: int = 90
    # The completeness KPI's required fields per CI class: a TOML table replacing the shipped
    # definition class by class (collector/reports/required_fields.py; JSON in the environment).
    ci_required_fields: dict = field(default_factory=dict, hash=False)
    # Which unmatched scanned devices raise "unmanaged" (collector/reconcile/policy.py): a TOML table
    # over the defaults (raise for ARP- and SNMP-sighted devices; FDB/ARP-cache/LLDP-only MACs and
    # hypervisor-virtual MACs are discovered nodes that raise nothing).
    unmanaged_policy: dict = field(default_factory=dict, hash=False)

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
                     "jobs_standby_poll_s", "notify_max_attempts", "notify_backoff_base_s",
                     "notify_timeout_s", "notify_batch_size", "notify_interval_s",
                     "reconcile_changed_cis_max_subjects", "workflow_sla_interval_s",
                     "workflow_triggers_interval_s", "workflow_warranty_days", "workflow_not_seen_days",
                     "workflow_stale_days", "sam_positions_interval_s", "sam_unused_days"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be a positive integer")
        if not 1 <= self.scan_max_addresses <= 65536:
            problems.append("scan_max_addresses must be from 1 to 65536")
        if not 0 <= self.facts_batch_window_ms <= 60_000:
            problems.append("facts_batch_window_ms must be from 0 (in the request) to 60000")
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
        try:
            from collector.workflows.roles import parse_groups

            parse_groups(self.workflow_approver_groups)
        except ValueError as exc:
            problems.append(str(exc))
        problems += _required_fields_problems(self.ci_required_fields)
        problems += _policy_problems(self.unmanaged_policy)
        problems += _workflow_problems(self)
        url = self.effective_database_url
        if not url.startswith(("sqlite", "postgresql")):
            problems.append("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        problems += self._notify_problems()
        if self.public_url and not _is_http_url(self.public_url):
            problems.append("public_url must be an http:// or https:// URL")
        if problems:
            raise ConfigError("invalid collector configuration: " + "; ".join(problems))
        return self

    def _notify_problems(self) -> list[str]:
        problems = []
        if not 1 <= self.smtp_port <= 65535:
            problems.append("smtp_port must be from 1 to 65535")
        if self.notify_backoff_max_s < self.notify_backoff_base_s:
            problems.append("notify_backoff_max_s must be at least notify_backoff_base_s")
        if self.smtp_host and "@" not in self.mail_from:
            problems.append("mail_from must be an email address when smtp_host is set")
        if any(c in value for value in (self.smtp_host, self.mail_from, self.smtp_username) for c in "\r\n"):
            problems.append("smtp_host, mail_from and smtp_username must not contain line breaks")
        urls, secrets = dict(self.webhook_urls), dict(self.webhook_secrets)
        for name in sorted(urls.keys() | secrets.keys()):
            if not _HOOK_NAME.fullmatch(name):
                problems.append(f"webhook {name!r}: names are 1-64 of a-z, 0-9, '_', '-'")
            elif name not in urls:
                problems.append(f"webhook_secrets names {name!r}, which has no URL in webhook_urls")
            elif not _is_http_url(urls[name]):
                problems.append(f"webhook_urls.{name} must be an http:// or https:// URL")
            elif len(secrets.get(name, "")) < 16:
                problems.append(f"webhook {name!r} needs a secret of at least 16 characters in webhook_secrets")
        return problems

    def webhook(self, name: str) -> tuple[str, str] | None:
        """The (URL, secret) of the webhook called ``name``, or None if it is not configured."""
        urls, secrets = dict(self.webhook_urls), dict(self.webhook_secrets)
        return (urls[name], secrets[name]) if name in urls and name in secrets else None


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, a bad IPv6 literal
        return False


def _named_values(name: str, raw: Any) -> NamedValues:
    if isinstance(raw, str):  # from the environment: "name=value,name=value"
        pairs = [item.partition("=") for item in raw.split(",") if item.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ConfigError(f"{name}: expected name=value pairs separated by commas")
        raw = {key.strip(): value.strip() for key, _, value in pairs}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ConfigError(f"{name}: expected a table of name = \"string\"")
    return tuple(sorted(raw.items()))


def _workflow_problems(config: CollectorConfig) -> list[str]:
    from collector.workflows.trigger_config import trigger_problems

    hooks = [h.strip() for h in config.workflow_sla_webhooks.split(",") if h.strip()]
    problems = [f"workflow_sla_webhooks names {h!r}, which is not in webhook_urls" for h in hooks
                if h not in dict(config.webhook_urls)]
    return problems + trigger_problems(config.workflow_triggers)


def _policy_problems(table: Mapping) -> list[str]:
    from collector.reconcile.policy import policy_problems

    return policy_problems(table)


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
    if target is NamedValues:
        return _named_values(name, raw)
    if target is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
            return raw.strip().lower() in ("true", "1", "yes")
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
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


_FIELD_TYPES = {"int": int, int: int, "bool": bool, bool: bool, "NamedValues": NamedValues}


def _apply(config: CollectorConfig, values: Mapping[str, Any], origin: str) -> CollectorConfig:
    known = {f.name: f for f in fields(CollectorConfig)}
    updates = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(f"{origin}: unknown setting {key!r}")
        if known[key].type in ("dict", dict):
            updates[key] = _table(f"{origin}: {key}", raw)
            continue
        target = _FIELD_TYPES.get(known[key].type, str)
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
