"""Writing a run's answer as a diff against what the previous runs stored.

Core statements on the tables, built once: an incremental run after one report issues a
couple of dozen small statements, and building ORM statements each time costs more than
the database takes to answer them. Each writer reads what is stored for its scope (all,
or the slice an incremental run judges), then inserts what is new, updates what changed
(compared by a digest, not by decoding JSON), and deletes or resolves what is gone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, Connection, and_, bindparam, or_, delete, insert, select, update

from collector.db import chunked_lists
from collector.models.reconcile import AuditException, CiMatch, CiState, ReconcileRun
from collector.reconcile.outcomes import Outcomes

__all__ = ["RECONCILE_KINDS", "BulkInsert", "Scope", "digest", "finish_run", "matched_to", "start_run", "stored_matches", "write_exceptions",
           "write_matches", "write_states"]

_CHUNK = 500
_M, _S, _E, _R = CiMatch.__table__, CiState.__table__, AuditException.__table__, ReconcileRun.__table__
_IDS = bindparam("ids", expanding=True)

_MATCH_COLUMNS = select(_M.c.id, _M.c.subject_type, _M.c.subject_id, _M.c.ci_id, _M.c.outcome, _M.c.rule,
                        _M.c.explanation)
_MATCHES_OF = _MATCH_COLUMNS.where(_M.c.subject_type == bindparam("type"), _M.c.subject_id.in_(_IDS))
_MATCHES_TO = select(_M.c.subject_type, _M.c.subject_id, _M.c.ci_id).where(_M.c.ci_id.in_(_IDS),
                                                                           _M.c.outcome == "matched")
_UPDATE_MATCH = update(_M).where(_M.c.id == bindparam("b_id")).values(
    ci_id=bindparam("ci_id"), outcome=bindparam("outcome"), rule=bindparam("rule"),
    explanation=bindparam("explanation"), run_id=bindparam("run_id"), updated_at=bindparam("updated_at"))
_DELETE_MATCHES = delete(_M).where(_M.c.id.in_(_IDS))

_STATE_COLUMNS = select(_S.c.ci_id, _S.c.fingerprint, _S.c.last_seen_at)
_STATES_OF = _STATE_COLUMNS.where(_S.c.ci_id.in_(_IDS))
_UPDATE_STATE = update(_S).where(_S.c.ci_id == bindparam("b_ci_id")).values(
    observed=bindparam("observed"), fingerprint=bindparam("fingerprint"), last_seen_at=bindparam("last_seen_at"),
    run_id=bindparam("run_id"))
_DELETE_STATES = delete(_S).where(_S.c.ci_id.in_(_IDS))

_CI_LEVEL, _SUBJECT_LEVEL = ("missing", "drift"), ("unmanaged", "duplicate", "conflict")
# The kinds reconciliation opens and resolves. Others share the table (licence positions'
# over_deployed, collector/sam/compliance.py) and a full run must not resolve them.
RECONCILE_KINDS = (*_CI_LEVEL, *_SUBJECT_LEVEL, "cloned_identity")
_OPEN = select(_E.c.id, _E.c.open_key, _E.c.fingerprint, _E.c.kind, _E.c.ci_id, _E.c.subject_type,
               _E.c.subject_id).where(_E.c.open_key.is_not(None), _E.c.kind.in_(RECONCILE_KINDS))
_OPEN_IN_SCOPE = _OPEN.where(or_(
    and_(_E.c.ci_id.in_(bindparam("ci_ids", expanding=True)), _E.c.kind.in_(_CI_LEVEL)),
    and_(_E.c.subject_type == "asset", _E.c.subject_id.in_(bindparam("asset_ids", expanding=True)),
         _E.c.kind.in_(_SUBJECT_LEVEL)),
    and_(_E.c.subject_type == "device", _E.c.subject_id.in_(bindparam("device_ids", expanding=True)),
         _E.c.kind.in_(_SUBJECT_LEVEL)),
    _E.c.open_key.in_(bindparam("keys", expanding=True)),
))
_RESOLVE = update(_E).where(_E.c.id == bindparam("b_id")).values(
    status="resolved", open_key=None, resolved_at=bindparam("at"), updated_at=bindparam("at"),
    resolved_run_id=bindparam("run_id"), resolution_note=bindparam("note"))
_REFRESH = update(_E).where(_E.c.id == bindparam("b_id")).values(
    summary=bindparam("summary"), evidence=bindparam("evidence"), ci_id=bindparam("ci_id"),
    subject_type=bindparam("subject_type"), subject_id=bindparam("subject_id"), fingerprint=bindparam("fingerprint"),
    updated_at=bindparam("at"))

_CLEARED = {
    "unmanaged": "the subject now matches a CI, or is no longer seen",
    "missing": "the CI has been seen again, or is no longer deployed",
    "drift": "the register and the observations agree again",
    "duplicate": "only one CI claims the identifier now",
    "conflict": "the identifiers no longer point at different CIs",
    "cloned_identity": "the identifier is reported by one machine only now",
}


class Scope:
    """What an incremental run may judge: its CIs' CI-level findings, its targets' subject-level ones,
    the clone findings about its targets' identifiers. ``None`` everywhere means a full run."""

    def __init__(self, ci_ids: set[int], subjects: set[tuple[str, int]], clone_keys: set[str],
                 previous: dict | None = None) -> None:
        self.ci_ids, self.subjects, self.clone_keys = ci_ids, subjects, clone_keys
        self.previous = previous  # the targets' stored matches, when the caller already read them


