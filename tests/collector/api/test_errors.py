"""Every error under /api/ answers the API's JSON envelope; the web UI's errors stay HTML.

Issue 16, defect 10: errors raised before an API view runs (an unknown route, a wrong
method) or outside the blueprint used to answer Werkzeug's HTML page.
"""

from __future__ import annotations

import pytest
from flask import request
from werkzeug.exceptions import abort


@pytest.fixture
def app_with_bare_routes(app):
    """Routes under /api/ registered on the app itself (not the blueprint), failing on purpose."""

    def bad_request():
        abort(400)

    def boom():
        raise RuntimeError("the database went away")

    app.add_url_rule("/api/v1/_test/bad-request", "bare_bad_request", bad_request)
    def echo():
        return request.get_data()  # Werkzeug's own 413 past MAX_CONTENT_LENGTH

    app.add_url_rule("/api/v1/_test/boom", "bare_boom", boom)
    app.add_url_rule("/api/v1/_test/echo", "bare_echo", echo, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as production does
    return app


def _big_body(app) -> bytes:
    return b"{" + b" " * app.config["MAX_CONTENT_LENGTH"] + b"}"


@pytest.mark.parametrize(
    "method, path, body, status, message",
    [
        ("GET", "/api/v1/no-such-route", None, 404, "no API endpoint"),
        ("GET", "/api/v2/assets", None, 404, "no API endpoint"),
        ("GET", "/api/v1/assets/not-a-number", None, 404, "no API endpoint"),
        ("POST", "/api/v1/no-such-route", b"{}", 404, "no API endpoint"),
        ("DELETE", "/api/v1/health", None, 405, "DELETE is not allowed"),
        ("POST", "/api/v1/assets", b"{}", 405, "POST is not allowed"),
        ("GET", "/api/v1/inventory", None, 405, "GET is not allowed"),
        ("POST", "/api/v1/enroll", "big", 413, "exceeds"),
        ("POST", "/api/v1/_test/echo", "big", 413, "too large"),
        ("GET", "/api/v1/_test/bad-request", None, 400, "could not understand"),
        ("GET", "/api/v1/_test/boom", None, 500, "internal error"),
    ],
)
def test_api_errors_are_json(app_with_bare_routes, database, method, path, body, status, message):
    client = app_with_bare_routes.test_client()
    data = _big_body(app_with_bare_routes) if body == "big" else body
    response = client.open(path, method=method, data=data, content_type="application/json")
    assert response.status_code == status
    assert response.mimetype == "application/json", response.data[:200]
    assert message in response.get_json()["error"]
    assert set(response.get_json()) <= {"error", "fields"}


@pytest.mark.parametrize("method, path, allowed", [("DELETE", "/api/v1/health", {"GET", "HEAD", "OPTIONS"}),
                                                   ("GET", "/api/v1/inventory", {"POST", "OPTIONS"})])
def test_method_not_allowed_names_the_allowed_methods(client, database, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_the_collector_keeps_serving_after_api_errors(app_with_bare_routes, database):
    client = app_with_bare_routes.test_client()
    assert client.get("/api/v1/_test/boom").status_code == 500
    assert client.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("method, path, status", [("GET", "/no-such-page", 404), ("GET", "/apiary", 404),
                                                  ("DELETE", "/login", 405)])
def test_web_errors_stay_html(client, database, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "text/html"
