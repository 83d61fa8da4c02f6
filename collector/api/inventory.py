"""POST /api/v1/inventory: an authenticated agent uploads its inventory report."""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_agent
from collector.api.body import read_json_body
from collector.errors import Forbidden
from collector.extensions import get_config, get_db
from collector.ingest.accepting import accept_inventory
from collector.ingest.parsing import parse_inventory
from collector.models import utcnow


@bp.post("/inventory")
def post_inventory():
    agent = current_agent()
    config = get_config()
    body = read_json_body(request, config.max_wire_bytes, config.max_body_bytes)
    parsed = parse_inventory(body.raw, agent.last_content_hash, body.gzip_wire)
    if parsed.agent_id is not None and parsed.agent_id != agent.agent_id:
        raise Forbidden("report agent_id does not match the authenticated agent")
    result = accept_inventory(get_db(), config, agent.agent_id, agent.last_content_hash, parsed, utcnow())
    if result.outcome == "duplicate":
        return {"status": "already stored", "report_id": parsed.report_id}, 200
    return {"status": result.outcome, "report_id": parsed.report_id, "asset_id": result.asset_id}, 201