def digest(value) -> str:
    """A stable digest of plain data built in a deterministic order (dicts keep insertion order)."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


class _Batch:
    """Rows for one executemany statement, sent every ``size`` rows so memory stays flat at 100,000."""

    def __init__(self, connection: Connection, statement, size: int = 5000) -> None:
        self.connection, self.statement, self.size, self.rows, self.count = connection, statement, size, [], 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.connection.execute(self.statement, self.rows)
            self.rows = []


class _Insert(_Batch):
    """New rows for ``table``: executemany on SQLite, COPY on PostgreSQL (a first full run inserts
    200,000 rows; COPY does it several times faster than batched INSERTs)."""

    def __init__(self, connection: Connection, table, size: int = 5000) -> None:
        super().__init__(connection, insert(table), size)
        self.table = table
        self.copy = connection.dialect.name == "postgresql"

    def flush(self) -> None:
        if not self.rows:
            return
        if not self.copy or len(self.rows) < 50:
            super().flush()
            return
        columns = list(self.rows[0])
        json_columns = {c.name for c in self.table.columns if isinstance(c.type, JSON)}
        cursor = self.connection.connection.dbapi_connection.cursor()
        names = ", ".join(f'"{column}"' for column in columns)
        with cursor.copy(f'COPY "{self.table.name}" ({names}) FROM STDIN') as copy:
            for row in self.rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])
        cursor.close()
        self.rows = []


BulkInsert = _Insert  # for other services' large derived tables (licence evidence: collector/sam/positions.py)


def _chunked(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _by_type(keys: Iterable[tuple[str, int]]) -> Iterable[tuple[str, list[int]]]:
    """(type, ids) groups: per-type IN lists use the (type, id) index, which SQLite's row-value IN does not."""
    grouped: dict[str, list[int]] = {}
    for kind, subject_id in sorted(keys):
        grouped.setdefault(kind, []).append(subject_id)
    for kind, ids in grouped.items():
        for chunk in _chunked(ids):
            yield kind, chunk


def stored_matches(connection: Connection, keys: set[tuple[str, int]]) -> dict[tuple[str, int], object]:
    found = {}
    for kind, ids in _by_type(keys):
        found.update(((row.subject_type, row.subject_id), row)
                     for row in connection.execute(_MATCHES_OF, {"type": kind, "ids": ids}))
    return found


def matched_to(connection: Connection, ci_ids: set[int], exclude: set) -> dict[tuple[str, int], int]:
    found = {}
    for chunk in _chunked(sorted(ci_ids)):
        for kind, subject_id, ci_id in connection.execute(_MATCHES_TO, {"ids": chunk}):
            if (kind, subject_id) not in exclude:
                found[(kind, subject_id)] = ci_id
    return found


def start_run(connection: Connection, mode: str, subjects: int, now: datetime) -> int:
    return connection.execute(insert(_R).values(mode=mode, dry_run=False, started_at=now, status="running",
                                                subjects=subjects, counts={}).returning(_R.c.id)).scalar_one()


def finish_run(connection: Connection, run_id: int, counts: dict, now: datetime, duration_ms: int | None = None) -> None:
    connection.execute(update(_R).where(_R.c.id == run_id).values(status="finished", finished_at=now, counts=counts,
                                                                  duration_ms=duration_ms))


def write_matches(connection: Connection, outcomes: Outcomes, run_id: int, now: datetime, scope: Scope | None) -> None:
    if scope is None:
        stored = {(row.subject_type, row.subject_id): row for row in connection.execute(_MATCH_COLUMNS)}
    else:
        stored = dict(scope.previous if scope.previous is not None else stored_matches(connection, scope.subjects))
    inserts, changed = _Insert(connection, _M), _Batch(connection, _UPDATE_MATCH)
    for key, identification in outcomes.matches.items():
        values = {"ci_id": identification.ci.id if identification.ci else None, "outcome": identification.outcome,
                  "rule": identification.rule, "explanation": identification.explanation, "run_id": run_id,
                  "updated_at": now}
        old = stored.pop(key, None)
        if old is None:
            inserts.add({"subject_type": key[0], "subject_id": key[1], **values})
        elif (old.ci_id, old.outcome, old.rule, old.explanation) != (values["ci_id"], values["outcome"],
                                                                     values["rule"], values["explanation"]):
            changed.add({"b_id": old.id, **values})
    for chunk in _chunked([row.id for row in stored.values()]):  # subjects that no longer exist
        connection.execute(_DELETE_MATCHES, {"ids": chunk})
    inserts.flush()
    changed.flush()


