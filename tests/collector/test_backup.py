"""Backup and restore of both databases, done as docs/operations.md says: the audit log still verifies.

SQLite: `stocktake-collector db backup --to FILE` (the online backup API), then the copy put
back in place of the live file. PostgreSQL: `pg_dump -Fc` of the collector's schema, the schema
dropped (the disaster), `pg_restore`. After the restore the audit log's hash chain verifies and
holds exactly the entries made before the backup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import Actor, append_entry, verify_chain
from collector.db import Database
from collector.migrate import upgrade
from collector.models import AuditLogEntry

ACTOR = Actor(username="ops", user_id=None, client="127.0.0.1")


def _append(db: Database, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        with db.write() as session:
            append_entry(session, "test.backup", ACTOR, target=f"entry-{n}", detail={"n": n})


def _chain(db: Database) -> tuple[bool, int]:
    with db.session() as session:
        report = verify_chain(session)
        return report.ok, session.scalar(select(func.count()).select_from(AuditLogEntry))


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collector.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_sqlite_online_backup_restores_to_a_verifying_chain(tmp_path):
    live = tmp_path / "var" / "stocktake.db"
    live.parent.mkdir()
    db = Database(f"sqlite:///{live}")
    upgrade(db.engine)
    _append(db, 25)
    env = {**os.environ, "STOCKTAKE_DATA_DIR": str(tmp_path / "var")}
    env.pop("STOCKTAKE_CONFIG", None)
    env.pop("STOCKTAKE_DATABASE_URL", None)
    backup = tmp_path / "backups" / "stocktake-2026-12-06.db"
    backup.parent.mkdir()
    result = _cli(env, "db", "backup", "--to", str(backup))
    assert result.returncode == 0, result.stderr
    assert "backed up to" in result.stdout and not list(backup.parent.glob("*.partial"))
    _append(db, 5, start=25)  # written after the backup: not in it
    db.dispose()
    # The disaster and the documented restore: stop, replace the file, drop the WAL and shared memory.
    live.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, live)
    restored = Database(f"sqlite:///{live}")
    assert _chain(restored) == (True, 25)
    _append(restored, 1, start=25)  # and the chain goes on from the restored head
    assert _chain(restored) == (True, 26)
    restored.dispose()


def test_backup_refuses_what_it_cannot_do(tmp_path, db_url):
    env = {**os.environ, "STOCKTAKE_DATA_DIR": str(tmp_path)}
    env.pop("STOCKTAKE_CONFIG", None)
    env.pop("STOCKTAKE_DATABASE_URL", None)
    missing = _cli(env, "db", "backup", "--to", str(tmp_path / "copy.db"))
    assert missing.returncode != 0 and "does not exist" in missing.stderr and not (tmp_path / "copy.db").exists()
    if db_url.startswith("postgresql"):
        env["STOCKTAKE_DATABASE_URL"] = db_url
        refused = _cli(env, "db", "backup", "--to", str(tmp_path / "copy.db"))
        assert refused.returncode != 0 and "pg_dump" in refused.stderr


def test_postgresql_dump_and_restore_keeps_the_chain(db_url, database, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL backup: this run uses SQLite (make test TEST_DB=postgresql runs it)")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed (Debian postgresql-client)")
    _append(database, 20)
    parts = urlsplit(db_url.replace("postgresql+psycopg://", "postgresql://"))
    schema = parse_qs(parts.query)["options"][0].split("search_path=")[1]
    plain = f"postgresql://{parts.netloc}{parts.path}"
    dump = tmp_path / "stocktake.dump"
    subprocess.run(["pg_dump", "-Fc", "-n", schema, "-f", str(dump), plain], check=True, timeout=120)
    _append(database, 5, start=20)
    database.engine.dispose()
    subprocess.run(["psql", "-q", "-c", f'DROP SCHEMA "{schema}" CASCADE', plain], check=True, timeout=60)
    subprocess.run(["pg_restore", "-d", plain, str(dump)], check=True, timeout=120)
    assert _chain(database) == (True, 20)
    _append(database, 1, start=20)
    assert _chain(database) == (True, 21)
