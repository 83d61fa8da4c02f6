"""Administration: agents and enrollment secrets, and the people who use the web UI."""

from __future__ import annotations

from datetime import timedelta

from flask import redirect, render_template, request, url_for
from collector.access.api_tokens import ROLES
from collector.access.enrollment import (
    create_enrollment_secret, list_enrollment_secrets, revoke_agent, revoke_enrollment_secret,
)
from collector.access.time_zones import time_zones
from collector.access.users import create_user, get_user, list_users, set_password, set_role, set_user_disabled
from collector.errors import NotFound
from collector.extensions import get_db, request_session
from collector.models import EnrollmentSecret, utcnow
from collector.queries.admin_lists import AGENT_SORTS, USER_SORTS, agent_page, sorted_users
from collector.web import bp
from collector.web.form_state import keep_typed
from collector.web.listing import list_args, stay_in_range
from collector.web.params import form_int
from collector.web.security import actor, allow

__all__: list[str] = []


def _agents_page(new_secret=None, status: int = 200):
    session = request_session()
    listing = list_args("agents", tuple(AGENT_SORTS), "hostname")
    page = agent_page(session, listing.sort, listing.page, listing.per_page)
    if new_secret is None:  # a new secret is shown once, in this response: never redirect it away
        stay_in_range(listing, page.total)
    return render_template("agents.html", agents=page.rows, total=page.total, listing=listing,
                           secrets=list_enrollment_secrets(session), now=utcnow(), new_secret=new_secret), status


@bp.get("/admin/agents")
@allow("admin")
def agents():
    return _agents_page()


@bp.post("/admin/enrollment-secrets")
@allow("admin")
@keep_typed(agents)
def secret_create():
    days, uses = form_int("expires_in_days", optional=True), form_int("max_uses", optional=True)
    with get_db().write() as session:
        new = create_enrollment_secret(session, request.form.get("name", "").strip(),
                                       timedelta(days=days) if days else None, uses, actor=actor())
    # Shown once, in this response only (never in a URL or a redirect).
    return _agents_page(new, 201)


@bp.post("/admin/enrollment-secrets/<id32:secret_id>/revoke")
@allow("admin")
def secret_revoke(secret_id: int):
    with get_db().write() as session:
        secret = session.get(EnrollmentSecret, secret_id)
        if secret is None:
            raise NotFound(f"no enrollment secret with id {secret_id}")
        revoke_enrollment_secret(session, secret.name, actor=actor())
    return redirect(url_for("web.agents", notice="secret_revoked"), 303)


@bp.post("/admin/agents/<agent_id>/revoke")
@allow("admin")
def agent_revoke(agent_id: str):
    with get_db().write() as session:
        revoke_agent(session, agent_id[:36], actor=actor())
    return redirect(url_for("web.agents", notice="agent_revoked"), 303)


@bp.get("/admin/users")
@allow("admin")
def users():
    listing = list_args("users", tuple(USER_SORTS), "username")
    return render_template("users.html", users=sorted_users(list_users(request_session()), listing.sort), roles=ROLES,
                           listing=listing, time_zones=time_zones())


@bp.post("/admin/users")
@allow("admin")
@keep_typed(users)
def user_create():
    with get_db().write() as session:
        create_user(session, request.form.get("username", ""), request.form.get("role", ""),
                    request.form.get("password", ""), actor())
    return redirect(url_for("web.users", notice="user_created"), 303)


@bp.post("/admin/users/<id32:user_id>/role")
@allow("admin")
@keep_typed(users)
def user_role(user_id: int):
    with get_db().write() as session:
        set_role(session, user_id, request.form.get("role", ""), actor())
    return redirect(url_for("web.users", notice="role_changed"), 303)


@bp.post("/admin/users/<id32:user_id>/disable")
@allow("admin")
def user_disable(user_id: int):
    with get_db().write() as session:
        set_user_disabled(session, user_id, request.form.get("disabled", "1") == "1", actor())
    return redirect(url_for("web.users", notice="user_updated"), 303)


@bp.post("/admin/users/<id32:user_id>/password")
@allow("admin")
@keep_typed(users)
def user_password(user_id: int):
    with get_db().write() as session:
        user = get_user(session, user_id)
        set_password(session, user.username, request.form.get("password", ""), actor())
    return redirect(url_for("web.users", notice="password_set"), 303)
