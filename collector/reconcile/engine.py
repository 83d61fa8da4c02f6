"""Reconciliation runs: identify every subject, evaluate outcomes, write only what changed.

A full run reads the whole fleet and CMDB and is the authority; an incremental run (after
one report) re-identifies that report's subject against the CIs its identifiers could
match and re-evaluates only those CIs, so it costs a few indexed queries. Writing is a diff
against what the previous run stored: unchanged answers cost nothing, a changed match is
one row, an exception whose condition cleared is resolved with a note saying so.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from collector.reconcile import ports, store
from collector.reconcile.loading import (candidate_ci_ids, load_cis, load_subjects, related_subject_keys,
                                        with_machine_facts)
from collector.reconcile.matching import CiIndex, FleetFacts, Identification, identify
from collector.reconcile.outcomes import Outcomes, evaluate
from collector.reconcile.records import CiRecord, Subject, serial_key
from collector.reconcile.register import register_duplicates
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
    duration_ms: int = 0  # measured wall time


def reconcile_full(session: Session, rules: ReconcileRules, now: datetime, dry_run: bool = False,
                   exception_scope: ExceptionScope | None = None) -> RunResult:
    # A full run builds a few million small objects that hold no reference cycles; the cyclic
    # collector would rescan them all again and again (a third of the run at 100,000 CIs).
    started = time.perf_counter()
    collecting = gc.isenabled()
    gc.disable()
    try:
        subjects = with_machine_facts(session, load_subjects(session))
        cis = load_cis(session)
        index, facts = CiIndex(cis), FleetFacts.of(subjects, rules)
        identifications = {s.key: identify(s, index, facts, rules) for s in subjects}
        switches = ports.switch_ids(subjects)
        if switches:
            subjects = ports.located(subjects, {i: m.ci for (kind, i), m in identifications.items()
                                                if kind == "device" and i in switches and m.ci is not None})
        outcomes = evaluate(subjects, identifications, cis, facts, rules, now)
        register_duplicates(index, facts, outcomes)
        if exception_scope is not None:
            apply_scope(session, exception_scope, outcomes, {ci.id: ci for ci in cis})
        return _finish(session, "full", outcomes, now, dry_run, scope=None, started=started)
    finally:
        if collecting:
            gc.enable()


def reconcile_subjects(session: Session, rules: ReconcileRules, now: datetime, asset_ids: list[int] = (),
                       device_ids: list[int] = (), dry_run: bool = False,
                       exception_scope: ExceptionScope | None = None) -> RunResult:
    """The incremental run: re-identify these subjects and re-evaluate the CIs they touch (before and after)."""
    started = time.perf_counter()
    targets = load_subjects(session, list(asset_ids), list(device_ids))
    target_keys = {s.key for s in targets}
    related_assets, related_devices = related_subject_keys(session, targets)
    related = load_subjects(session, sorted(related_assets - set(asset_ids)), sorted(related_devices - set(device_ids)))
    connection = session.connection()
    previous = store.stored_matches(connection, target_keys)
    ci_ids = candidate_ci_ids(session, targets) | {row.ci_id for row in previous.values() if row.ci_id}
    cis = load_cis(session, sorted(ci_ids))
    index, facts = CiIndex(cis), FleetFacts.of(with_machine_facts(session, targets + related), rules)
    identifications = {s.key: identify(s, index, facts, rules) for s in targets}
    # Other subjects already matched to these CIs count for their state as the last full run judged them.
    others = store.matched_to(connection, ci_ids, exclude=target_keys)
    other_subjects = load_subjects(session, [i for t, i in others if t == "asset"], [i for t, i in others if t == "device"])
    for subject in other_subjects:
        ci = index.by_id.get(others[subject.key])
        if ci is not None:
            identifications[subject.key] = _carried(ci)
    scope_subjects = _located(session, targets + other_subjects)
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
    return _finish(session, "incremental", outcomes, now, dry_run, scope, started)


def _located(session: Session, subjects: list[Subject]) -> list[Subject]:
    """Switch-port locations from the CIs the switches were matched to by the runs so far."""
    switches = ports.switch_ids(subjects)
    if not switches:
        return subjects
    matched = store.stored_matches(session.connection(), {("device", i) for i in switches})
    cis = {ci.id: ci for ci in load_cis(session, sorted({row.ci_id for row in matched.values() if row.ci_id}))}
    return ports.located(subjects, {key[1]: cis[row.ci_id] for key, row in matched.items()
                                    if row.outcome == "matched" and row.ci_id in cis})


def _carried(ci: CiRecord) -> Identification:
    return Identification("matched", ci, None, "as matched by the last full run")


def _identifiers(subjects: list[Subject]) -> set[str]:
    return {s.uuid for s in subjects if s.uuid} | {serial_key(s.serial) for s in subjects if s.serial}


def _clone_keys(subjects: list[Subject]) -> set[str]:
    return ({f"cloned_identity:uuid:{s.uuid}" for s in subjects if s.uuid}
            | {f"cloned_identity:serial:{serial_key(s.serial)}" for s in subjects if s.serial})


def _finish(session: Session, mode: str, outcomes: Outcomes, now: datetime, dry_run: bool,
            scope: store.Scope | None, started: float) -> RunResult:
    """Write the run's answer; the run row keeps its real duration (``now`` is the run's clock, which
    tests and replays fix, so started_at and finished_at alone cannot say how long it took)."""
    counts = outcomes.counts()
    if dry_run:
        return RunResult(None, mode, len(outcomes.matches), counts, 0, 0, outcomes, _elapsed_ms(started))
    connection = session.connection()
    run_id = store.start_run(connection, mode, len(outcomes.matches), now)
    store.write_matches(connection, outcomes, run_id, now, scope)
    store.write_states(connection, outcomes, run_id, scope)
    opened, resolved = store.write_exceptions(connection, outcomes, run_id, now, scope)
    if outcomes.quieted is not None:
        write_quieted(connection, outcomes, run_id, now, scope and scope.ci_ids, scope and scope.subjects)
    duration_ms = _elapsed_ms(started)
    store.finish_run(connection, run_id, {**counts, "opened": opened, "resolved": resolved}, now, duration_ms)
    return RunResult(run_id, mode, len(outcomes.matches), counts, opened, resolved, outcomes, duration_ms)


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
