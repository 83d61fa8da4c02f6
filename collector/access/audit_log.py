"""Appending to and verifying the hash-chained audit log (``models.audit_log``).

``row_hash = SHA-256(prev_hash || canonical JSON of the row's content)``, where the content
includes the row's id and time. Appends are serialised (a transaction-scoped advisory lock on
PostgreSQL; SQLite write transactions are already exclusive), so every row names the one
before it. Verification walks the chain in id order and reports the first row that does not
fit: edited content, a removed or inserted row, or a re-ordered id.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from collector.db import insert_rows
from collector.models import AuditLogEntry, utcnow

__all__ = ["GENESIS", "SYSTEM", "Actor", "ChainReport", "append_entries", "append_entry", "cli_actor", "entry_count",
           "entry_hash", "recent_entries", "verify_chain"]

GENESIS = "0" * 64
# Distinct from reconciliation's run lock.
_ADVISORY_KEY = 0x5743_4155  # "WCAU", with the schema's hash as the second key (see _lock_chain)
_VERIFY_CHUNK = 2000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (id and name), or None for an anonymous client."""

    user_id: int | None
    username: str | None
    client: str | None


# A change no person asked for at that moment (a service called without an actor, a job).
SYSTEM = Actor(None, "system", None)


def cli_actor() -> Actor:
    """The operating-system user running ``stocktake-collector``: ``cli:<login name>``."""
    try:
        name = os.environ.get("USER") or os.environ.get("LOGNAME") or getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        name = f"uid {os.getuid()}"
    return Actor(None, f"cli:{name}"[:64], "cli")


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain. ``head_id``/``head_hash`` are those of the last entry that
    verified: the head of the log when ``ok``, the last good entry before ``first_bad_id`` otherwise."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    head_id: int | None = None
    head_hash: str | None = None


def _content(entry_id: int, at: datetime, actor: str | None, actor_id: int | None, action: str,
             target: str | None, detail: dict, client: str | None) -> bytes:
    document = {"id": entry_id, "at": at.isoformat(timespec="microseconds"), "actor": actor, "actor_id": actor_id,
                "action": action, "target": target, "detail": detail, "client": client}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


_PLAIN = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
          | orjson.OPT_PASSTHROUGH_DATACLASS)


def _plain_detail(detail: dict | None) -> dict:
    """The detail as it is stored and hashed: JSON types only, anything else as its ``str()``.

    orjson gives what ``json.loads(json.dumps(detail, sort_keys=True, default=str))`` gives
    (datetimes and dataclasses passed to ``str`` as json does) at a fifth of the cost: a bulk
    action appends tens of thousands of entries. What orjson refuses (an int beyond 64 bits)
    goes through json. One difference: a plain ``Enum`` member (no detail holds one) becomes its
    value, not its ``str()``."""
    try:
        return orjson.loads(orjson.dumps(detail or {}, default=str, option=_PLAIN))
    except orjson.JSONEncodeError:
        return json.loads(json.dumps(detail or {}, sort_keys=True, default=str))


def entry_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends to this schema's chain. Advisory locks belong to the database, not the
    schema: keyed by the schema too, chains in other schemas of one database (test sessions,
    benchmarks, a second installation) do not wait for each other; measured in
    bench/workflows.py, a transition waited up to 0.5 s for unrelated test suites' appends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                        {"key": _ADVISORY_KEY})


