"""POST /api/v1/checkin: an agent reports its state and receives its settings and tasks."""

from __future__ import annotations

from flask import request
from pydantic import ValidationError

from collector.api import bp
from collector.api.auth import current_agent
from collector.api.body import read_json_body
from collector.extensions import get_config, get_db
from collector.ingest.checkin import agent_settings, record_checkin
from collector.ingest.clock import checkin_times, refuse_future_times
from collector.ingest.parsing import load_json_object, validation_error
from collector.models import utcnow
from collector.scanning.tasks import scan_tasks
from common.schema import CheckinRequest

MAX_CHECKIN_BODY = 16 * 1024


@bp.post("/checkin")
def checkin():
    agent = current_agent()
    body = read_json_body(request, MAX_CHECKIN_BODY, MAX_CHECKIN_BODY)
    try:
        checkin_request = CheckinRequest.model_validate(load_json_object(body.raw))
    except ValidationError as exc:
        raise validation_error("invalid check-in", exc) from None
    refuse_future_times(checkin_times(checkin_request), utcnow(), get_config().max_clock_skew_s)
    with get_db().write() as session:
        record_checkin(session, agent.agent_id, checkin_request, utcnow())
        tasks = scan_tasks(session, agent.agent_id, get_config())
    # Tasks may carry SNMP credentials: no cache along the way may keep the answer.
    return {"settings": agent_settings(get_config()), "tasks": tasks}, 200, {"Cache-Control": "no-store"}
