"""Reconciliation runs: identify every subject, evaluate outcomes, write only what changed.

A full run reads the whole fleet and CMDB and is the authority; an incremental run (after
one report) re-identifies that report's subject against the CIs its identifiers could
match and re-evaluates only those CIs, so it costs a few indexed queries. Writing is a diff
against what the previous run stored: unchanged answers cost nothing, a changed match is
one row, an exception whose condition cleared is resolved with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from collector.models.reconcile import AuditException, CiMatch, CiState, ReconcileRun
from collector.reconcile.loading import candidate_ci_ids, load_cis, load_subjects, related_subject_keys
from collector.reconcile.matching import CiIndex, FleetFacts, identify
from collector.reconcile.outcomes import ExceptionSpec, Outcomes, evaluate
from collector.reconcile.rules import ReconcileRules

__all__ = ["RunResult", "reconcile_full", "reconcile_subjects"]

_CHUNK = 500


@dataclass(frozen=True)
class RunResult:
    run_id: int | None  # None for a dry run
    mode: str
    subjects: int
    counts: dict[str, int]
    opened: int
    resolved: int
    outcomes: Outcomes


def reconcile_full(session: Session, rules: ReconcileRules, now: datetime, dry_run: bool = False) -> RunResult:
    subjects = load_subjects(session)
    cis = load_cis(session)
    index, facts = CiIndex(cis), FleetFacts.of(subjects, rules)
    identifications = {s.key: identify(s, index, facts, rules) for s in subjects}
    outcomes = evaluate(subjects, identifications, cis, facts, rules, now)
    return _finish(session, "full", outcomes, now, dry_run, scope=None)


def reconcile_subjects(session: Session, rules: ReconcileRules, now: datetime, asset_ids: list[int] = (),
                       device_ids: list[int] = (), dry_run: bool = False) -> RunResult:
    """The incremental run: re-identify these subjects and re-evaluate the CIs they touch (before and after)."""
    targets = load_subjects(session, list(asset_ids), list(device_ids))
    target_keys = {s.key for s in targets}
    related_assets, related_devices = related_subject_keys(session, targets)
    related = load_subjects(session, sorted(related_assets - set(asset_ids)), sorted(related_devices - set(device_ids)))
    previous = _stored_matches(session, target_keys)
    ci_ids = candidate_ci_ids(session, targets) | {ci_id for ci_id, _ in previous.values() if ci_id}
    cis = load_cis(session, sorted(ci_ids))
    index, facts = CiIndex(cis), FleetFacts.of(targets + related, rules)
    identifications = {s.key: identify(s, index, facts, rules) for s in targets}
    # Other subjects already matched to these CIs count for their state as the last full run judged them.
    others = _matched_to(session, ci_ids, exclude=target_keys)
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
    scope = _Scope(ci_ids=set(ci_ids), subjects=target_keys, clone_keys=_clone_keys(targets))
    return _finish(session, "incremental", outcomes, now, dry_run, scope)


def _carried(ci):
    from collector.reconcile.matching import Identification

    return Identification("matched", ci, None, "as matched by the last full run")


def _identifiers(subjects) -> set[str]:
    from collector.reconcile.records import serial_key

    return {s.uuid for s in subjects if s.uuid} | {serial_key(s.serial) for s in subjects if s.serial}


def _clone_keys(subjects) -> set[str]:
    from collector.reconcile.records import serial_key

    return ({f"cloned_identity:uuid:{s.uuid}" for s in subjects if s.uuid}
            | {f"cloned_identity:serial:{serial_key(s.serial)}" for s in subjects if s.serial})


@dataclass(frozen=True)
class _Scope:
    ci_ids: set[int]
    subjects: set[tuple[str, int]]
    clone_keys: set[str]


def _stored_matches(session: Session, keys: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int | None, str]]:
    found = {}
    for chunk in _chunked(sorted(keys)):
        rows = session.execute(select(CiMatch.subject_type, CiMatch.subject_id, CiMatch.ci_id, CiMatch.explanation)
                               .where(tuple_(CiMatch.subject_type, CiMatch.subject_id).in_(chunk)))
        found.update(((t, i), (ci_id, text)) for t, i, ci_id, text in rows)
    return found


def _matched_to(session: Session, ci_ids: set[int], exclude: set) -> dict[tuple[str, int], int]:
    found = {}
    for chunk in _chunked(sorted(ci_ids)):
        rows = session.execute(select(CiMatch.subject_type, CiMatch.subject_id, CiMatch.ci_id)
                               .where(CiMatch.ci_id.in_(chunk), CiMatch.outcome == "matched"))
        found.update(((t, i), ci_id) for t, i, ci_id in rows if (t, i) not in exclude)
    return found


def _chunked(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _finish(session: Session, mode: str, outcomes: Outcomes, now: datetime, dry_run: bool, scope: _Scope | None) -> RunResult:
    counts = outcomes.counts()
    if dry_run:
        return RunResult(None, mode, len(outcomes.matches), counts, 0, 0, outcomes)
    run_id = session.execute(insert(ReconcileRun).values(mode=mode, started_at=now, status="running",
                                                         subjects=len(outcomes.matches), counts={})
                             .returning(ReconcileRun.id)).scalar_one()
    _write_matches(session, outcomes, run_id, now, scope)
    _write_states(session, outcomes, run_id, scope)
    opened, resolved = _write_exceptions(session, outcomes, run_id, now, scope)
    session.execute(update(ReconcileRun).where(ReconcileRun.id == run_id).values(
        status="finished", finished_at=now, counts={**counts, "opened": opened, "resolved": resolved}))
    return RunResult(run_id, mode, len(outcomes.matches), counts, opened, resolved, outcomes)


def _write_matches(session: Session, outcomes: Outcomes, run_id: int, now: datetime, scope: _Scope | None) -> None:
    stored = {}
    query = select(CiMatch.id, CiMatch.subject_type, CiMatch.subject_id, CiMatch.ci_id, CiMatch.outcome,
                   CiMatch.rule, CiMatch.explanation)
    if scope is None:
        rows = session.execute(query)
    else:
        rows = [row for chunk in _chunked(sorted(scope.subjects))
                for row in session.execute(query.where(tuple_(CiMatch.subject_type, CiMatch.subject_id).in_(chunk)))]
    for row in rows:
        stored[(row.subject_type, row.subject_id)] = row
    inserts, changed = [], []
    for key, identification in outcomes.matches.items():
        values = (identification.ci.id if identification.ci else None, identification.outcome, identification.rule,
                  identification.explanation)
        old = stored.pop(key, None)
        if old is None:
            inserts.append({"subject_type": key[0], "subject_id": key[1], "ci_id": values[0], "outcome": values[1],
                            "rule": values[2], "explanation": values[3], "run_id": run_id, "updated_at": now})
        elif (old.ci_id, old.outcome, old.rule, old.explanation) != values:
            changed.append({"id": old.id, "ci_id": values[0], "outcome": values[1], "rule": values[2],
                            "explanation": values[3], "run_id": run_id, "updated_at": now})
    gone = [row.id for row in stored.values()]  # subjects that no longer exist
    for chunk in _chunked(gone):
        session.execute(delete(CiMatch).where(CiMatch.id.in_(chunk)))
    if inserts:
        session.execute(insert(CiMatch), inserts)
    if changed:
        session.execute(update(CiMatch), changed)


def _write_states(session: Session, outcomes: Outcomes, run_id: int, scope: _Scope | None) -> None:
    query = select(CiState.ci_id, CiState.observed, CiState.last_seen_at)
    if scope is None:
        stored = {row.ci_id: row for row in session.execute(query)}
    else:
        stored = {row.ci_id: row for chunk in _chunked(sorted(scope.ci_ids))
                  for row in session.execute(query.where(CiState.ci_id.in_(chunk)))}
    inserts, changed = [], []
    for ci_id, state in outcomes.states.items():
        old = stored.pop(ci_id, None)
        values = {"observed": state["observed"], "last_seen_at": state["last_seen_at"], "run_id": run_id}
        if old is None:
            inserts.append({"ci_id": ci_id, **values})
        elif (old.observed, old.last_seen_at) != (state["observed"], state["last_seen_at"]):
            changed.append({"ci_id": ci_id, **values})
    if scope is None:
        for chunk in _chunked(sorted(stored)):
            session.execute(delete(CiState).where(CiState.ci_id.in_(chunk)))
    if inserts:
        session.execute(insert(CiState), inserts)
    if changed:
        session.execute(update(CiState), changed)


def _write_exceptions(session: Session, outcomes: Outcomes, run_id: int, now: datetime,
                      scope: _Scope | None) -> tuple[int, int]:
    query = select(AuditException.id, AuditException.open_key, AuditException.summary, AuditException.evidence,
                   AuditException.ci_id, AuditException.subject_type, AuditException.subject_id,
                   AuditException.kind).where(AuditException.open_key.is_not(None))
    if scope is None:
        judged = list(session.execute(query))
        existing = {row.open_key: row for row in judged}
    else:
        # The slice judges CI-level findings for its CIs, subject-level ones for its targets, and clone
        # findings for its identifiers; anything else stays as the last full run left it.
        judged = []
        for chunk in _chunked(sorted(scope.ci_ids)):
            judged += session.execute(query.where(AuditException.ci_id.in_(chunk),
                                                  AuditException.kind.in_(("missing", "drift"))))
        for chunk in _chunked(sorted(scope.subjects)):
            judged += session.execute(query.where(
                tuple_(AuditException.subject_type, AuditException.subject_id).in_(chunk),
                AuditException.kind.in_(("unmanaged", "duplicate", "conflict"))))
        if scope.clone_keys:
            judged += session.execute(query.where(AuditException.open_key.in_(sorted(scope.clone_keys))))
        existing = {row.open_key: row for row in judged}
        for chunk in _chunked(sorted(outcomes.exceptions)):
            existing.update((row.open_key, row) for row in session.execute(query.where(AuditException.open_key.in_(chunk))))
    stored = {row.open_key: row for row in judged}
    inserts, changed, resolved = [], [], []
    for key, spec in outcomes.exceptions.items():
        stored.pop(key, None)
        old = existing.get(key)
        if old is None:
            inserts.append(_exception_row(spec, run_id, now))
        elif (old.summary, old.evidence, old.ci_id) != (spec.summary, spec.evidence, spec.ci_id):
            changed.append({"id": old.id, "summary": spec.summary, "evidence": spec.evidence, "ci_id": spec.ci_id,
                            "updated_at": now})
    for old in stored.values():
        resolved.append({"id": old.id, "status": "resolved", "open_key": None, "resolved_at": now,
                         "resolved_run_id": run_id, "updated_at": now,
                         "resolution_note": f"Resolved by reconciliation run {run_id}: {_cleared(old.kind)}"})
    if resolved:
        session.execute(update(AuditException), resolved)
    if inserts:
        session.execute(insert(AuditException), inserts)
    if changed:
        session.execute(update(AuditException), changed)
    return len(inserts), len(resolved)


def _exception_row(spec: ExceptionSpec, run_id: int, now: datetime) -> dict:
    return {"kind": spec.kind, "status": "open", "open_key": spec.key, "ci_id": spec.ci_id,
            "subject_type": spec.subject[0] if spec.subject else None,
            "subject_id": spec.subject[1] if spec.subject else None, "summary": spec.summary,
            "evidence": spec.evidence, "opened_at": now, "updated_at": now, "opened_run_id": run_id}


_CLEARED = {
    "unmanaged": "the subject now matches a CI, or is no longer seen",
    "missing": "the CI has been seen again, or is no longer deployed",
    "drift": "the register and the observations agree again",
    "duplicate": "only one CI claims the identifier now",
    "conflict": "the identifiers no longer point at different CIs",
    "cloned_identity": "the identifier is reported by one machine only now",
}


def _cleared(kind: str) -> str:
    return _CLEARED.get(kind, "the condition cleared")
