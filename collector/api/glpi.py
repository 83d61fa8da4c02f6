"""POST /glpi (and /glpi/<site secret>): where a GLPI agent's ``server`` option points.

Off /api/v1 because the path and the wire format are the GLPI agent's, not Stocktake's: bodies
are JSON (or, from an agent in XML mode or its first PROLOG, OCS-style XML), plain, zlib
(``application/x-compress-zlib``, RFC 1950) or gzip (``application/x-compress-gzip``), capped
on the wire and after inflation like /api/v1/inventory. Every answer, errors included, goes
back in the compression the agent used, since the agent decodes by Content-Type; an error is
``{"status": "error", "message": ...}`` with its 4xx code.

The view only decodes, authenticates and serialises; collector/interop/glpi_agent.py answers.
"""

from __future__ import annotations

import gzip
import logging
import zlib

import orjson
from flask import Blueprint, Response, g, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from collector.api.body import read_capped
from collector.api.errors import DATABASE_RETRY_AFTER_S, register_wire_error_handler
from collector.db import is_unavailable
from collector.errors import BadRequest, PayloadTooLarge, ServiceError
from collector.extensions import get_config, get_db
from collector.interop.foreign_agents import authenticate_site
from collector.interop.glpi_agent import GlpiRequest, handle_glpi_message, parse_agent_id
from collector.interop.glpi_xml import handle_glpi_xml
from collector.interop.safe_xml import decode_body
from collector.models import utcnow
from collector.request_guards import refuse_nul_characters

__all__ = ["bp"]

log = logging.getLogger(__name__)

bp = Blueprint("glpi", __name__)
bp.before_request(refuse_nul_characters)

# Content-Type per compression, as GLPI and its agent name them.
_CONTENT_TYPES = {"zlib": "application/x-compress-zlib", "gzip": "application/x-compress-gzip", None: "application/json"}
_DECLARED = (("zlib", "zlib"), ("x-compress", "zlib"), ("gzip", "gzip"))


@bp.post("/glpi")
@bp.post("/glpi/<secret>")
def post_glpi(secret: str | None = None):
    g.glpi_compression = _declared_compression()
    auth = authenticate_site(request, secret)
    config = get_config()
    if request.content_length is not None and request.content_length > config.max_wire_bytes:
        raise PayloadTooLarge(f"request body exceeds {config.max_wire_bytes} bytes")
    wire = read_capped(request.stream, config.max_wire_bytes)
    if not wire:
        raise BadRequest("empty request body; expected a GLPI agent message")
    g.glpi_compression = _sniffed_compression(wire)
    body = decode_body(wire, config.max_body_bytes)
    agent_uuid = parse_agent_id(request.headers.get("GLPI-Agent-ID"))
    if body[:1024].lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"<":  # XML, perhaps after a UTF-8 byte order mark
        answer, xml = handle_glpi_xml(get_db(), config, auth, agent_uuid, request.user_agent.string, body, utcnow())
        return _reply(answer, 200, xml=xml)
    message = GlpiRequest(auth, agent_uuid, request.user_agent.string or None, body)
    return _reply(orjson.dumps(handle_glpi_message(get_db(), config, message, utcnow())), 200)


def _declared_compression() -> str | None:
    """What the Content-Type announces; used for answers sent before the body is read."""
    mimetype = request.mimetype or ""
    return next((kind for marker, kind in _DECLARED if marker in mimetype), None)


def _sniffed_compression(wire: bytes) -> str | None:
    """The body's own bytes decide (agents label compression loosely), as safe_xml.decode_body does."""
    if wire.startswith(b"\x1f\x8b"):
        return "gzip"
    cmf, flg = wire[0], wire[1] if len(wire) > 1 else 0
    return "zlib" if cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0 else None


def _reply(body: bytes, status: int, xml: bool = False, headers: dict | None = None) -> Response:
    compression = getattr(g, "glpi_compression", None)
    if compression == "zlib":
        body = zlib.compress(body)
    elif compression == "gzip":
        body = gzip.compress(body, mtime=0)
    content_type = _CONTENT_TYPES[compression] if compression or not xml else "application/xml"
    response = Response(body, status=status, content_type=content_type)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(status: int, message: str, fields=None, headers=None) -> Response:
    answer = {"status": "error", "message": message}
    if fields:
        answer["fields"] = [{"field": f.field, "message": f.message} for f in fields]
    return _reply(orjson.dumps(answer), status, headers=headers)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = getattr(exc, "challenge", None) or 'Basic realm="Stocktake"'
    return _error(exc.status, exc.message, exc.fields, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    message = "request body too large" if exc.code == 413 else (exc.description or exc.name)
    return _error(exc.code or 500, message, headers=headers)


register_wire_error_handler("/glpi", _http_error)  # a wrong method or path under /glpi


@bp.errorhandler(SQLAlchemyError)
def _database_error(exc: SQLAlchemyError):
    if not is_unavailable(exc):
        return _unexpected(exc)
    log.warning("database unavailable; answering 503", extra={"error": type(exc).__name__})
    return _error(503, "database temporarily unavailable; retry later", headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unhandled error in GLPI agent request")
    return _error(500, "internal error; the collector logged the details")
