"""``stocktake-collector sam elp`` and ``sam audit-pack``, run as a user would."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile

from sqlalchemy import select

from tests.collector.sam.factories_reports import seed_sam


def _cli(db_url, tmp_path, *args, check=True):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path)}
    env.pop("STOCKTAKE_CONFIG", None)
    result = subprocess.run([sys.executable, "-m", "collector.cli", "sam", *args], env=env, capture_output=True,
                            text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _audited(database):
    from collector.models import AuditLogEntry

    with database.session() as session:
        return session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export")
                               .order_by(AuditLogEntry.id)).all()


def test_elp_file_and_its_hash(db_url, database, tmp_path):
    seed_sam(database)
    output = tmp_path / "elp.csv"
    result = _cli(db_url, tmp_path, "elp", "--publisher", "Adobe", "--format", "csv", "-o", str(output))
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in result.stdout
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8-sig"))))
    assert [r["Record"] for r in rows] == ["position", "evidence", "evidence", "total"]
    (entry,) = _audited(database)
    assert entry.detail["sha256"] == digest and entry.client == "cli" and entry.actor.startswith("cli:")


def test_audit_pack_prints_its_sha256(db_url, database, tmp_path):
    seed_sam(database)
    output = tmp_path / "pack.zip"
    result = _cli(db_url, tmp_path, "audit-pack", "-o", str(output))
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert re.search(rf"^sha256 {digest}$", result.stdout, re.M)
    assert "manifest.json" in zipfile.ZipFile(output).namelist()
    assert _audited(database)[0].detail["sha256"] == digest


def test_elp_needs_a_format_and_notes_a_missing_run(db_url, database, tmp_path):
    seed_sam(database, with_runs=False)
    missing = _cli(db_url, tmp_path, "elp", "-o", str(tmp_path / "x.csv"), check=False)
    assert missing.returncode == 2 and "--format" in missing.stderr
    empty = _cli(db_url, tmp_path, "elp", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert "no position run yet" in empty.stderr and (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")
