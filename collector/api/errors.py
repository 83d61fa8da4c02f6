"""JSON error bodies for every failure of an API route, including Werkzeug's own."""

from __future__ import annotations

import logging

from flask import jsonify
from werkzeug.exceptions import HTTPException

from collector.api import bp
from collector.errors import RateLimited, ServiceError

log = logging.getLogger(__name__)


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


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unhandled error in API request")
    return error_response(500, "internal error; the collector logged the details")
