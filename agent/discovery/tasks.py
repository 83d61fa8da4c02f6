"""Scan tasks from the collector's check-in answer: checked, then run as one ARP sweep per range.

The agent checks a task as the collector did (common.scan_ranges, common.snmp_credentials)
rather than trusting the answer: a task that fails is logged with its profile and the
reason and skipped; the others still run. Credentials live in memory only, inside
SnmpCredential objects whose repr hides them; nothing here logs them or writes them down.
Each report's scan id names the profile (common.scan_tasks), so the collector can record
when the profile last reported.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, NamedTuple

from agent.discovery.snmp import SnmpCredential
from common.scan_ranges import check_ranges
from common.scan_tasks import TASK_TYPE, profile_scan_id
from common.snmp_credentials import check_credentials

__all__ = ["ScanOutcome", "ScanTask", "TaskError", "parse_task", "parse_tasks", "run_scan_task"]

log = logging.getLogger(__name__)
# Sane bounds whatever the collector says: at least a minute between scans, at most a week.
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 7 * 86400
# No new range is started once a task has run this long (each sweep and poll is bounded itself).
MAX_TASK_S = 1800


class TaskError(ValueError):
    """A task this agent will not run; the message names the profile and the problem (never a secret)."""


class ScanTask(NamedTuple):
    profile_id: int
    profile: str
    ranges: tuple[str, ...]
    interface: str
    allow_public: bool
    max_addresses: int
    interval_s: int
    credentials: tuple[SnmpCredential, ...]

    def __repr__(self) -> str:  # the credentials' names only
        return (f"ScanTask(profile_id={self.profile_id!r}, profile={self.profile!r}, ranges={self.ranges!r}, "
                f"interface={self.interface!r}, credentials={[c.name for c in self.credentials]!r})")


class ScanOutcome(NamedTuple):
    reports: list[dict]
    errors: list[str]  # one line per range that could not be scanned


def parse_task(raw: Any) -> ScanTask:
    """A checked ScanTask from one entry of the check-in answer's ``tasks``; TaskError otherwise."""
    if not isinstance(raw, dict) or raw.get("type") != TASK_TYPE:
        raise TaskError(f"not a scan task (type {raw.get('type') if isinstance(raw, dict) else raw!r:.40})")
    profile_id, name = raw.get("profile_id"), raw.get("profile")
    if isinstance(profile_id, bool) or not isinstance(profile_id, int) or profile_id < 1 or not isinstance(name, str):
        raise TaskError("scan task without a valid profile_id and profile name")
    where = f"scan profile {name!r} (id {profile_id})"
    problems = _field_problems(raw)
    if not problems:
        problems += [message for _, message in check_ranges(raw["ranges"], raw["allow_public"], raw["max_addresses"])]
    credentials, found = check_credentials(raw.get("credentials", []))
    problems += [f"{field}: {message}" for field, message in found]
    if problems:
        raise TaskError(f"{where}: " + "; ".join(problems))
    return ScanTask(profile_id, name, tuple(raw["ranges"]), raw["interface"], raw["allow_public"],
                    raw["max_addresses"], raw["interval_s"], tuple(SnmpCredential(**entry) for entry in credentials))


def _field_problems(raw: dict) -> list[str]:
    problems = []
    if not isinstance(raw.get("ranges"), list) or not raw["ranges"]:
        problems.append("ranges must be a non-empty list")
    interface = raw.get("interface")
    if not isinstance(interface, str) or not 1 <= len(interface) <= 15 or "/" in interface:
        problems.append("interface must be an interface name")
    if not isinstance(raw.get("allow_public"), bool):
        problems.append("allow_public must be true or false")
    for key, low, high in (("max_addresses", 1, 65536), ("interval_s", MIN_INTERVAL_S, MAX_INTERVAL_S)):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{key} must be an integer from {low} to {high}")
    return problems


def parse_tasks(raw_tasks: Any) -> list[ScanTask]:
    """The runnable tasks of a check-in answer; each refused one is logged and skipped."""
    if not isinstance(raw_tasks, list):
        return []
    tasks = []
    for raw in raw_tasks:
        try:
            tasks.append(parse_task(raw))
        except TaskError as exc:
            log.error("skipping a task from the collector: %s", exc)
    return tasks


def run_scan_task(task: ScanTask, agent_id: str, scan: Callable[..., dict] | None = None,
                  budget_s: float = MAX_TASK_S, clock: Callable[[], float] = time.monotonic) -> ScanOutcome:
    """One DiscoveryReport per range of ``task``; a range that fails is logged and the rest still run."""
    if scan is None:
        from agent.discovery.scan import arp_scan_report as scan
    deadline = clock() + budget_s
    reports, errors = [], []
    for cidr in task.ranges:
        if clock() > deadline:
            errors.append(f"{cidr}: not scanned, the task ran past its {budget_s:.0f} s budget")
            log.error("scan task over budget; remaining ranges skipped", extra={"profile": task.profile, "range": cidr})
            continue
        started = datetime.now(timezone.utc)
        try:
            report = scan(agent_id, cidr, task.interface, allow_public=task.allow_public,
                          credentials=list(task.credentials) or None)
        except Exception as exc:  # noqa: BLE001 - ArpError, OSError, SNMP failures: one range, not the task
            errors.append(f"{cidr}: {exc}")
            log.error("scan of a range failed", extra={"profile": task.profile, "range": cidr, "error": str(exc)})
            continue
        report["scan_id"] = profile_scan_id(task.profile_id, cidr, started)
        reports.append(report)
    return ScanOutcome(reports, errors)
