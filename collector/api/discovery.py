"""POST /api/v1/discovery (scanner agents) and GET /api/v1/devices (people and scripts)."""

from __future__ import annotations

from flask import request
from pydantic import ValidationError

from collector.api import bp
from collector.api.auth import current_agent, current_token
from collector.api.body import read_json_body
from collector.api.params import paging
from collector.api.serializers import device_summary
from collector.errors import FieldError, Forbidden, InvalidInput
from collector.extensions import get_config, get_db, request_session
from collector.ingest.accepting import accept_discovery, discovery_counts
from collector.ingest.parsing import load_json_object, validation_error
from collector.models import utcnow
from collector.queries.devices import QUIET_SOURCES, list_devices
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
    result = accept_discovery(get_db(), config, agent.agent_id, report, body.raw, utcnow())
    if result.outcome == "duplicate":
        return {"status": "already stored", "report_id": str(report.report_id)}, 200
    return {"status": "stored", "report_id": str(report.report_id), **discovery_counts(result)}, 201


@bp.get("/devices")
def devices_index():
    """``managed``, ``quieted`` (policy|suppression: discovered nodes, no exception raised) and ``q`` filter."""
    current_token("auditor")
    pages = paging()
    managed, quieted = request.args.get("managed"), request.args.get("quieted")
    if managed not in (None, "true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError("managed", "must be true or false")])
    if quieted not in (None, *QUIET_SOURCES):
        raise InvalidInput("invalid query parameter", [FieldError("quieted", "must be policy or suppression")])
    search = (request.args.get("q") or "").strip()[:255] or None
    result = list_devices(request_session(), None if managed is None else managed == "true", pages.page,
                          pages.per_page, quieted=quieted, search=search)
    return pages.envelope([{**device_summary(d), "not_raised": result.not_raised.get(d.id)} for d in result.items],
                          result.total)
