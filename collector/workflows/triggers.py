"""Automatic triggers: events and schedules that start workflows, each mapped to a template by config.

Events come through the one "facts changed" step (collector/facts.py): after a reconciliation
run, every exception it opened opens a workflow (``exception``), or joins the running one for
the same CI (or observed subject) and kind; an ``unmanaged`` exception about a scanned device
is also the ``unmanaged_device`` event; an agent's asset reported for the first time is
``agent_first_seen``. Schedules run on the jobs leader (:func:`scheduled_triggers_job`):
``warranty_ending`` (a CI's warranty ends within ``workflow_warranty_days``),
``asset_not_seen`` (a CI last seen more than ``workflow_not_seen_days`` ago) and
``stale_record`` (a CI record nobody changed for ``workflow_stale_days``).
``subscription_renewal`` starts a renewal from the licence position runs' renewal items
(subscriptions ending within 90/60/30 days or expired; collector/workflows/sam_triggers.py),
and ``license_over_deployment`` a remediation for each over_deployed exception a position run
opens (fired by collector/sam/run.py after the run, not from here).

Which template each trigger starts is ``workflow_triggers`` (trigger_config.py); a template that
is not loaded is a start-up warning and the trigger is skipped. A trigger never starts a second
running instance for the same subject: ``workflow_trigger_marks`` remembers what it started.
Everything is started as Stocktake (roles.SYSTEM), in batches of short transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import ServiceError
from collector.facts import register_consumer
from collector.models import (Asset, AuditException, CiMatch, CiState, ConfigurationItem, WorkflowInstance,
                              WorkflowTriggerMark, utcnow)
from collector.models.workflows import EventKind, InstanceStatus
from collector.workflows.bulk import open_for_exceptions
from collector.workflows.events import record_event
from collector.workflows.loading import Template, TemplateSet, templates_for
from collector.workflows.roles import SYSTEM
from collector.workflows.service import start_workflow
from collector.workflows.trigger_config import EVENT_TRIGGERS, Trigger, configured_triggers

__all__ = ["BATCH", "Subject", "TriggerResult", "fire", "on_facts_changed", "open_exception_workflows",
           "run_scheduled_triggers", "scheduled_triggers_job", "trigger_warnings"]

log = logging.getLogger(__name__)
BATCH = 200  # subjects per write transaction
SCAN_MAX = 50_000  # subjects one scheduled trigger considers per round (bounded; the next round goes on)
_CLOSED_CI = ("retired", "disposed")


@dataclass(frozen=True)
class Subject:
    """What a trigger fired about: a stable key for de-duplication and the ids a template may need."""

    key: str
    ci_id: int | None = None
    exception_id: int | None = None
    data: dict | None = None  # what the template's first task needs, for a subject that is no CI or exception


@dataclass
class TriggerResult:
    started: int = 0
    joined: int = 0
    skipped: int = 0  # a running instance exists already, or the template cannot take the subject


def trigger_warnings(config: CollectorConfig, templates: TemplateSet) -> list[str]:
    """What a configured trigger cannot do: its template is not loaded, or it has no data yet."""
    warnings = []
    for trigger, name in configured_triggers(config.workflow_triggers).items():
        if templates.get(name) is None:
            warnings.append(f"workflow trigger {trigger.value!r} names template {name!r}, which is not loaded; "
                            "the trigger is off")
    return warnings


def _active(config: CollectorConfig, templates: TemplateSet) -> dict[Trigger, Template]:
    return {t: templates.get(name) for t, name in configured_triggers(config.workflow_triggers).items()
            if templates.get(name) is not None}


# --- events -----------------------------------------------------------------------------------

def on_facts_changed(db: Database, config, change) -> None:
    """The facts consumer: the event triggers of one reconciliation run (and of the report that caused it)."""
    templates = templates_for(config)
    active = _active(config, templates)
    run = change.reconciliation
    if run is not None and run.run_id is not None and run.opened:
        _exception_events(db, templates, active, run.run_id, change.at)
    if Trigger.AGENT_FIRST_SEEN in active and change.asset_ids:
        _first_seen(db, templates, active[Trigger.AGENT_FIRST_SEEN], change.asset_ids, change.at)


def _exception_events(db: Database, templates: TemplateSet, active: dict[Trigger, Template], run_id: int,
                      now: datetime) -> None:
    with db.session() as session:
        opened = list(session.execute(select(AuditException.id, AuditException.ci_id, AuditException.kind,
                                             AuditException.subject_type, AuditException.subject_id)
                                      .where(AuditException.opened_run_id == run_id,
                                             AuditException.open_key.is_not(None)).order_by(AuditException.id)))
    if Trigger.EXCEPTION in active:
        for chunk in _chunks(opened, BATCH):
            with db.write() as session:
                open_exception_workflows(session, templates, active[Trigger.EXCEPTION].name,
                                         [row.id for row in chunk], now)
    if Trigger.UNMANAGED_DEVICE in active:
        subjects = [Subject(f"device:{r.subject_id}", r.ci_id, r.id) for r in opened
                    if r.kind == "unmanaged" and r.subject_type == "device"]
        _fire_in_batches(db, templates, Trigger.UNMANAGED_DEVICE, active[Trigger.UNMANAGED_DEVICE].name, subjects, now)


def _first_seen(db: Database, templates: TemplateSet, template: Template, asset_ids: tuple[int, ...],
                now: datetime) -> None:
    with db.session() as session:
        rows = session.execute(select(Asset.id, CiMatch.ci_id)
                               .outerjoin(CiMatch, (CiMatch.subject_type == "asset") & (CiMatch.subject_id == Asset.id))
                               .where(Asset.id.in_(asset_ids[:SCAN_MAX]), Asset.first_seen_at == Asset.last_seen_at))
        subjects = [Subject(f"asset:{asset_id}", ci_id) for asset_id, ci_id in rows]
    _fire_in_batches(db, templates, Trigger.AGENT_FIRST_SEEN, template.name, subjects, now, ever=True)


def open_exception_workflows(session: Session, templates: TemplateSet, template_name: str,
                             exception_ids: Iterable[int], now: datetime | None = None) -> TriggerResult:
    """Open a workflow for each exception, or join the running one for its CI (or subject) and kind.

    One query finds the running workflows of the template with their exceptions' keys, instead
    of one query per exception; the first new exception of a key opens the workflow and the
    others of that key (a duplicate pair) join it. The new workflows go in together
    (collector/workflows/bulk.py: thousands after a big run in seconds)."""
    now = now or utcnow()
    result = TriggerResult()
    exceptions = list(session.scalars(select(AuditException).where(AuditException.id.in_(list(exception_ids)))
                                      .order_by(AuditException.id)))
    running = _running_by_key(session, template_name, exceptions)
    openers, joiners = {}, []
    for exception in exceptions:
        key = _exception_key(exception.ci_id, exception.subject_type, exception.subject_id, exception.kind)
        if exception.id in running["ids"]:
            result.skipped += 1
        elif key in running["keys"] or key in openers:
            joiners.append((key, exception))
        else:
            openers[key] = exception
    opened = _open_many(session, templates, template_name, list(openers.values()), now)
    for key, exception in openers.items():
        if exception.id in opened:
            running["keys"][key], result.started = opened[exception.id], result.started + 1
        else:
            result.skipped += 1
    for key, exception in joiners:
        if key not in running["keys"]:  # its opener was skipped (resolved meanwhile)
            result.skipped += 1
            continue
        instance = session.get(WorkflowInstance, running["keys"][key])
        record_event(session, instance, EventKind.EXCEPTION_JOINED.value, SYSTEM, now,
                     detail={"exception_id": exception.id, "kind": exception.kind})
        result.joined += 1
    return result


def _open_many(session: Session, templates: TemplateSet, template_name: str, exceptions: list,
               now: datetime) -> dict[int, int]:
    """exception id -> the workflow opened for it now, with its trigger mark."""
    template = templates.get(template_name)
    if template.subject != "exception":  # a site's template about something else: one at a time
        started = {}
        for exception in exceptions:
            instance = _start(session, templates, template_name, Trigger.EXCEPTION,
                              Subject(f"exception:{exception.id}", exception.ci_id, exception.id), now)
            if instance is not None:
                started[exception.id] = instance.id
        return started
    opened = open_for_exceptions(session, template, [e.id for e in exceptions], now)
    if opened:
        session.execute(insert(WorkflowTriggerMark.__table__), [
            {"instance_id": instance_id, "trigger": Trigger.EXCEPTION.value, "subject": f"exception:{exception_id}",
             "fired_at": now} for exception_id, instance_id in opened.items()])
    return opened


def _exception_key(ci_id, subject_type, subject_id, kind) -> tuple:
    return ("ci", ci_id, kind) if ci_id is not None else (subject_type, subject_id, kind)


def _running_by_key(session: Session, template_name: str, exceptions: list) -> dict:
    """The running workflows of the template whose opening exception shares a key with ``exceptions``.

    Only this batch's keys are looked up (by CI, else by subject, both indexed): reading every
    running workflow per batch made a first scan of 65,536 unmanaged devices quadratic (minutes).
    Template and status are checked on the few rows found, so that the planner drives the query
    from the exception ids' index, not from the status index that matches every running workflow.
    """
    ci_ids = sorted({e.ci_id for e in exceptions if e.ci_id is not None})
    subjects = {(e.subject_type, e.subject_id) for e in exceptions if e.ci_id is None}
    candidates = []
    for chunk in _id_chunks(ci_ids):
        candidates += session.execute(_KEY_COLUMNS.where(AuditException.ci_id.in_(chunk))).all()
    for subject_type in sorted({t for t, _ in subjects}, key=str):
        ids = sorted(i for t, i in subjects if t == subject_type and i is not None)
        matches = [AuditException.subject_id.in_(chunk) for chunk in _id_chunks(ids)]
        if (subject_type, None) in subjects:
            matches.append(AuditException.subject_id.is_(None))
        for match in matches:
            candidates += session.execute(_KEY_COLUMNS.where(AuditException.ci_id.is_(None),
                                                             AuditException.subject_type == subject_type, match)).all()
    by_exception = {row[0]: row for row in candidates}
    keys, ids = {}, set()
    instances = []
    for chunk in _id_chunks(sorted(by_exception)):
        instances += session.execute(select(WorkflowInstance.id, WorkflowInstance.exception_id, WorkflowInstance.template,
                                            WorkflowInstance.status)
                                     .where(WorkflowInstance.exception_id.in_(chunk))).all()
    for instance_id, exception_id, template, status in sorted(instances):
        if template != template_name or status != InstanceStatus.RUNNING.value:
            continue
        _, ci_id, subject_type, subject_id, kind = by_exception[exception_id]
        keys.setdefault(_exception_key(ci_id, subject_type, subject_id, kind), instance_id)
        ids.add(exception_id)
    return {"keys": keys, "ids": ids}


_KEY_COLUMNS = select(AuditException.id, AuditException.ci_id, AuditException.subject_type, AuditException.subject_id,
                      AuditException.kind)
_ID_CHUNK = 1000  # ids per IN (...): well under SQLite's bound-parameter limit


def _id_chunks(ids: list[int]):
    for start in range(0, len(ids), _ID_CHUNK):
        yield ids[start:start + _ID_CHUNK]


# --- starting, once per subject -----------------------------------------------------------------

def fire(session: Session, templates: TemplateSet, trigger: Trigger, template_name: str,
         subjects: list[Subject], now: datetime, ever: bool = False) -> TriggerResult:
    """Start ``template_name`` for each subject that has no running instance from this trigger
    (``ever``: that never had one; a one-off event such as an agent's first report)."""
    result = TriggerResult()
    taken = _marked(session, trigger, [s.key for s in subjects], ever)
    for subject in subjects:
        if subject.key in taken:
            result.skipped += 1
            continue
        if _start(session, templates, template_name, trigger, subject, now) is None:
            result.skipped += 1
            continue
        taken.add(subject.key)
        result.started += 1
    return result


def _marked(session: Session, trigger: Trigger, keys: list[str], ever: bool) -> set[str]:
    query = select(WorkflowTriggerMark.subject).where(WorkflowTriggerMark.trigger == trigger.value,
                                                      WorkflowTriggerMark.subject.in_(keys))
    if not ever:
        query = query.join(WorkflowInstance, WorkflowInstance.id == WorkflowTriggerMark.instance_id).where(
            WorkflowInstance.status == InstanceStatus.RUNNING.value)
    return set(session.scalars(query))


def _start(session: Session, templates: TemplateSet, template_name: str, trigger: Trigger, subject: Subject,
           now: datetime) -> WorkflowInstance | None:
    template = templates.get(template_name)
    kwargs = {"exception": {"exception_id": subject.exception_id}, "ci": {"ci_id": subject.ci_id}}.get(
        template.subject, {})
    if any(v is None for v in kwargs.values()):
        return None  # e.g. a CI template for an unmanaged device, which has no CI yet
    try:  # start_workflow refuses before it adds anything, so the batch goes on
        instance = start_workflow(session, templates, template_name, SYSTEM, now=now, data=subject.data, **kwargs)
    except ServiceError as exc:  # the subject changed meanwhile (resolved, already running): skip it
        log.info("workflow trigger skipped a subject", extra={"trigger": trigger.value, "subject": subject.key,
                                                             "reason": exc.message})
        return None
    session.add(WorkflowTriggerMark(instance_id=instance.id, trigger=trigger.value, subject=subject.key, fired_at=now))
    return instance


def _fire_in_batches(db: Database, templates: TemplateSet, trigger: Trigger, template_name: str,
                     subjects: list[Subject], now: datetime, ever: bool = False) -> TriggerResult:
    total = TriggerResult()
    for chunk in _chunks(subjects, BATCH):
        with db.write() as session:
            result = fire(session, templates, trigger, template_name, chunk, now, ever)
        total.started, total.skipped = total.started + result.started, total.skipped + result.skipped
    if total.started:
        log.warning("workflows started by a trigger", extra={"trigger": trigger.value, "started": total.started})
    return total


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- schedules ----------------------------------------------------------------------------------

def _scheduled_subjects(session: Session, config: CollectorConfig, trigger: Trigger, now: datetime) -> list[Subject]:
    open_ci = ConfigurationItem.status.not_in(_CLOSED_CI)
    if trigger == Trigger.WARRANTY_ENDING:
        today = now.date()
        query = select(ConfigurationItem.id).where(
            open_ci, ConfigurationItem.warranty_end >= today,
            ConfigurationItem.warranty_end <= today + timedelta(days=config.workflow_warranty_days))
    elif trigger == Trigger.ASSET_NOT_SEEN:
        query = (select(CiState.ci_id).join(ConfigurationItem, ConfigurationItem.id == CiState.ci_id)
                 .where(open_ci, CiState.last_seen_at < now - timedelta(days=config.workflow_not_seen_days)))
    elif trigger == Trigger.STALE_RECORD:
        query = select(ConfigurationItem.id).where(
            open_ci, ConfigurationItem.updated_at < now - timedelta(days=config.workflow_stale_days))
    elif trigger == Trigger.SUBSCRIPTION_RENEWAL:
        from collector.workflows.sam_triggers import renewal_subjects

        return renewal_subjects(session)
    else:
        return []
    column = query.selected_columns[0]
    return [Subject(f"ci:{ci_id}", ci_id) for ci_id in session.scalars(query.order_by(column).limit(SCAN_MAX))]


def run_scheduled_triggers(db: Database, config: CollectorConfig,
                           now: datetime | None = None) -> dict[str, TriggerResult]:
    """One round of every configured schedule trigger; trigger -> what it did."""
    now = now or utcnow()
    templates = templates_for(config)
    results = {}
    for trigger, template in _active(config, templates).items():
        if trigger in EVENT_TRIGGERS:
            continue
        with db.session() as session:
            subjects = _scheduled_subjects(session, config, trigger, now)
        results[trigger.value] = _fire_in_batches(db, templates, trigger, template.name, subjects, now)
        if trigger == Trigger.SUBSCRIPTION_RENEWAL:
            from collector.workflows.sam_triggers import link_renewal_items

            with db.write() as session:
                link_renewal_items(session)
    return results


def scheduled_triggers_job(db: Database, config: CollectorConfig) -> None:
    """The jobs leader's schedule (``workflow_triggers_interval_s``)."""
    try:
        run_scheduled_triggers(db, config)
    except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
        log.exception("scheduled workflow triggers failed")


register_consumer("workflow_triggers", on_facts_changed)
