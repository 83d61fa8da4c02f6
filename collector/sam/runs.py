"""A normalise run as people trigger it (CLI, API, web): run, then record it in the audit log."""

from __future__ import annotations

from collections.abc import Callable

from collector.access.audit_log import Actor, append_entry
from collector.db import Database
from collector.sam.normalise import NormaliseResult, normalise

__all__ = ["normalise_and_record"]


def normalise_and_record(db: Database, actor: Actor, *, full: bool = False,
                         progress: Callable[[int, int], None] | None = None,
                         record_idle: bool = True) -> NormaliseResult:
    """Normalise and log the run; ``record_idle=False`` (the scheduled job, every 5 minutes) logs
    only runs that mapped something, so the audit log is not a clock."""
    with db.write() as session:
        result = normalise(session, full=full, progress=progress)
        if record_idle or result.titles:
            append_entry(session, "sam_normalise", actor, "sam", {**result.as_dict(), "full": full})
    return result
