"""Running scan tasks: sweep each range, spool every DiscoveryReport, deliver, remember the run.

Used by ``run --once`` (the tasks that are due) and by the daemon (each task on its own
schedule). Discovery reports have a spool of their own (``<state_dir>/spool/discovery``,
same durability and bounds as inventory's) and go to ``/api/v1/discovery``; a report
leaves the spool only after a 2xx, so a collector outage loses nothing. If the spool
cannot be written, the report is sent directly, as the inventory cycle does. A report the
collector keeps failing on is rejected after ``spool_max_failures`` tries, as inventory's are;
drops and lost reports are counted here and travel in the next inventory report.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from agent.config import AgentConfig
from agent.cycle import collector_client, discovery_spool_for, enroll
from agent.delivery import DeliveryResult, KeyKeeper, deliver_spool
from agent.discovery.schedule import ScanRuns
from agent.spool import Spool, SpoolError
from agent.state import load_identity
from agent.transport import CollectorClient, TransportError

if TYPE_CHECKING:  # the tasks module brings the SNMP code: imported when a scan runs
    from agent.discovery.tasks import ScanTask

__all__ = ["ScanResult", "deliver_discovery", "describe_scan", "discovery_spool_for", "run_due_scans", "run_scan"]

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    profile: str
    reports: int = 0
    devices: int = 0
    delivered: int = 0
    spool_depth: int = 0
    errors: list[str] = field(default_factory=list)


def _keys(config: AgentConfig, client: CollectorClient) -> KeyKeeper:
    return KeyKeeper(load_identity(config.state_dir), lambda previous: enroll(config, client, previous))


def run_scan(config: AgentConfig, task: ScanTask, runs: ScanRuns, client: CollectorClient | None = None,
             scan: Callable[..., dict] | None = None) -> ScanResult:
    """Run one task now and deliver its reports (and anything else the discovery spool holds)."""
    from agent.discovery.tasks import run_scan_task

    result = ScanResult(task.profile)
    identity = load_identity(config.state_dir)
    if identity is None:
        result.errors.append("not enrolled")
        return result
    client = client or collector_client(config)
    runs.record(task.profile_id, datetime.now(timezone.utc))  # a failing scan waits its interval too
    if scan is None:
        from agent.discovery.scan import arp_scan_report

        scan = functools.partial(arp_scan_report, engine=config.arp_engine)
    outcome = run_scan_task(task, identity.agent_id, scan)
    result.errors += outcome.errors
    spool, keys = discovery_spool_for(config), _keys(config, client)
    for report in outcome.reports:
        result.reports += 1
        result.devices += len(report.get("devices", []))
        _spool_or_send(spool, client, keys, report, result)
    delivery = deliver_spool(spool, client, keys, config.delivery_budget_s, endpoint="discovery",
                             max_failures=config.spool_max_failures)
    result.delivered += delivery.delivered
    if delivery.error:
        result.errors.append(f"delivery: {delivery.error}")
    result.spool_depth = spool.depth
    return result


def _spool_or_send(spool: Spool, client: CollectorClient, keys: KeyKeeper, report: dict, result: ScanResult) -> None:
    try:
        spool.put(report)
        return
    except SpoolError as exc:
        log.error("discovery spool unusable; sending this report directly", extra={"error": str(exc)})
    body = gzip.compress(json.dumps(report, separators=(",", ":")).encode(), 6)
    try:
        client.post_discovery(keys.key(), body, compressed=True)
        result.delivered += 1
    except TransportError as exc:
        spool.count_lost(1)  # travels in the next inventory report's spool_dropped (issue 16, defect 11)
        log.error("discovery report lost: spool unusable and collector unavailable; counted as dropped",
                  extra={"error": str(exc)})
        result.errors.append(f"report lost: {exc}")


def run_due_scans(config: AgentConfig, tasks: list[ScanTask], client: CollectorClient | None = None,
                  scan: Callable[..., dict] | None = None) -> list[ScanResult]:
    """Run every task whose interval has passed since its last run on this agent (``run --once``)."""
    runs = ScanRuns(config.state_dir)
    now = datetime.now(timezone.utc)
    return [run_scan(config, task, runs, client, scan) for task in tasks if runs.is_due(task, now)]


def deliver_discovery(config: AgentConfig, client: CollectorClient | None = None) -> DeliveryResult | None:
    """Send what the discovery spool still holds (after an outage); None when it is empty."""
    spool = discovery_spool_for(config)
    if not spool.depth:
        return None
    client = client or collector_client(config)
    return deliver_spool(spool, client, _keys(config, client), config.delivery_budget_s, endpoint="discovery",
                         max_failures=config.spool_max_failures)


def describe_scan(result: ScanResult) -> str:
    """One line for humans: what a scan task did."""
    return (f"scan profile {result.profile!r}: {result.reports} report(s), {result.devices} device(s); sent "
            f"{result.delivered}, spooled {result.spool_depth}" + (f"; errors: {'; '.join(result.errors)}"
                                                                   if result.errors else ""))
