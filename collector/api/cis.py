"""/api/v1/cis: the CMDB register. Auditors list, read and export; operators import.

An import is all or nothing: a file with any bad row is answered 422 with every
(row, column, message) and nothing is stored. ``dry_run=true`` answers what would be
created, updated and left unchanged, with the first rows' changes, and stores nothing.
``preset`` (snipeit, glpi-computers, glpi-network) reads another tool's export
(collector.cmdb.presets), with ``mapping`` laid over it.
"""

from __future__ import annotations

import tempfile
from datetime import date

from flask import Response, jsonify, request, send_file, stream_with_context

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.params import paging
from collector.cmdb.exporting import export_csv, export_xlsx
from collector.cmdb.importing import import_cis
from collector.cmdb.mapping import ColumnMapping, mapping_from_json
from collector.cmdb.presets import get_preset
from collector.cmdb.queries import CiDetail, CiFilters, CiLink, get_ci_detail, list_cis
from collector.cmdb.reading import XLSX_TYPE, ImportLimits, guess_format
from collector.errors import BadRequest, FieldError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from collector.extensions import get_config, get_db, request_session
from collector.facts import FactSource, facts_changed
from collector.models import utcnow
from collector.models.cmdb import ConfigurationItem

_READ_CHUNK = 64 * 1024


@bp.get("/cis")
def cis_index():
    current_token("auditor")
    pages = paging()
    filters = CiFilters(ci_class=request.args.get("class") or None, status=request.args.get("status") or None,
                        q=request.args.get("q") or None)
    result = list_cis(request_session(), filters, pages.page, pages.per_page)
    return pages.envelope([ci_summary(ci) for ci in result.items], result.total)


@bp.get("/cis/<int:ci_id>")
def cis_show(ci_id: int):
    current_token("auditor")
    return ci_detail(get_ci_detail(request_session(), ci_id))


@bp.get("/cis/export")
def cis_export():
    current_token("auditor")
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("invalid query parameter", [FieldError("format", "must be csv or xlsx")])
    filename = f"cmdb-{date.today():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        spool = tempfile.TemporaryFile()  # closed by the response once sent
        with get_db().session() as session:
            export_xlsx(session, spool)
        spool.seek(0)
        return send_file(spool, mimetype=XLSX_TYPE, as_attachment=True, download_name=filename)

    def lines():
        with get_db().session() as session:
            for text in export_csv(session):
                yield text.encode("utf-8")

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.post("/cis/import")
def cis_import():
    token = current_token("operator")
    dry_run = _flag("dry_run")
    data, fmt, mapping, file_name = _upload(get_config().max_body_bytes)
    preset = _preset()
    limits = ImportLimits(max_bytes=get_config().max_body_bytes)
    if dry_run:
        report = import_cis(request_session(), data, fmt, mapping=mapping, preset=preset, dry_run=True,
                            limits=limits)
    else:
        with get_db().write() as session:
            report = import_cis(session, data, fmt, mapping=mapping, preset=preset, limits=limits,
                                actor=token_actor(token), file_name=file_name)
        if report.ci_ids:
            facts_changed(get_db(), get_config(), utcnow(), ci_ids=report.ci_ids, source=FactSource.CMDB_IMPORT)
    if report.ok:
        return report.as_dict()
    response = jsonify({"error": f"{len(report.errors)} problem(s) in the file; nothing was imported",
                        **report.as_dict()})
    response.status_code = 422
    return response


def _flag(name: str) -> bool:
    value = request.args.get(name, "false")
    if value not in ("true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError(name, "must be true or false")])
    return value == "true"


def _preset() -> str | None:
    """The ``preset`` query parameter or multipart field; 422 naming the presets when unknown."""
    name = request.form.get("preset") if request.mimetype == "multipart/form-data" else None
    name = name or request.args.get("preset") or None
    if name is not None:
        get_preset(name)
    return name


def _upload(limit: int) -> tuple[bytes, str, ColumnMapping | None, str | None]:
    """The file (multipart part "file", or the raw body), its format, the optional JSON mapping and
    the file's name (a multipart upload's, or ``?filename=``) for the audit log."""
    mapping_text, file_name = request.args.get("mapping"), request.args.get("filename")
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise BadRequest("a multipart upload needs the file in a part named 'file'")
        data, fmt = _read_capped(part.stream, limit), guess_format(part.filename, part.mimetype)
        file_name = part.filename or file_name
        mapping_text = request.form.get("mapping", mapping_text)
    else:
        data, fmt = _read_capped(request.stream, limit), guess_format(None, request.mimetype)
    fmt = request.args.get("format", fmt)
    if fmt not in ("csv", "xlsx"):
        raise UnsupportedMediaType(f"send text/csv or {XLSX_TYPE}, or a multipart file named *.csv or *.xlsx "
                                   "(or say format=csv|xlsx)")
    return data, fmt, mapping_from_json(mapping_text, "mapping") if mapping_text else None, file_name


def _read_capped(stream, limit: int) -> bytes:
    chunks, total = [], 0
    while chunk := stream.read(min(_READ_CHUNK, limit + 1 - total)):
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"the file exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def ci_summary(ci: ConfigurationItem) -> dict:
    return {
        "id": ci.id, "asset_tag": ci.asset_tag, "name": ci.name, "class": ci.ci_class, "status": ci.status,
        "serial": ci.serial, "vendor": ci.vendor, "model": ci.model, "hostname": ci.hostname,
        "assigned_user": ci.assigned_user, "location": ci.location, "source": ci.source,
        "updated_at": ci.updated_at.isoformat(),
    }


def ci_detail(detail: CiDetail) -> dict:
    ci = detail.ci
    return {
        **ci_summary(ci),
        "fqdn": ci.fqdn, "smbios_uuid": ci.smbios_uuid, "ip": ci.ip, "macs": detail.macs,
        "department": ci.department, "cost": str(ci.cost) if ci.cost is not None else None,
        "purchase_date": _iso(ci.purchase_date), "po_number": ci.po_number, "supplier": ci.supplier,
        "warranty_end": _iso(ci.warranty_end), "notes": ci.notes, "attributes": ci.attributes or {},
        "import_batch": ci.import_batch,
        "created_at": ci.created_at.isoformat(),
        "relationships": [_link(link) for link in detail.links],
        "related_from": [_link(link) for link in detail.linked_from],
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _link(link: CiLink) -> dict:
    return {"kind": link.kind, "ci_id": link.ci_id, "asset_tag": link.asset_tag, "target": link.target,
            "source": link.source}
