"""Record pages: one configuration item, one scanned device (each links to everything it mentions)."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from collector.errors import NotFound
from collector.extensions import request_session
from collector.models import utcnow
from collector.queries.ci_page import ci_id_by_tag, ci_page
from collector.queries.device_page import device_page
from collector.web import bp
from collector.web.security import allow

__all__: list[str] = []


@bp.get("/cis/<int:ci_id>")
@allow("auditor")
def ci(ci_id: int):
    return render_template("ci.html", page=ci_page(request_session(), ci_id, utcnow()))


@bp.get("/cis/tag/<path:tag>")
@allow("auditor")
def ci_by_tag(tag: str):
    """A CI by its asset tag (lists that show only the tag link here), answered with its page's address."""
    ci_id = ci_id_by_tag(request_session(), tag)
    if ci_id is None:
        raise NotFound(f"no CI with asset tag {tag[:255]}")
    return redirect(url_for("web.ci", ci_id=ci_id), 303)


@bp.get("/devices/<int:device_id>")
@allow("auditor")
def device(device_id: int):
    return render_template("device.html", page=device_page(request_session(), device_id))
