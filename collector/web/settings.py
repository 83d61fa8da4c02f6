"""A user's own settings (today: the time zone the pages show times in), and an admin setting
another user's zone from user administration.

Every role may set its own zone, auditors included: it changes how pages read for that user
only, never a record, and it is written to the audit log like any other change.
"""

from __future__ import annotations

from itertools import groupby

from flask import redirect, render_template, request, url_for

from collector.access.time_zones import set_time_zone, time_zones
from collector.access.users import get_user
from collector.errors import InvalidInput
from collector.extensions import get_db, request_session
from collector.models import utcnow
from collector.web import bp
from collector.web.security import actor, allow, current

__all__ = ["zone_groups"]


def zone_groups() -> list[tuple[str, list[str]]]:
    """The zones by region ("Europe": [...]), for a select with one group per region."""
    return [(region, list(names)) for region, names in groupby(time_zones(), key=lambda z: z.split("/", 1)[0])]


def _settings_page(chosen: str, error: str | None = None, status: int = 200):
    user = get_user(request_session(), current().user_id)
    return render_template("settings.html", user=user, chosen=chosen, error=error, groups=zone_groups(),
                           now=utcnow(), saved=request.args.get("saved") == "1"), status


@bp.get("/settings")
@allow("auditor")
def settings():
    return _settings_page(current().time_zone)


@bp.post("/settings/time-zone")
@allow("auditor")
def settings_time_zone():
    typed = request.form.get("time_zone", "")[:64]
    try:
        with get_db().write() as session:
            set_time_zone(session, get_user(session, current().user_id), typed, actor())
    except InvalidInput as exc:  # the form again, with what was chosen and why it was refused
        return _settings_page(typed, exc.fields[0].message, 422)
    return redirect(url_for("web.settings", saved=1), 303)


@bp.post("/admin/users/<id32:user_id>/time-zone")
@allow("admin")
def user_time_zone(user_id: int):
    with get_db().write() as session:
        set_time_zone(session, get_user(session, user_id), request.form.get("time_zone", "")[:64], actor())
    return redirect(url_for("web.users", notice="user_updated"), 303)

