"""JSON error bodies for every failure of an API route, including Werkzeug's own."""

from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from collector.api import bp
from collector.db import is_unavailable
from collector.errors import RateLimited, ServiceError

log = logging.getLogger(__name__)

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
        headers["WWW-Authenticate"] = 'Bearer realm="stocktake"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status, exc.message, exc.fields, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    message = exc.description or exc.name
    if exc.code == 413:
        message = "request body too large"
    return error_response(exc.code or 500, message)


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
