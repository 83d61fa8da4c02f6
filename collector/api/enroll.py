"""POST /api/v1/enroll: enrollment secret in, per-agent node key out."""

from __future__ import annotations

import logging

from flask import request
from pydantic import ValidationError

from collector.access.enrollment import enroll_agent
from collector.api import bp
from collector.api.auth import client_address
from collector.api.body import read_json_body
from collector.errors import RateLimited, Unauthorized
from collector.extensions import get_config, get_db, get_limiter
from collector.ingest.parsing import load_json_object, validation_error
from common.schema import EnrollRequest

log = logging.getLogger(__name__)
MAX_ENROLL_BODY = 16 * 1024


@bp.post("/enroll")
def enroll():
    client = client_address()
    limiter = get_limiter()
    wait = limiter.retry_after(client)
    if wait:
        raise RateLimited("too many failed enrollment attempts; retry later", retry_after=wait)
    body = read_json_body(request, MAX_ENROLL_BODY, min(MAX_ENROLL_BODY, get_config().max_body_bytes))
    try:
        enroll_request = EnrollRequest.model_validate(load_json_object(body.raw))
    except ValidationError as exc:
        raise validation_error("invalid enrollment request", exc) from None
    try:
        with get_db().write() as session:
            enrolled = enroll_agent(session, enroll_request, client=client)
    except Unauthorized:
        limiter.record_failure(client)
        log.warning("enrollment refused", extra={"client": client, "hostname": enroll_request.hostname})
        raise
    log.info(
        "agent enrolled",
        extra={"agent_id": enrolled.agent_id, "hostname": enroll_request.hostname, "reenrolled": enrolled.reenrolled},
    )
    return {"agent_id": enrolled.agent_id, "node_key": enrolled.node_key}, 201
