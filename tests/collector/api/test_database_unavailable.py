"""A database that cannot take a request now gets 503 with Retry-After, never a 500 (issue 16, defect 6).

Lock waits that time out (SQLite "database is locked", PostgreSQL lock_timeout) and a
database that cannot be reached at all, on every API route.
"""

import dataclasses
import json
import re

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text

import collector.db
from collector.models import Agent, Observation, ReportReceipt

LOCK_WAIT_MS = 300


def _app(config, database_url):
    from collector.app import create_app

    application = create_app(dataclasses.replace(config, database_url=database_url))
    application.config["TESTING"] = True
    return application


@pytest.fixture
def impatient_app(config, db_url, monkeypatch):
    """The app with lock waits cut from 30 s to a fraction of a second (the behaviour at the end is the same)."""
    if db_url.startswith("sqlite"):
        monkeypatch.setattr(collector.db, "SQLITE_BUSY_TIMEOUT_MS", LOCK_WAIT_MS)
        url = db_url
    else:
        url = db_url.replace("options=", f"options=-clock_timeout%3D{LOCK_WAIT_MS}%20")
    application = _app(config, url)
    yield application
    application.extensions["stocktake"]["db"].dispose()


def _assert_unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert "retry" in response.get_json()["error"]


def test_lock_wait_timeout_is_503_with_retry_after_and_stores_nothing(impatient_app, database, make_agent, reports):
    agent = make_agent()
    client = impatient_app.test_client()
    report = reports.report(agent.agent_id)
    with database.write() as holder:  # another writer: SQLite's write lock, PostgreSQL's agent row lock
        holder.execute(select(Agent.id).where(Agent.id == agent.agent_id).with_for_update())
        holder.execute(text("UPDATE agents SET last_seen_at = last_seen_at WHERE id = :id"), {"id": agent.agent_id})
        inventory = client.post("/api/v1/inventory", data=json.dumps(report), content_type="application/json",
                                headers=agent.headers)
        checkin = client.post("/api/v1/checkin", data=json.dumps({"agent_version": "0.1.0"}),
                              content_type="application/json", headers=agent.headers)
    _assert_unavailable(inventory)
    _assert_unavailable(checkin)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportReceipt)) == 0
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
    # The lock is gone: the same report is stored.
    again = client.post("/api/v1/inventory", data=json.dumps(report), content_type="application/json", headers=agent.headers)
    assert again.status_code == 201, again.get_json()


def test_readiness_is_503_while_another_writer_holds_sqlite_past_the_wait(impatient_app, database):
    if not database.is_sqlite:
        pytest.skip("PostgreSQL writers do not lock the whole database")
    client = impatient_app.test_client()
    with database.write() as holder:
        holder.execute(text("UPDATE agents SET id = id WHERE 1 = 0"))
        _assert_unavailable(client.get("/api/v1/health/ready"))
        assert client.get("/api/v1/health/live").status_code == 200
    assert client.get("/api/v1/health/ready").status_code == 200
    assert client.get("/api/v1/health").status_code == 200


@pytest.fixture
def unreachable_app(config, db_url, tmp_path):
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it (SQLITE_CANTOPEN)
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"  # nothing listens on port 1
    application = _app(config, url)
    yield application
    application.extensions["stocktake"]["db"].dispose()


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.rule not in ("/api/v1/health/live", "/api/v1/openapi.json"):
            path = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def test_every_api_route_answers_503_when_the_database_cannot_be_reached(unreachable_app):
    client = unreachable_app.test_client()
    answers = {}
    for method, path in _api_routes(unreachable_app):
        response = client.open(path, method=method, data=b"{}", content_type="application/json",
                               headers={"Authorization": "Bearer stka_" + "x" * 43})
        answers[(method, path)] = response.status_code
        if response.status_code >= 500:
            _assert_unavailable(response)
    assert len(answers) > 15
    assert answers[("GET", "/api/v1/health")] == answers[("GET", "/api/v1/health/ready")] == 503
    assert answers[("POST", "/api/v1/inventory")] == answers[("GET", "/api/v1/assets")] == 503
    assert client.get("/api/v1/health/live").status_code == 200


class _Orig(Exception):
    def __init__(self, message, sqlstate=None, sqlite_errorname=None):
        super().__init__(message)
        if sqlstate is not None:
            self.sqlstate = sqlstate
        if sqlite_errorname is not None:
            self.sqlite_errorname = sqlite_errorname


@pytest.mark.parametrize("error, unavailable", [
    (sa_exc.OperationalError("x", {}, _Orig("database is locked", sqlite_errorname="SQLITE_BUSY")), True),
    (sa_exc.OperationalError("x", {}, _Orig("attempt to write a readonly database", sqlite_errorname="SQLITE_READONLY")), True),
    (sa_exc.OperationalError("x", {}, _Orig("disk I/O error", sqlite_errorname="SQLITE_IOERR_WRITE")), True),
    (sa_exc.OperationalError("x", {}, _Orig("no such table: agents", sqlite_errorname="SQLITE_ERROR")), False),
    (sa_exc.IntegrityError("x", {}, _Orig("UNIQUE constraint failed", sqlite_errorname="SQLITE_CONSTRAINT_UNIQUE")), False),
    (sa_exc.OperationalError("x", {}, _Orig("could not serialize access", sqlstate="40001")), True),
    (sa_exc.OperationalError("x", {}, _Orig("deadlock detected", sqlstate="40P01")), True),
    (sa_exc.OperationalError("x", {}, _Orig("canceling statement due to lock timeout", sqlstate="55P03")), True),
    (sa_exc.OperationalError("x", {}, _Orig("canceling statement due to statement timeout", sqlstate="57014")), True),
    (sa_exc.OperationalError("x", {}, _Orig("terminating connection due to administrator command", sqlstate="57P01")), True),
    (sa_exc.InternalError("x", {}, _Orig("cannot execute UPDATE in a read-only transaction", sqlstate="25006")), True),
    (sa_exc.OperationalError("x", {}, _Orig("sorry, too many clients already", sqlstate="53300")), True),
    (sa_exc.OperationalError("x", {}, _Orig("connection refused")), True),
    (sa_exc.IntegrityError("x", {}, _Orig("duplicate key value", sqlstate="23505")), False),
    (sa_exc.ProgrammingError("x", {}, _Orig("syntax error", sqlstate="42601")), False),
    (sa_exc.TimeoutError("QueuePool limit of size 10 overflow 20 reached"), True),
    (sa_exc.InvalidRequestError("a bug"), False),
], ids=lambda value: getattr(value, "orig", value).args[0][:30] if isinstance(value, Exception) else str(value))
def test_which_database_errors_mean_retry_later(error, unavailable):
    from collector.db import is_unavailable

    assert is_unavailable(error) is unavailable
