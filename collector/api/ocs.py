"""POST /ocsinventory[/<secret>]: the OCS Inventory protocol, where OCS and FusionInventory agents post.

Outside /api/v1 on purpose: this is the URL those agents already know (``server =
http://collector/ocsinventory``), with the site secret as the last path segment or as the HTTP
Basic password. Bodies are zlib (RFC 1950), gzip or plain XML whatever the Content-Type says;
replies are zlib XML, as the agents expect. Errors answer JSON ``{"error", "fields"}`` with a 4xx
the agents log; a database that cannot be reached answers 503 with Retry-After.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import replace

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from collector.api.errors import DATABASE_RETRY_AFTER_S, error_response
from collector.db import is_unavailable
from collector.errors import ServiceError
from collector.extensions import get_config, get_db
from collector.interop.foreign_agents import ForeignDevice, authenticate_site, store_unchanged_by_wire
from collector.interop.ocs_exchange import INVENTORY_REPLY, OcsAgent, exchange
from collector.interop.ocs_xml import identify_agent, read_request
from collector.interop.safe_xml import XmlLimits, parse_xml, read_xml_body
from collector.interop.wire_hash import ocs_inventory_key
from collector.models import utcnow
from collector.request_guards import refuse_nul_characters

__all__ = ["bp"]

log = logging.getLogger(__name__)

bp = Blueprint("ocs", __name__)
bp.before_request(refuse_nul_characters)


@bp.post("/ocsinventory", defaults={"secret": None})
@bp.post("/ocsinventory/<secret>")
def post_ocsinventory(secret: str | None):
    config = get_config()
    auth = authenticate_site(request, secret)
    limits = XmlLimits(max_wire_bytes=config.max_wire_bytes, max_inflated_bytes=config.max_body_bytes)
    body = read_xml_body(request.stream, limits, request.content_length)
    protocol, version = identify_agent(request.headers.get("User-Agent"))
    # An unchanged inventory is recognised from its bytes, unparsed (collector/interop/wire_hash.py).
    wire = ocs_inventory_key(body, protocol, version, request.headers.get("GLPI-Agent-ID"), limits.max_elements)
    # The device's agents row, read once for the wire check and every later step that needs it.
    device = ForeignDevice(get_db(), protocol, wire[0]) if wire is not None else None
    if wire is not None and store_unchanged_by_wire(get_db(), auth, protocol, *wire, utcnow(), device) is not None:
        return _zlib_reply(INVENTORY_REPLY)
    ocs_request = read_request(parse_xml(body, limits.max_depth, limits.max_elements))
    if protocol == "glpi" and request.headers.get("GLPI-Agent-ID"):
        # One device whichever endpoint a GLPI agent uses: /glpi keys it by this id too.
        ocs_request = replace(ocs_request, device_id=request.headers["GLPI-Agent-ID"])
    reply = exchange(get_db(), config, OcsAgent(auth, protocol, version), ocs_request, utcnow(),
                     wire_hash=wire[1] if wire is not None else None, device=device)
    return _zlib_reply(reply)


def _zlib_reply(reply: str) -> Response:
    return Response(zlib.compress(reply.encode("utf-8")), status=200, content_type="application/x-compress")


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    headers = {"WWW-Authenticate": getattr(exc, "challenge", None) or 'Basic realm="Stocktake"'} if exc.status == 401 else {}
    return error_response(exc.status, exc.message, exc.fields, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    return error_response(exc.code or 500, exc.description or exc.name, headers=headers)


@bp.errorhandler(SQLAlchemyError)
def _database_error(exc: SQLAlchemyError):
    """A lock timeout or an unreachable database: the agent retries at its next run."""
    if not is_unavailable(exc):
        raise exc
    log.warning("database unavailable; answering 503", extra={"error": type(exc).__name__})
    return error_response(503, "database temporarily unavailable; retry later",
                          headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})
