"""Liveness and readiness for load balancers and the demo."""

from sqlalchemy import text

from collector.api import bp
from collector.extensions import request_session


@bp.get("/health")
def health():
    request_session().execute(text("SELECT 1"))
    return {"status": "ok"}
