"""The one "facts changed" step: what every writer of facts calls after its transaction commits.

Facts are what the collector stores about the estate: agent reports (inventory), scans
(discovery), the register (CMDB import) and, later, what a workflow's execution changes. Each
writer used to start reconciliation itself; now each calls :func:`facts_changed` with the ids
it touched, and the full runs (scheduled job, CLI, API, web) go through :func:`reconcile_all`.
Both then hand a :class:`FactsChanged` to the registered consumers, in registration order, so
whatever hangs off a change (workflow validation, license positions) sees every one of them,
full runs included, from one place.

Everything here is best effort, after the caller's data is safely committed: reconciliation
that fails is logged and the next full run puts it right (as before), and a consumer that
raises is logged and skipped; neither fails the ingest that called, nor the other consumers.

A consumer is ``fn(db, config, change) -> None``. It opens its own transaction(s) with
``db.write()``, so one consumer's rollback never undoes another's work. Register it with
:func:`register_consumer` from the module that owns it, and list that module in
``CONSUMER_MODULES`` so that every process (gunicorn workers, CLI, jobs) imports it: one
explicit list, no directory scanning.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from collector.access.audit_log import Actor
from collector.config import CollectorConfig
from collector.db import Database
from collector.reconcile import store
from collector.reconcile.engine import RunResult
from collector.reconcile.service import run_full, run_incremental

__all__ = ["CONSUMER_MODULES", "Consumer", "FactSource", "FactsChanged", "facts_changed", "reconcile_all",
           "register_consumer", "registered_consumers", "unregister_consumer"]

log = logging.getLogger(__name__)

# Modules that register consumers when imported, in the order their consumers should run.
# Imported on first use, not here, so the services that call facts_changed can be imported by them.
CONSUMER_MODULES: tuple[str, ...] = ("collector.sam.hooks", "collector.workflows.triggers")


class FactSource(str, Enum):
    """Who changed the facts."""

    INVENTORY = "inventory"
    DISCOVERY = "discovery"
    CMDB_IMPORT = "cmdb_import"
    FULL_RUN = "full_run"  # a full reconciliation (scheduled, CLI, API or web): every subject
    WORKFLOW = "workflow"


@dataclass(frozen=True)
class FactsChanged:
    """One change, as consumers see it. ``full`` means every subject and CI may have changed (the id
    tuples are then empty); ``reconciliation`` is the run that followed, or None when none ran or it
    failed (the next full run catches up)."""

    source: FactSource
    at: datetime
    asset_ids: tuple[int, ...] = ()
    device_ids: tuple[int, ...] = ()
    ci_ids: tuple[int, ...] = ()
    full: bool = False
    reconciliation: RunResult | None = None


Consumer = Callable[[Database, CollectorConfig, FactsChanged], None]

_consumers: dict[str, Consumer] = {}  # insertion order is the calling order
_modules_loaded = False
_lock = threading.Lock()


def register_consumer(name: str, fn: Consumer) -> Consumer:
    """Add ``fn`` under ``name`` (after those already registered); a name is registered once."""
    with _lock:
        if name in _consumers:
            raise ValueError(f"a facts consumer named {name!r} is already registered")
        _consumers[name] = fn
    return fn


def unregister_consumer(name: str) -> None:
    with _lock:
        _consumers.pop(name, None)


def registered_consumers() -> list[str]:
    _load_consumer_modules()
    return list(_consumers)


def facts_changed(db: Database, config: CollectorConfig, now: datetime, *, asset_ids: Iterable[int] = (),
                  device_ids: Iterable[int] = (), ci_ids: Iterable[int] = (),
                  source: FactSource) -> FactsChanged:
    """After a committed change: reconcile what it touched (incrementally), then tell the consumers."""
    assets, devices, cis = (tuple(sorted(set(ids))) for ids in (asset_ids, device_ids, ci_ids))
    result = _reconcile_slice(db, config, now, assets, devices, cis)
    change = FactsChanged(FactSource(source), now, assets, devices, cis, reconciliation=result)
    _notify(db, config, change)
    return change


def reconcile_all(db: Database, config: CollectorConfig, now: datetime, *, dry_run: bool = False,
                  actor: Actor | None = None) -> RunResult | None:
    """A full reconciliation run, then the consumers (not for a dry run, which changed nothing).

    None when another node holds the lock (as ``run_full``); a bad rules file raises RulesError.
    A run someone asked for (web, API, CLI: ``actor``) is audited, as is its refusal when busy;
    scheduled runs pass no actor (one entry every few minutes would bury the people's)."""
    result = run_full(db, config, now, dry_run=dry_run)
    if actor is not None and not dry_run:
        _audit_run(db, actor, result, now)
    if result is not None and not dry_run:
        _notify(db, config, FactsChanged(FactSource.FULL_RUN, now, full=True, reconciliation=result))
    return result


def _audit_run(db: Database, actor: Actor, result: RunResult | None, now: datetime) -> None:
    from collector.access.audit_log import append_entry

    detail = ({"busy": True} if result is None else
              {"subjects": result.subjects, "opened": result.opened, "resolved": result.resolved,
               "duration_ms": result.duration_ms, "outcomes": dict(result.counts)})
    target = "reconciliation_run" if result is None else f"reconciliation_run {result.run_id}"
    with db.write() as session:
        append_entry(session, "reconciliation_run", actor, target, detail, now)


def _reconcile_slice(db: Database, config: CollectorConfig, now: datetime, asset_ids: tuple[int, ...],
                     device_ids: tuple[int, ...], ci_ids: tuple[int, ...]) -> RunResult | None:
    assets, devices = set(asset_ids), set(device_ids)
    if ci_ids:
        matched = _subjects_matched_to(db, ci_ids) | _subjects_claimable_by(db, ci_ids)
        if len(matched) > config.reconcile_changed_cis_max_subjects:
            log.info("CI change touches too many matched subjects to reconcile now; the next full run will",
                     extra={"cis": len(ci_ids), "subjects": len(matched)})
        else:
            assets |= {i for kind, i in matched if kind == "asset"}
            devices |= {i for kind, i in matched if kind == "device"}
    if not assets and not devices:
        return None
    return run_incremental(db, config, now, asset_ids=sorted(assets), device_ids=sorted(devices))


def _subjects_claimable_by(db: Database, ci_ids: tuple[int, ...]) -> set[tuple[str, int]]:
    """Observed subjects that share a MAC or a serial with these CIs: a CI just registered (or
    given its MAC or serial) may now claim an unmanaged device or asset, and the exception about it
    should clear in this run, not at the next full one. Indexed lookups, bounded like the rest."""
    from sqlalchemy import select

    from collector.db import chunked
    from collector.models import Asset, AssetNic, CiMac, ConfigurationItem, Device

    found: set[tuple[str, int]] = set()
    try:
        with db.session() as session:
            for chunk in chunked(list(ci_ids)):
                macs = select(CiMac.mac).where(CiMac.ci_id.in_(chunk))
                serials = select(ConfigurationItem.serial).where(ConfigurationItem.id.in_(chunk),
                                                                 ConfigurationItem.serial.is_not(None))
                found |= {("device", i) for i in session.scalars(
                    select(Device.id).where(Device.mac.in_(macs) | Device.serial.in_(serials)))}
                found |= {("asset", i) for i in session.scalars(
                    select(AssetNic.asset_id).where(AssetNic.mac.in_(macs)))}
                found |= {("asset", i) for i in session.scalars(select(Asset.id).where(Asset.serial.in_(serials)))}
    except Exception:  # noqa: BLE001 - best effort, as the run itself
        log.exception("could not find the subjects changed CIs may claim; the next full run will catch up")
    return found


def _subjects_matched_to(db: Database, ci_ids: tuple[int, ...]) -> set[tuple[str, int]]:
    """The observed subjects the last runs matched to these CIs: a changed CI (new serial, user,
    location) is re-judged through them; :func:`_subjects_claimable_by` adds those it may now claim."""
    try:
        with db.session() as session:
            return set(store.matched_to(session.connection(), set(ci_ids), exclude=set()))
    except Exception:  # noqa: BLE001 - best effort, as the run itself
        log.exception("could not read the subjects matched to changed CIs; the next full run will catch up")
        return set()


def _notify(db: Database, config: CollectorConfig, change: FactsChanged) -> None:
    _load_consumer_modules()
    with _lock:
        consumers = list(_consumers.items())
    for name, consumer in consumers:
        try:
            consumer(db, config, change)
        except Exception:  # noqa: BLE001 - one consumer must not fail ingest or the others
            log.exception("facts consumer failed", extra={"consumer": name, "source": change.source.value,
                                                          "full": change.full})


def _load_consumer_modules() -> None:
    global _modules_loaded
    if _modules_loaded:
        return
    with _lock:
        modules, _modules_loaded = CONSUMER_MODULES, True
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - its consumers are missing; the others still run
            log.exception("facts consumer module failed to import", extra={"consumer_module": module})
