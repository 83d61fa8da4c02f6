"""Per-app services reachable from views: the database and the enrollment limiter."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from collector.access.ratelimit import FailureLimiter
from collector.config import CollectorConfig
from collector.db import Database

__all__ = ["get_config", "get_db", "get_limiter", "init_app", "request_session"]

_KEY = "stocktake"


def init_app(app: Flask, config: CollectorConfig) -> None:
    app.extensions[_KEY] = {
        "config": config,
        "db": Database(config.effective_database_url),
        "enroll_limiter": FailureLimiter(config.enroll_failures_allowed, config.enroll_failure_window_s),
    }
    app.teardown_appcontext(_close_request_session)


def get_config() -> CollectorConfig:
    return current_app.extensions[_KEY]["config"]


def get_db() -> Database:
    return current_app.extensions[_KEY]["db"]


def get_limiter() -> FailureLimiter:
    return current_app.extensions[_KEY]["enroll_limiter"]


def request_session() -> Session:
    """The read session of the current request, closed at teardown."""
    if "db_session" not in g:
        g.db_session = get_db().session()
    return g.db_session


def _close_request_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
