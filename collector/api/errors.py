"""JSON error bodies for every failure under /api/, including Werkzeug's own.

Errors inside an API view reach the blueprint's handlers. Routing errors (an unknown
route, a wrong method) and errors of routes outside the blueprint never do: Flask sends
them to the application's handlers, so one app-level handler answers them as JSON when
the path is under /api/ and leaves the web UI's pages HTML (issue 16).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from collector.api import bp
from collector.db import is_unavailable
from collector.errors import RateLimited, ServiceError

log = logging.getLogger(__name__)
API_PREFIX = "/api/"

# Seconds an agent waits before retrying when the database cannot take a request: long
# enough for a lock holder to finish or a server to restart, short next to a report interval.
DATABASE_RETRY_AFTER_S = 10


def error_response(status: int, message: str, fields=None, headers=None):
    body = {"error": message}
    if fields:
        body["fields"] = [{"field": f.field, "message": f.message} for f in fields]
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = getattr(exc, "challenge", None) or 'Bearer realm="stocktake"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status, exc.message, exc.fields, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    # Werkzeug's headers carry meaning (Allow on 405, Retry-After, WWW-Authenticate); its
    # Content-Type is the HTML page's.
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    return error_response(exc.code or 500, _message(exc), headers=headers)


# Foreign agents' wire paths (/glpi, /ocsinventory) answer routing errors in their own format:
# path prefix -> handler, registered by their blueprints (register_wire_error_handler).
_WIRE_HANDLERS: dict[str, Callable[[HTTPException], object]] = {}


def register_wire_error_handler(prefix: str, handler: Callable[[HTTPException], object]) -> None:
    """Answer routing errors (404, 405) under ``prefix`` with ``handler`` instead of an HTML page."""
    _WIRE_HANDLERS[prefix] = handler


@bp.app_errorhandler(HTTPException)
def _app_http_error(exc: HTTPException):
    """Errors Flask raises before (or outside) the API blueprint; also a 500 it wraps."""
    if request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/"):
        return _http_error(exc)  # a 500 here was logged by Flask already
    for prefix, handler in _WIRE_HANDLERS.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return handler(exc)
    return exc  # Werkzeug's page, as before, for everything outside the API


@bp.errorhandler(SQLAlchemyError)
def _database_error(exc: SQLAlchemyError):
    """Lock timeouts and an unreachable or read-only database are temporary: 503, never 500.

    Raised before the view returned, so no 2xx went out. A commit whose answer was lost
    with the connection may still have stored a report whole; its retry is "already stored".
    """
    if not is_unavailable(exc):
        return _unexpected(exc)
    cause = getattr(exc, "orig", None) or exc
    log.warning("database unavailable; answering 503",
                extra={"error": type(cause).__name__, "detail": (str(cause).splitlines() or [""])[0][:200]})
    return error_response(503, "database temporarily unavailable; retry later",
                          headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unhandled error in API request")
    return error_response(500, "internal error; the collector logged the details")


def _message(exc: HTTPException) -> str:
    if exc.code == 413:
        return "request body too large"
    if exc.code == 500:
        return "internal error; the collector logged the details"
    if isinstance(exc, NotFound) and request.url_rule is None:
        return f"no API endpoint at {request.path}"
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
    return exc.description or exc.name
