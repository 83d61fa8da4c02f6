"""Liveness and readiness for load balancers, process supervisors and the demo.

Liveness says the process answers (restart it if not); readiness says it can store a
report now: the database is reachable and writable. ``/health`` stays readiness, as it
was before the split.
"""

from collector.api import bp
from collector.extensions import get_db


@bp.get("/health/live")
def health_live():
    return {"status": "ok"}


@bp.get("/health/ready")
@bp.get("/health")
def health_ready():
    # A failure becomes 503 with Retry-After (api/errors.py), a read-only database included.
    get_db().check_writable()
    return {"status": "ok"}
