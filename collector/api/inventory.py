"""POST /api/v1/inventory: an authenticated agent uploads its inventory report."""

from __future__ import annotations

import logging

from flask import request

from collector import metrics
from collector.api import bp
from collector.api.auth import current_agent
from collector.api.body import read_json_body
from collector.errors import Forbidden
from collector.extensions import get_config, get_db
from collector.facts import FactSource, facts_changed
from collector.ingest.clock import refuse_future_times
from collector.ingest.inventory import DuplicateReport, store_inventory
from collector.ingest.parsing import parse_inventory
from collector.models import utcnow

log = logging.getLogger(__name__)


@bp.post("/inventory")
def post_inventory():
    agent = current_agent()
    config = get_config()
    body = read_json_body(request, config.max_wire_bytes, config.max_body_bytes)
    parsed = parse_inventory(body.raw, agent.last_content_hash, body.gzip_wire)
    if parsed.agent_id is not None and parsed.agent_id != agent.agent_id:
        raise Forbidden("report agent_id does not match the authenticated agent")
    refuse_future_times([("collected_at", parsed.collected_at)], utcnow(), config.max_clock_skew_s)
    unchanged = parsed.content_hash == agent.last_content_hash
    if agent.last_content_hash is None:
        # A first report is validated in full outside the write transaction (no lock held);
        # later ones are validated inside it, only in what differs from the previous report.
        parsed.validated()
    try:
        with get_db().write() as session:
            result = store_inventory(session, agent.agent_id, parsed, utcnow(), expect_unchanged=unchanged)
    except DuplicateReport:
        metrics.count_report("inventory", "duplicate")
        return {"status": "already stored", "report_id": parsed.report_id}, 200
    metrics.count_report("inventory", result.outcome)
    if result.outcome == "duplicate":
        return {"status": "already stored", "report_id": parsed.report_id}, 200
    metrics.count_spool_drops(parsed.spool_dropped)
    log.info("inventory stored", extra={"agent_id": agent.agent_id, "report_id": parsed.report_id, "outcome": result.outcome})
    if result.outcome == "stored":  # new or changed content: identifiers may have moved
        facts_changed(get_db(), config, utcnow(), asset_ids=[result.asset_id], source=FactSource.INVENTORY)
    return {"status": result.outcome, "report_id": parsed.report_id, "asset_id": result.asset_id}, 201
