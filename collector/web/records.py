"""Record pages: one configuration item, one scanned device (each links to everything it mentions)."""

from __future__ import annotations

from flask import render_template

from collector.extensions import request_session
from collector.models import utcnow
from collector.queries.ci_page import ci_page
from collector.queries.device_page import device_page
from collector.web import bp
from collector.web.security import allow

__all__: list[str] = []


@bp.get("/cis/<int:ci_id>")
@allow("auditor")
def ci(ci_id: int):
    return render_template("ci.html", page=ci_page(request_session(), ci_id, utcnow()))


@bp.get("/devices/<int:device_id>")
@allow("auditor")
def device(device_id: int):
    return render_template("device.html", page=device_page(request_session(), device_id))
