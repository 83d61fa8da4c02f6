"""The audit pack: every member listed in the manifest with the SHA-256 of its bytes, the
ZIP's own SHA-256 in the audit log."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from sqlalchemy import select

from collector.access.audit_log import Actor
from collector.sam.audit_pack import export_audit_pack
from tests.collector.sam.factories_reports import seed_sam

MEMBERS = ["elp.csv", "elp.xlsx", "elp.pdf", "evidence.csv", "entitlements.csv", "reclaim.csv", "renewals.csv",
           "manifest.json"]


def _pack(database, publisher=None):
    target = io.BytesIO()
    with database.write() as session:
        pack = export_audit_pack(session, publisher=publisher, actor=Actor(None, "auditor-1", "test"), target=target)
    return target.getvalue(), pack


def _csv(archive, name):
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_manifest_hashes_match_the_members_and_the_log_has_the_zip(database):
    seeded = seed_sam(database)
    data, pack = _pack(database, "Microsoft")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == MEMBERS
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["scope"] == "Microsoft" and manifest["run"] == seeded.run_id
    assert manifest["as_of"].startswith("2026-12-01T06:00:00")
    for entry in manifest["files"]:
        body = archive.read(entry["name"])
        assert entry["sha256"] == hashlib.sha256(body).hexdigest() and entry["bytes"] == len(body), entry["name"]
    assert [f["name"] for f in manifest["files"]] == MEMBERS[:-1]
    entitlements = _csv(archive, "entitlements.csv")
    assert [(e["Product"], e["Metric"], e["Quantity"], e["Contract id"]) for e in entitlements] == [
        ("Office", "named_user", "2", "EA-1"), ("SQL Server", "processor_core", "8", "EA-2")]
    assert [r["Device"] for r in _csv(archive, "reclaim.csv")] == ["host-4"]  # Office only (Acrobat is Adobe)
    assert [(r["Product"], r["Bucket"]) for r in _csv(archive, "renewals.csv")] == [
        ("SQL Server", "expired"), ("Office", "30 days")]
    assert [r["Device"] for r in _csv(archive, "evidence.csv")] == ["host-1", "host-3", "host-4", "host-2"]
    from collector.models import AuditLogEntry

    with database.session() as session:
        (entry,) = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export")).all()
    assert entry.target == "sam-audit-pack.zip" and entry.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.detail["sha256"] == pack.sha256 and entry.detail["bytes"] == len(data)
    assert entry.detail["files"]["elp.pdf"] == manifest["files"][2]["sha256"]


def test_pack_before_any_run(database):
    seed_sam(database, with_runs=False)
    data, pack = _pack(database)
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["run"] is None and manifest["scope"] == "all publishers"
    assert _csv(archive, "reclaim.csv") == [] and pack.filename.endswith(".zip")
