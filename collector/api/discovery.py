"""POST /api/v1/discovery (scanner agents) and GET /api/v1/devices (people and scripts)."""

from __future__ import annotations

from flask import request
from pydantic import ValidationError
from sqlalchemy import func, select

from collector.api import bp
from collector.api.auth import current_agent, current_token
from collector.api.body import read_json_body
from collector.api.params import DEFAULT_PER_PAGE, positive_int
from collector.errors import FieldError, Forbidden, InvalidInput
from collector.extensions import get_config, get_db, request_session
from collector.ingest.discovery import store_discovery
from collector.ingest.parsing import load_json_object, validation_error
from collector.models import Device, utcnow
from common.schema import DiscoveryReport


@bp.post("/discovery")
def post_discovery():
    agent = current_agent()
    config = get_config()
    body = read_json_body(request, config.max_wire_bytes, config.max_body_bytes)
    try:
        report = DiscoveryReport.model_validate(load_json_object(body.raw))
    except ValidationError as exc:
        raise validation_error("discovery report failed validation", exc) from None
    if report.agent_id != agent.agent_id:
        raise Forbidden("report agent_id does not match the authenticated agent")
    with get_db().write() as session:
        result = store_discovery(session, agent.agent_id, report, body.raw, utcnow())
    if result.outcome == "duplicate":
        return {"status": "already stored", "report_id": str(report.report_id)}, 200
    return {"status": "stored", "report_id": str(report.report_id), "devices": result.devices,
            "new_devices": result.new_devices, "linked": result.linked}, 201


def _device(device: Device) -> dict:
    return {
        "id": device.id, "ip": device.ip, "mac": device.mac, "device_type": device.device_type,
        "vendor": device.vendor, "oui_vendor": device.oui_vendor, "model": device.model, "serial": device.serial,
        "sys_name": device.sys_name, "found_by": device.found_by,
        "first_seen_at": device.first_seen_at.isoformat(), "last_seen_at": device.last_seen_at.isoformat(),
        "last_seen_by": device.last_seen_by, "asset_id": device.asset_id, "link_reason": device.link_reason,
        "managed": device.asset_id is not None,
    }


@bp.get("/devices")
def devices_index():
    current_token("auditor")
    per_page = positive_int("per_page", DEFAULT_PER_PAGE, get_config().page_size_max)
    page = positive_int("page", 1, 10_000_000)
    query = select(Device)
    managed = request.args.get("managed")
    if managed is not None:
        if managed not in ("true", "false"):
            raise InvalidInput("invalid query parameter", [FieldError("managed", "must be true or false")])
        query = query.where(Device.asset_id.is_not(None) if managed == "true" else Device.asset_id.is_(None))
    session = request_session()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Device.id).limit(per_page).offset((page - 1) * per_page))
    return {"items": [_device(d) for d in items], "page": page, "per_page": per_page, "total": total,
            "pages": (total + per_page - 1) // per_page}
