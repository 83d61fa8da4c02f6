"""Reconciliation runs: identify every subject, evaluate outcomes, write only what changed.

A full run reads the whole fleet and CMDB and is the authority; an incremental run (after
one report) re-identifies that report's subject against the CIs its identifiers could
match and re-evaluates only those CIs, so it costs a few indexed queries. Writing is a diff
against what the previous run stored: unchanged answers cost nothing, a changed match is
one row, an exception whose condition cleared is resolved with a note saying so.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from collector.reconcile import store
from collector.reconcile.loading import candidate_ci_ids, load_cis, load_subjects, related_subject_keys
from collector.reconcile.matching import CiIndex, FleetFacts, Identification, identify
from collector.reconcile.outcomes import Outcomes, evaluate
from collector.reconcile.records import CiRecord, Subject, serial_key
from collector.reconcile.rules import ReconcileRules
from collector.reconcile.scoping import ExceptionScope, apply_scope, write_quieted

__all__ = ["RunResult", "reconcile_full", "reconcile_subjects"]

@dataclass(frozen=True)
class RunResult:
    run_id: int | None  # None for a dry run
    mode: str
    subjects: int
    counts: dict[str, int]
    opened: int
    resolved: int
    outcomes: Outcomes


def reconcile_full(session: Session, rules: ReconcileRules, now: datetime, dry_run: bool = False,
                   exception_scope: ExceptionScope | None = None) -> RunResult:
    # A full run builds a few million small objects that hold no reference cycles; the cyclic
    # collector would rescan them all again and again (a third of the run at 100,000 CIs).
    collecting = gc.isenabled()
    gc.disable()
    try:
        subjects = load_subjects(session)
        cis = load_cis(session)
        index, facts = CiIndex(cis), FleetFacts.of(subjects, rules)
        identifications = {s.key: identify(s, index, facts, rules) for s in subjects}
        outcomes = evaluate(subjects, identifications, cis, facts, rules, now)
        if exception_scope is not None:
            apply_scope(session, exception_scope, outcomes, {ci.id: ci for ci in cis})
        return _finish(session, "full", outcomes, now, dry_run, scope=None)
    finally:
        if collecting:
            gc.enable()


def reconcile_subjects(session: Session, rules: ReconcileRules, now: datetime, asset_ids: list[int] = (),
                       device_ids: list[int] = (), dry_run: bool = False,
                       exception_scope: ExceptionScope | None = None) -> RunResult:
    """The incremental run: re-identify these subjects and re-evaluate the CIs they touch (before and after)."""
    targets = load_subjects(session, list(asset_ids), list(device_ids))
    target_keys = {s.key for s in targets}
    related_assets, related_devices = related_subject_keys(session, targets)
    related = load_subjects(session, sorted(related_assets - set(asset_ids)), sorted(related_devices - set(device_ids)))
    connection = session.connection()
    previous = store.stored_matches(connection, target_keys)
    ci_ids = candidate_ci_ids(session, targets) | {row.ci_id for row in previous.values() if row.ci_id}
    cis = load_cis(session, sorted(ci_ids))
    index, facts = CiIndex(cis), FleetFacts.of(targets + related, rules)
    identifications = {s.key: identify(s, index, facts, rules) for s in targets}
    # Other subjects already matched to these CIs count for their state as the last full run judged them.
    others = store.matched_to(connection, ci_ids, exclude=target_keys)
    other_subjects = load_subjects(session, [i for t, i in others if t == "asset"], [i for t, i in others if t == "device"])
    for subject in other_subjects:
        ci = index.by_id.get(others[subject.key])
        if ci is not None:
            identifications[subject.key] = _carried(ci)
    scope_subjects = targets + other_subjects
    outcomes = evaluate(scope_subjects, identifications, cis, facts, rules, now)
    # Keep only clone findings about the targets' own identifiers: the slice cannot judge others.
    outcomes.exceptions = {k: v for k, v in outcomes.exceptions.items()
                           if v.kind != "cloned_identity" or v.evidence.get("identifier") in _identifiers(targets)}
    outcomes.exceptions = {k: v for k, v in outcomes.exceptions.items()
                           if v.kind in ("missing", "drift", "cloned_identity") or v.subject in target_keys}
    outcomes.matches = {k: v for k, v in outcomes.matches.items() if k in target_keys}
    if exception_scope is not None:
        apply_scope(session, exception_scope, outcomes, {ci.id: ci for ci in cis})
    scope = store.Scope(ci_ids=set(ci_ids), subjects=target_keys, clone_keys=_clone_keys(targets), previous=previous)
    return _finish(session, "incremental", outcomes, now, dry_run, scope)


def _carried(ci: CiRecord) -> Identification:
    return Identification("matched", ci, None, "as matched by the last full run")


def _identifiers(subjects: list[Subject]) -> set[str]:
    return {s.uuid for s in subjects if s.uuid} | {serial_key(s.serial) for s in subjects if s.serial}


def _clone_keys(subjects: list[Subject]) -> set[str]:
    return ({f"cloned_identity:uuid:{s.uuid}" for s in subjects if s.uuid}
            | {f"cloned_identity:serial:{serial_key(s.serial)}" for s in subjects if s.serial})


def _finish(session: Session, mode: str, outcomes: Outcomes, now: datetime, dry_run: bool,
            scope: store.Scope | None) -> RunResult:
    counts = outcomes.counts()
    if dry_run:
        return RunResult(None, mode, len(outcomes.matches), counts, 0, 0, outcomes)
    connection = session.connection()
    run_id = store.start_run(connection, mode, len(outcomes.matches), now)
    store.write_matches(connection, outcomes, run_id, now, scope)
    store.write_states(connection, outcomes, run_id, scope)
    opened, resolved = store.write_exceptions(connection, outcomes, run_id, now, scope)
    if outcomes.quieted is not None:
        write_quieted(connection, outcomes, run_id, now, scope and scope.ci_ids, scope and scope.subjects)
    store.finish_run(connection, run_id, {**counts, "opened": opened, "resolved": resolved}, now)
    return RunResult(run_id, mode, len(outcomes.matches), counts, opened, resolved, outcomes)
