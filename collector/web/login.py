"""Logging in and out. A login always issues a new session id (the old cookie is dropped)."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for

from collector.access.audit_log import append_entry
from collector.access.users import attempt_login
from collector.access.web_sessions import end_session, start_session
from collector.api.auth import client_address
from collector.extensions import get_db
from collector.web import bp
from collector.web.security import (
    LOGIN_COOKIE, SESSION_COOKIE, actor, allow, current, login_limiter, safe_next, set_session_cookie,
)

__all__: list[str] = []


@bp.get("/login")
@allow(None)
def login():
    if current() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""), error=None)


def _refused(message: str, status: int, retry_after: int = 0):
    response = make_response(render_template("login.html", next=request.form.get("next", ""), error=message,
                                             username=request.form.get("username", "")[:64]), status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/login")
@allow(None)
def login_submit():
    client = client_address()
    wait = login_limiter().retry_after(client)
    if wait:
        return _refused(f"Too many failed logins from this address. Try again in {wait} seconds.", 429, wait)
    with get_db().write() as session:
        result = attempt_login(session, request.form.get("username", ""), request.form.get("password", ""), client)
        cookie = start_session(session, result.user, client, replaces=request.cookies.get(SESSION_COOKIE)) \
            if result.user else None
    if result.failure == "throttled":
        return _refused(f"Too many failed attempts for this account. Try again in {result.retry_after} seconds.",
                        429, result.retry_after)
    if cookie is None:
        login_limiter().record_failure(client)
        return _refused("Wrong user name or password.", 401)
    response = redirect(safe_next(request.form.get("next")), 303)
    set_session_cookie(response, cookie)
    response.delete_cookie(LOGIN_COOKIE, path="/login", secure=True, httponly=True, samesite="Strict")
    return response


@bp.post("/logout")
@allow("auditor")
def logout():
    with get_db().write() as session:
        end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        append_entry(session, "logout", actor(), current().username)
    response = redirect(url_for("web.login"), 303)
    set_session_cookie(response, None)
    return response

