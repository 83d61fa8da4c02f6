"""Error pages for the web UI (the API keeps its JSON errors)."""

from __future__ import annotations

import logging

from flask import render_template
from werkzeug.exceptions import HTTPException

from collector.errors import ServiceError
from collector.web import bp

log = logging.getLogger(__name__)

_TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 422: "Check the form", 429: "Too many requests"}


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


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unhandled error in web request")
    return _page(500, "Something went wrong; the collector logged the details.")
