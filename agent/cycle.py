"""One inventory cycle: collect, spool, deliver, record the outcome in ``status.json``.

Used by ``run --once`` and by the daemon's scheduled job. Nothing here raises for a
collector or disk problem: the cycle logs one clear line, keeps what it could, and the
next cycle tries again.
"""

from __future__ import annotations

import gzip
import json
import logging
import platform
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from agent.atomic import write_atomically
from agent.config import AgentConfig
from agent.delivery import Backoff, DeliveryResult, KeyKeeper, deliver_spool
from agent.probes.base import Probe
from agent.spool import Drops, Spool, SpoolError
from agent.state import AgentIdentity, load_identity, save_identity
from agent.transport import CollectorClient, TransportError

__all__ = ["CycleResult", "collector_client", "describe", "discovery_spool_for", "enroll", "read_status", "run_cycle",
           "spool_for", "write_status"]

log = logging.getLogger(__name__)
STATUS_FILE = "status.json"


@dataclass
class CycleResult:
    report_id: str | None = None
    spooled: bool = False
    delivered: int = 0
    rejected: int = 0
    spool_depth: int = 0
    error: str | None = None
    software: int = 0
    nics: int = 0
    disks: int = 0


def collector_client(config: AgentConfig) -> CollectorClient:
    if not config.server_url:
        raise TransportError("server_url is not set (config file or STOCKTAKE_AGENT_SERVER_URL)")
    return CollectorClient(config.server_url, config.ca_bundle or None, config.timeout_s)


def enroll(config: AgentConfig, client: CollectorClient, previous: AgentIdentity | None) -> AgentIdentity:
    """Trade the enrollment secret for a node key; the old identity is replaced only on success.

    The previous identity (id and key) goes along: it keeps the agent's id, and an active
    agent must prove it holds that id's key.
    """
    answer = client.enroll(config.secret(), socket.gethostname(), previous.agent_id if previous else None,
                           platform.system().lower(), previous.node_key if previous else None)
    identity = AgentIdentity(agent_id=answer["agent_id"], node_key=answer["node_key"])
    save_identity(config.state_dir, identity)
    log.warning("enrolled with the collector", extra={"agent_id": identity.agent_id})
    return identity


def spool_for(config: AgentConfig) -> Spool:
    return Spool(Path(config.state_dir) / "spool", config.spool_max_bytes, config.spool_max_reports)


def discovery_spool_for(config: AgentConfig) -> Spool:
    """The scanner's spool: its drops travel in the next inventory report, with the inventory spool's."""
    return Spool(Path(config.state_dir) / "spool" / "discovery", config.spool_max_bytes, config.spool_max_reports)


def run_cycle(
    config: AgentConfig,
    probes: Iterable[Probe] | None = None,
    client: CollectorClient | None = None,
    backoff: Backoff | None = None,
    sleep=time.sleep,
) -> CycleResult:
    from agent.runner import collect_inventory

    result = CycleResult()
    client = client or collector_client(config)
    spool = spool_for(config)
    _cleanup(spool)
    keys = KeyKeeper(load_identity(config.state_dir), lambda previous: enroll(config, client, previous))
    try:
        keys.key()
    except (TransportError, OSError) as exc:
        result.error = f"cannot enrol: {exc}"
        log.error("cannot enrol with the collector; no report this cycle", extra={"error": str(exc)})
        return _finish(config, result, spool)
    from agent.probes import probes_for

    report = collect_inventory(keys.identity.agent_id, probes_for(config.state_dir) if probes is None else probes)
    drops = _drops([spool, discovery_spool_for(config)])
    report["spool_dropped"] = sum(taken.count for _, taken in drops)
    result.report_id = report["report_id"]
    result.software, result.nics, result.disks = (len(report.get(k, [])) for k in ("software", "nics", "disks"))
    if _spool_or_send(spool, client, keys, report, result):
        for source, taken in drops:  # the count is safe in a spooled or delivered report now
            source.forget(taken)
    delivery = deliver_spool(spool, client, keys, config.delivery_budget_s, backoff, sleep,
                             max_failures=config.spool_max_failures)
    _merge(result, delivery)
    return _finish(config, result, spool)


def _cleanup(spool: Spool) -> None:
    try:
        spool.cleanup_temporary()
    except OSError as exc:
        log.error("cannot clean the spool", extra={"error": str(exc)})


def _drops(spools: list[Spool]) -> list[tuple[Spool, Drops]]:
    """Reports dropped and not yet reported, per spool; forgotten only once a report carries them."""
    found = []
    for spool in spools:
        try:
            found.append((spool, spool.drops()))
        except OSError as exc:
            log.error("cannot read the spool's drop count", extra={"error": exc.strerror or str(exc)})
    return found


def _spool_or_send(spool: Spool, client: CollectorClient, keys: KeyKeeper, report: dict, result: CycleResult) -> bool:
    """Spool the report, or send it directly if the spool is unusable; False if it was lost."""
    try:
        spool.put(report)
        result.spooled = True
        return True
    except SpoolError as exc:
        log.error("spool unusable; sending this report directly", extra={"error": str(exc)})
        result.error = str(exc)
    try:
        _send_direct(client, keys, gzip.compress(json.dumps(report, separators=(",", ":")).encode(), 6))
        result.delivered += 1
        return True
    except TransportError as exc:
        # Counted like a spool drop (issue 16, defect 11): in a marker, or in memory while
        # the disk takes nothing, and reported with the next report that gets through.
        spool.count_lost(1)
        log.error("report lost: spool unusable and collector unavailable; counted as dropped", extra={"error": str(exc)})
        result.error = f"{result.error}; direct send failed: {exc}"
        return False


def _send_direct(client: CollectorClient, keys: KeyKeeper, body: bytes) -> None:
    try:
        client.post_inventory(keys.key(), body, compressed=True)
    except TransportError as exc:
        if exc.status != 401 or not keys.renew():  # renew raises TransportError if enrolment is refused
            raise
        client.post_inventory(keys.key(), body, compressed=True)


def _merge(result: CycleResult, delivery: DeliveryResult) -> None:
    result.delivered += delivery.delivered
    result.rejected += delivery.rejected
    if delivery.error:
        result.error = delivery.error if result.error is None else f"{result.error}; {delivery.error}"


def _finish(config: AgentConfig, result: CycleResult, spool: Spool) -> CycleResult:
    result.spool_depth = spool.depth
    now = datetime.now(timezone.utc).isoformat()
    status = read_status(config.state_dir)
    status.update(last_attempt_at=now, last_error=result.error, spool_depth=result.spool_depth,
                  last_report_id=result.report_id)
    if result.error is None and result.spool_depth == 0:
        status["last_success_at"] = now
    write_status(config.state_dir, status)
    return result


def read_status(state_dir: str) -> dict:
    try:
        return json.loads((Path(state_dir) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def write_status(state_dir: str, status: dict) -> None:
    path = Path(state_dir) / STATUS_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, json.dumps(status, indent=2, default=str).encode(), mode=0o644)
    except OSError as exc:
        log.error("cannot write the status file", extra={"path": str(path), "error": exc.strerror or str(exc)})


def describe(result: CycleResult) -> str:
    """One line for humans: what this cycle did."""
    state = "delivered" if result.error is None else "not delivered"
    return (f"report {result.report_id}: {state}; {result.software} packages, {result.nics} NICs, {result.disks} disks; "
            f"sent {result.delivered}, spooled {result.spool_depth}" + (f"; error: {result.error}" if result.error else ""))

