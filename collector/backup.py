"""Backing up the embedded SQLite database while the collector serves.

Copying ``stocktake.db`` with ``cp`` while gunicorn writes can capture a torn page or miss
what is still in the ``-wal`` file. SQLite's online backup API copies a consistent snapshot
page by page, taking the read lock only per step, so writers keep going. The copy is written
next to the target and renamed into place, so a failed backup never leaves a half file that
looks like a backup. PostgreSQL is backed up with its own tools (``pg_dump -Fc``;
docs/operations.md), which this module does not wrap.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from collector.errors import FieldError, InvalidInput

__all__ = ["backup_sqlite"]

# Pages per step: small enough that a writer waits at most a few milliseconds between steps.
_PAGES_PER_STEP = 1024


def backup_sqlite(database_url: str, target: str | os.PathLike[str], progress=None) -> int:
    """Copy the SQLite database at ``database_url`` to ``target``; returns the bytes written."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise InvalidInput("not a SQLite database", [FieldError(
            "database_url", "backups of PostgreSQL are made with pg_dump -Fc (see docs/operations.md)")])
    source_path, target_path = Path(url.database).resolve(), Path(target).resolve()
    if not source_path.is_file():
        raise InvalidInput("no database to back up", [FieldError("database_url", f"{source_path} does not exist")])
    if target_path == source_path:
        raise InvalidInput("invalid backup target", [FieldError("to", "is the live database itself")])
    partial = target_path.with_name(target_path.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=_PAGES_PER_STEP,
                          progress=(lambda _status, remaining, total: progress(total - remaining, total)) if progress else None)
        finally:
            copy.close()
        os.replace(partial, target_path)
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return target_path.stat().st_size
