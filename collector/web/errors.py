"""Error pages for the web UI (the API keeps its JSON errors)."""

from __future__ import annotations

import logging

from flask import render_template
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from collector.db import is_unavailable
from collector.errors import ServiceError
from collector.web import bp

log = logging.getLogger(__name__)

_TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 422: "Check the form", 429: "Too many requests",
           503: "Temporarily unavailable"}
DATABASE_RETRY_AFTER_S = 5


def _page(status: int, message: str, fields=()):
    return render_template("error.html", status=status, title=_TITLES.get(status, "Error"), message=message,
                           fields=fields), status


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    return _page(exc.status, exc.message, exc.fields)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    message = exc.description if exc.code in (400, 404) else {
        403: "Your role does not allow this page or action."}.get(exc.code, exc.name)
    return _page(exc.code or 500, message)


@bp.errorhandler(SQLAlchemyError)
def _database_error(exc: SQLAlchemyError):
    """An unreachable, read-only or locked database is temporary: a 503 page, as the API answers."""
    if not is_unavailable(exc):
        return _unexpected(exc)
    cause = getattr(exc, "orig", None) or exc
    log.warning("database unavailable; web page answered 503",
                extra={"error": type(cause).__name__, "detail": (str(cause).splitlines() or [""])[0][:200]})
    body, status = _page(503, "The database is not reachable just now; nothing was changed. Try again in a moment.")
    return body, status, {"Retry-After": str(DATABASE_RETRY_AFTER_S)}


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unhandled error in web request")
    return _page(500, "Something went wrong; the collector logged the details.")