def append_entry(session: Session, action: str, actor: Actor, target: str | None = None,
                 detail: dict | None = None, now: datetime | None = None) -> AuditLogEntry:
    """Add one entry at the end of the chain, in the caller's transaction."""
    _lock_chain(session)
    last = session.execute(select(AuditLogEntry.id, AuditLogEntry.row_hash)
                           .order_by(AuditLogEntry.id.desc()).limit(1)).first()
    entry_id, prev = (last.id + 1, last.row_hash) if last else (1, GENESIS)
    # Microseconds survive both backends; the stored value must hash the same when read back.
    at = (now or utcnow())
    detail = _plain_detail(detail)
    target = target[:255] if target else target
    content = _content(entry_id, at, actor.username, actor.user_id, action, target, detail, actor.client)
    entry = AuditLogEntry(id=entry_id, at=at, actor=actor.username, actor_id=actor.user_id, action=action,
                          target=target, detail=detail, client=actor.client, prev_hash=prev,
                          row_hash=entry_hash(prev, content))
    session.add(entry)
    session.flush()
    log.info("audit log entry %d %s by %s: %s", entry_id, action, actor.username or "-", entry.row_hash)
    return entry


def append_entries(session: Session, entries: list[tuple[str, Actor, str | None, dict | None]],
                   now: datetime | None = None) -> None:
    """Add many (action, actor, target, detail) entries at the end of the chain, in order: one lock,
    one read of the head and one multi-row insert instead of a round trip per entry (opening
    5,000 workflows writes 10,000 entries). Each row hashes exactly as :func:`append_entry`'s."""
    if not entries:
        return
    _lock_chain(session)
    last = session.execute(select(AuditLogEntry.id, AuditLogEntry.row_hash)
                           .order_by(AuditLogEntry.id.desc()).limit(1)).first()
    entry_id, prev = (last.id + 1, last.row_hash) if last else (1, GENESIS)
    at, rows = now or utcnow(), []
    for action, actor, target, detail in entries:
        detail = _plain_detail(detail)
        target = target[:255] if target else target
        content = _content(entry_id, at, actor.username, actor.user_id, action, target, detail, actor.client)
        row_hash = entry_hash(prev, content)
        rows.append({"id": entry_id, "at": at, "actor": actor.username, "actor_id": actor.user_id, "action": action,
                     "target": target, "detail": detail, "client": actor.client, "prev_hash": prev,
                     "row_hash": row_hash})
        entry_id, prev = entry_id + 1, row_hash
    insert_rows(session, AuditLogEntry.__table__, rows)
    log.info("audit log entries %d-%d appended; head %s", rows[0]["id"], rows[-1]["id"], prev)


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole log in id order (in chunks, constant memory) and check every link.

    A chain shows any change to the rows it holds; removing the newest rows leaves a shorter
    valid chain, so every append also logs its id and hash: the logs hold the head elsewhere."""
    prev_hash, expected_id, checked = GENESIS, 1, 0
    while True:
        rows = session.execute(select(*_COLUMNS).where(AuditLogEntry.id >= expected_id)
                               .order_by(AuditLogEntry.id).limit(_VERIFY_CHUNK)).all()
        head = (expected_id - 1, prev_hash) if checked else (None, None)
        if not rows:
            return ChainReport(True, checked, head_id=head[0], head_hash=head[1])
        for row in rows:
            problem = _check(row, expected_id, prev_hash)
            if problem:
                head = (expected_id - 1, prev_hash) if checked else (None, None)
                return ChainReport(False, checked, row.id, problem, head[0], head[1])
            prev_hash, expected_id, checked = row.row_hash, row.id + 1, checked + 1


_COLUMNS = tuple(AuditLogEntry.__table__.c)


def _check(row, expected_id: int, prev_hash: str) -> str | None:
    if row.id != expected_id:
        return f"entry {expected_id} is missing"
    if row.prev_hash != prev_hash:
        return "does not follow the previous entry"
    content = _content(row.id, row.at, row.actor, row.actor_id, row.action, row.target, row.detail, row.client)
    if entry_hash(prev_hash, content) != row.row_hash:
        return "content does not match its hash"
    return None


def recent_entries(session: Session, limit: int = 100, before_id: int | None = None,
                   action: str | None = None) -> list[AuditLogEntry]:
    query = select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditLogEntry.id < before_id)
    if action:
        query = query.where(AuditLogEntry.action == action)
    return list(session.scalars(query))


def entry_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0
