"""The audit pack: one ZIP an auditor takes away, every member named with its SHA-256.

Members: the ELP of the scope as CSV, XLSX and PDF; the evidence on its own (CSV); the
entitlement list with product names; the reclaim candidates and the renewal items; and
``manifest.json`` listing each member's name, size, rows and SHA-256 with the scope, run and
as-of time. The ZIP's own SHA-256 (and the manifest's figures) go to the audit log, so a
pack handed over later can be checked against the record.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entry
from collector.models import utcnow
from collector.models.sam import SamEntitlement, SamProduct, SamReclaimCandidate
from collector.sam.elp import EVIDENCE_HEADERS, ELP_FORMATS, build_elp, write_elp
from collector.sam.elp_files import csv_table
from collector.sam.reading import list_renewals

__all__ = ["AuditPack", "ENTITLEMENT_HEADERS", "RECLAIM_HEADERS", "RENEWAL_HEADERS", "export_audit_pack",
           "record_audit_pack", "write_audit_pack"]

ENTITLEMENT_HEADERS = ("Entitlement id", "Publisher", "Product", "Edition", "Metric", "Quantity", "Version from",
                       "Version to", "Downgrade rights", "Core factor", "Min cores per processor", "Min cores per VM",
                       "Term", "Start", "End", "Unit cost", "Currency", "PO number", "Vendor", "Contract id")
RECLAIM_HEADERS = ("Publisher", "Product", "Edition", "Device", "CI id", "Asset id", "User", "Last used",
                   "Days unused", "Freed cost", "Currency")
RENEWAL_HEADERS = ("Entitlement id", "Publisher", "Product", "Edition", "End date", "Days left", "Threshold days",
                   "Bucket", "Status", "Raised at", "Quantity", "Unit cost", "Currency", "Contract id")
_SPOOL = 16 * 1024 * 1024


@dataclass(frozen=True)
class AuditPack:
    filename: str
    sha256: str
    size: int
    manifest: dict


def _entitlements(session: Session, publisher: str | None) -> Iterator[tuple]:
    query = (select(SamEntitlement, SamProduct.publisher, SamProduct.name, SamProduct.edition)
             .join(SamProduct, SamProduct.id == SamEntitlement.product_id)
             .order_by(SamProduct.publisher, SamProduct.name, SamEntitlement.id))
    if publisher:
        query = query.where(SamProduct.publisher == publisher)
    for e, pub, name, edition in session.execute(query):
        yield (e.id, pub, name, edition or None, e.metric, e.quantity, e.version_from, e.version_to,
               e.downgrade_rights, e.core_factor, e.min_cores_per_processor, e.min_cores_per_vm, e.term,
               e.start_date, e.end_date, e.unit_cost, e.currency, e.po_number, e.vendor, e.contract_id)


def _reclaim(session: Session, run_id: int | None, publisher: str | None) -> Iterator[tuple]:
    if run_id is None:
        return
    query = (select(SamReclaimCandidate, SamProduct.publisher, SamProduct.name, SamProduct.edition)
             .join(SamProduct, SamProduct.id == SamReclaimCandidate.product_id)
             .where(SamReclaimCandidate.run_id == run_id)
             .order_by(SamProduct.publisher, SamProduct.name, SamReclaimCandidate.device, SamReclaimCandidate.id))
    if publisher:
        query = query.where(SamProduct.publisher == publisher)
    for c, pub, name, edition in session.execute(query):
        yield (pub, name, edition or None, c.device, c.ci_id, c.asset_id, c.user, c.last_used_at, c.days_unused,
               c.freed_cost, c.currency)


def _renewals(session: Session, today: date, publisher: str | None) -> Iterator[tuple]:
    for r in list_renewals(session, today, status=None, publisher=publisher):
        e = r.entitlement
        yield (e.id, r.publisher, r.product, r.edition or None, r.item.end_date, r.days_left, r.item.threshold_days,
               r.bucket, r.item.status, r.item.raised_at, e.quantity, e.unit_cost, e.currency, e.contract_id)


def _member(archive: zipfile.ZipFile, name: str, write) -> dict:
    """Write one member through a spool (hashing exactly the bytes stored); its manifest entry."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL) as spool:
        rows = write(spool)
        size = spool.tell()
        spool.seek(0)
        digest = hashlib.file_digest(spool, "sha256").hexdigest()
        spool.seek(0)
        with archive.open(name, "w", force_zip64=True) as member:
            shutil.copyfileobj(spool, member)
    return {"name": name, "sha256": digest, "bytes": size, "rows": rows}


def write_audit_pack(session: Session, publisher: str | None, by: str, target: BinaryIO,
                     now: datetime | None = None) -> AuditPack:
    """Write the ZIP to ``target`` (a seekable file) and hash it."""
    now = now or utcnow()
    report = build_elp(session, publisher, by, now)
    stem = report.file_stem.replace("stocktake-elp-", "stocktake-audit-pack-")
    start = target.tell()
    files = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for fmt in ELP_FORMATS:
            files.append(_member(archive, f"elp.{fmt}", lambda out, f=fmt: write_elp(report, f, out).rows))
        files.append(_member(archive, "evidence.csv",
                             lambda out: csv_table(EVIDENCE_HEADERS, report.evidence.rows(), out)))
        tables = (("entitlements.csv", ENTITLEMENT_HEADERS, _entitlements(session, publisher)),
                  ("reclaim.csv", RECLAIM_HEADERS, _reclaim(session, report.run_id, publisher)),
                  ("renewals.csv", RENEWAL_HEADERS, _renewals(session, now.date(), publisher)))
        for name, headers, rows in tables:
            files.append(_member(archive, name, lambda out, h=headers, r=rows: csv_table(h, r, out)))
        manifest = {"report": "Stocktake audit pack", "scope": report.scope, "publisher": publisher,
                    "run": report.run_id, "as_of": report.as_of.isoformat() if report.as_of else None,
                    "generated_at": now.isoformat(), "generated_by": by, "files": files}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    end = target.tell()
    target.seek(start)
    digest = hashlib.file_digest(target, "sha256").hexdigest()
    target.seek(end)
    return AuditPack(f"{stem}.zip", digest, end - start, manifest)


def record_audit_pack(session: Session, pack: AuditPack, actor: Actor) -> None:
    detail = {"format": "zip", "sha256": pack.sha256, "bytes": pack.size, "filters": {
        "publisher": pack.manifest["publisher"] or "all", "run": str(pack.manifest["run"] or "none")},
        "generated_at": pack.manifest["generated_at"], "completed": True,
        "files": {f["name"]: f["sha256"] for f in pack.manifest["files"]}}
    append_entry(session, "export", actor, "sam-audit-pack.zip", detail)


def export_audit_pack(session: Session, *, publisher: str | None, actor: Actor, target: BinaryIO,
                      now: datetime | None = None) -> AuditPack:
    """Write and audit in the caller's session (the CLI's)."""
    pack = write_audit_pack(session, publisher, actor.username or actor.client or "unknown", target, now)
    record_audit_pack(session, pack, actor)
    return pack