def write_states(connection: Connection, outcomes: Outcomes, run_id: int, scope: Scope | None) -> None:
    if scope is None:
        stored = {row.ci_id: row for row in connection.execute(_STATE_COLUMNS)}
    else:
        stored = {row.ci_id: row for chunk in _chunked(sorted(scope.ci_ids))
                  for row in connection.execute(_STATES_OF, {"ids": chunk})}
    inserts, changed = _Insert(connection, _S), _Batch(connection, _UPDATE_STATE)
    for ci_id, state in outcomes.states.items():
        old = stored.pop(ci_id, None)
        fingerprint = digest(state["observed"])
        if old is not None and (old.fingerprint, old.last_seen_at) == (fingerprint, state["last_seen_at"]):
            continue
        values = {"observed": state["observed"], "fingerprint": fingerprint, "last_seen_at": state["last_seen_at"],
                  "run_id": run_id}
        if old is None:
            inserts.add({"ci_id": ci_id, **values})
        else:
            changed.add({"b_ci_id": ci_id, **values})
    if scope is None:
        for chunk in _chunked(sorted(stored)):  # CIs deleted since the last run
            connection.execute(_DELETE_STATES, {"ids": chunk})
    inserts.flush()
    changed.flush()


def write_exceptions(connection: Connection, outcomes: Outcomes, run_id: int, now: datetime,
                     scope: Scope | None) -> tuple[int, int]:
    """Open what is new, refresh what changed, resolve (with a note) what the run judged and no longer finds."""
    if scope is None:
        judged = list(connection.execute(_OPEN))
        existing = {row.open_key: row for row in judged}
    else:
        # One query per slice of the scope; then only what the slice can judge may be resolved, while
        # the rest (found by key) may only be refreshed.
        lists = {"ci_ids": sorted(scope.ci_ids), "keys": sorted(set(outcomes.exceptions) | scope.clone_keys),
                 "asset_ids": sorted(i for t, i in scope.subjects if t == "asset"),
                 "device_ids": sorted(i for t, i in scope.subjects if t == "device")}
        # Sliced together (a big discovery report brings 65,536 device ids and as many keys);
        # a row matching two slices is the same row.
        rows = list({row.id: row for chunk in chunked_lists(lists)
                     for row in connection.execute(_OPEN_IN_SCOPE, chunk)}.values())
        existing = {row.open_key: row for row in rows}
        judged = [row for row in rows if (row.kind in _CI_LEVEL and row.ci_id in scope.ci_ids)
                  or (row.kind in _SUBJECT_LEVEL and (row.subject_type, row.subject_id) in scope.subjects)
                  or row.open_key in scope.clone_keys]
    unresolved = {row.open_key: row for row in judged}
    inserts, refreshed = [], []
    for key, spec in outcomes.exceptions.items():
        unresolved.pop(key, None)
        fingerprint = digest((spec.summary, spec.evidence, spec.ci_id, spec.subject))
        old = existing.get(key)
        subject_type, subject_id = spec.subject if spec.subject else (None, None)
        if old is None:
            inserts.append({"kind": spec.kind, "status": "open", "open_key": key, "ci_id": spec.ci_id,
                            "subject_type": subject_type, "subject_id": subject_id, "summary": spec.summary,
                            "evidence": spec.evidence, "fingerprint": fingerprint, "opened_at": now,
                            "updated_at": now, "opened_run_id": run_id})
        elif old.fingerprint != fingerprint:
            refreshed.append({"b_id": old.id, "summary": spec.summary, "evidence": spec.evidence, "ci_id": spec.ci_id,
                              "subject_type": subject_type, "subject_id": subject_id, "fingerprint": fingerprint,
                              "at": now})
    resolved = [{"b_id": row.id, "at": now, "run_id": run_id,
                 "note": f"Resolved by reconciliation run {run_id}: "
                         f"{outcomes.notes.get(row.open_key) or _CLEARED.get(row.kind, 'the condition cleared')}"}
                for row in unresolved.values()]
    if resolved:
        connection.execute(_RESOLVE, resolved)
    batch = _Insert(connection, _E)
    for row in inserts:
        batch.add(row)
    batch.flush()
    if refreshed:
        connection.execute(_REFRESH, refreshed)
    return len(inserts), len(resolved)
