"""Importing a CMDB register (CSV or XLSX): all rows or none, in the caller's transaction.

The file is read, every row checked and compared with the CMDB before anything is written;
any error means nothing is written and the report names every (row, column, problem). A dry
run stops there and says what would be created, updated and left unchanged. Writes touch
only what changed: an unchanged row costs a read, and its CI keeps its ``updated_at``.
See ``collector.cmdb.planning`` for how rows find their CI (upsert by asset tag).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.access.audit_log import SYSTEM, Actor, append_entry
from collector.cmdb.columns import ATTRIBUTE
from collector.cmdb.mapping import ColumnMapping
from collector.cmdb.planning import DEFAULTS, Plan, PlannedRow, plan_import
from collector.cmdb.presets import preset_mapping
from collector.cmdb.reading import ImportLimits, read_sheet
from collector.cmdb.report import ImportReport
from collector.cmdb.stored import STORED, chunks
from collector.cmdb.validation import check_sheet
from collector.errors import Conflict
from collector.models.base import utcnow
from collector.models.cmdb import CiMac, CiRelationship, ConfigurationItem

__all__ = ["import_cis"]

Progress = Callable[[int, int], None]  # (rows written so far, rows to write)
_ANALYZE_AFTER = 1000  # rows written


def import_cis(session: Session, data: bytes, fmt: str, *, mapping: ColumnMapping | None = None,
               preset: str | None = None, dry_run: bool = False, now: datetime | None = None,
               limits: ImportLimits | None = None, progress: Progress | None = None, actor: Actor = SYSTEM,
               file_name: str | None = None) -> ImportReport:
    """Check ``data`` (``fmt`` "csv" or "xlsx") and, unless ``dry_run`` or any row is bad, store it.

    ``preset`` names another tool's export format (``collector.cmdb.presets``; InvalidInput for
    an unknown name); ``mapping``, a site's own, is laid over it.
    A stored import is one audit entry (file name, SHA-256, preset, counts, batch), in the same
    transaction as its rows: both or neither. A dry run or a rejected file changes nothing
    and is not audited. ``progress(written, total)`` is called after each batch of writes. Raises
    PayloadTooLarge over the limits, and Conflict if another writer added an asset tag meanwhile.
    """
    report = ImportReport(dry_run=dry_run)
    mapping = preset_mapping(preset).overlay(mapping) if preset else mapping or ColumnMapping()
    sheet = read_sheet(data, fmt, limits or ImportLimits())
    report.rows, report.errors = len(sheet.rows), list(sheet.issues)
    if report.errors:
        return report
    checked = check_sheet(sheet, mapping)
    report.columns = {header: name for name, header in checked.headers.items()}
    report.columns.update((name, ATTRIBUTE) for name in checked.attributes.values())
    report.errors, report.warnings = checked.errors, checked.warnings
    if not checked.headers.keys() & {"asset_tag", "serial"}:
        return report
    plan = plan_import(session, checked)
    report.errors += plan.errors
    report.warnings += plan.warnings
    if report.errors:
        return report
    report.created, report.updated, report.unchanged = (plan.count(a) for a in ("create", "update", "unchanged"))
    report.preview = plan.preview()
    if not dry_run:
        now = now or utcnow()
        report.batch, report.ci_ids = _apply(session, plan, now, progress or (lambda _done, _total: None))
        _audit(session, report, data, fmt, preset, actor, file_name, now)
    return report


def _audit(session: Session, report: ImportReport, data: bytes, fmt: str, preset: str | None, actor: Actor,
           file_name: str | None, now: datetime) -> None:
    append_entry(session, "cmdb_imported", actor, f"cmdb_import {report.batch}",
                 {"file": (file_name or "")[:255] or None, "format": fmt, "preset": preset,
                  "sha256": hashlib.sha256(data).hexdigest(),
                  "bytes": len(data), "rows": report.rows, "created": report.created, "updated": report.updated,
                  "unchanged": report.unchanged, "batch": report.batch}, now)


def _apply(session: Session, plan: Plan, now: datetime, progress: Progress) -> tuple[str, list[int]]:
    batch = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    writes = [planned for planned in plan.rows if planned.action != "unchanged"]
    try:
        ids = _write_cis(session, writes, now, batch, progress)
        _write_macs(session, writes, ids)
        _write_links(session, writes, ids)
        _refresh_statistics(session, len(writes))
    except IntegrityError as exc:
        raise Conflict("the CMDB changed while this file was imported (another import added one of its asset "
                       f"tags?); nothing was imported, try again ({exc.orig})") from None
    return batch, sorted(set(ids.values()))


def _refresh_statistics(session: Session, written: int) -> None:
    """ANALYZE after a big PostgreSQL import: with the planner's row counts still those of an empty
    table, the next import's lookups choose nested loops over whole tables (measured: a 20,000-row
    re-import took 37 s before and under 2 s after)."""
    if written >= _ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE cis, ci_macs, ci_relationships"))


def _write_cis(session: Session, writes: list[PlannedRow], now: datetime, batch: str,
               progress: Progress) -> dict[int, int]:
    """Insert new CIs and update changed ones, in batches; returns row number -> CI id."""
    ids, done = {}, 0
    stamp = {"updated_at": now, "import_batch": batch}
    for chunk in chunks(writes):
        new = [p for p in chunk if p.ci is None]
        if new:
            rows = [{**{name: p.row.values.get(name) for name in STORED}, **_defaults(p), **stamp,
                     "attributes": p.changes.get("attributes", (None, None))[1], "created_at": now,
                     "source": "import"} for p in new]
            created = session.execute(insert(ConfigurationItem).returning(ConfigurationItem.id,
                                                                          sort_by_parameter_order=True), rows)
            ids.update(zip((p.row.row for p in new), created.scalars()))
        changed = [p for p in chunk if p.ci is not None]
        if changed:
            # ORM bulk UPDATE by primary key: one statement per set of changed columns.
            session.execute(update(ConfigurationItem), [
                {"id": p.ci.id, **{k: new for k, (_old, new) in p.changes.items() if k in STORED}, **stamp}
                for p in changed])
            ids.update((p.row.row, p.ci.id) for p in changed)
        done += len(chunk)
        progress(done, len(writes))
    return ids


def _defaults(planned: PlannedRow) -> dict[str, str]:
    return {name: value for name, value in DEFAULTS.items() if planned.row.values.get(name) is None}


def _write_macs(session: Session, writes: list[PlannedRow], ids: dict[int, int]) -> None:
    changed = [p for p in writes if "macs" in p.changes]
    for chunk in chunks(p.ci.id for p in changed if p.ci is not None):
        session.execute(delete(CiMac).where(CiMac.ci_id.in_(chunk)))
    rows = [{"ci_id": ids[p.row.row], "mac": mac} for p in changed for mac in p.changes["macs"][1]]
    if rows:
        session.execute(insert(CiMac), rows)


def _write_links(session: Session, writes: list[PlannedRow], ids: dict[int, int]) -> None:
    """Replace the register's own runs_on / connected_to of each changed CI (discovered ones stay)."""
    rows = []
    for kind in ("runs_on", "connected_to"):
        changed = [p for p in writes if kind in p.changes]
        for chunk in chunks(p.ci.id for p in changed if p.ci is not None):
            session.execute(delete(CiRelationship).where(
                CiRelationship.ci_id.in_(chunk), CiRelationship.kind == kind, CiRelationship.source == "import"))
        for planned in changed:
            value = planned.changes[kind][1]
            if value is not None:
                tag, port = (value, None) if kind == "runs_on" else value
                rows.append({"ci_id": ids[planned.row.row], "kind": kind, "tag": tag, "target": port})
    targets = _ids_by_tag(session, {row["tag"] for row in rows})
    if rows:
        session.execute(insert(CiRelationship), [
            {"ci_id": r["ci_id"], "kind": r["kind"], "target_ci_id": targets[r["tag"]], "target": r["target"],
             "source": "import"} for r in rows])


def _ids_by_tag(session: Session, tags: set[str]) -> dict[str, int]:
    ids = {}
    for chunk in chunks(sorted(tags)):
        ids.update(session.execute(select(ConfigurationItem.asset_tag, ConfigurationItem.id)
                                   .where(ConfigurationItem.asset_tag.in_(chunk))).all())
    return ids
