"""Who may open which page, sessions, CSRF and the headers every page carries.

Each view declares its minimum role with ``@allow(role)`` (``None``: anyone, such as the
login page). An endpoint without a declaration answers 403 to everyone, so a route added
without a rule is closed, and the tests (which read Flask's URL map) fail until it has one.
A POST must also carry the session's CSRF token (on the login form, the token of a
pre-login cookie: the double-submit pattern), compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, url_for

from collector.access.api_tokens import ROLES
from collector.access.audit_log import Actor
from collector.access.ratelimit import FailureLimiter
from collector.access.web_sessions import LiveSession, load_session, touch_session
from collector.api.auth import client_address
from collector.extensions import get_db, request_session
from collector.models import utcnow
from collector.web import bp

__all__ = ["RULES", "allow", "actor", "csrf_token", "current", "login_limiter", "safe_next", "set_session_cookie"]

SESSION_COOKIE = "stocktake_session"
LOGIN_COOKIE = "stocktake_login"
RULES: dict[str, str | None] = {"web.static": None}
_MUTATING = ("POST", "PUT", "PATCH", "DELETE")
_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
_LIMITER_KEY = "stocktake_web_login_limiter"


def allow(role: str | None):
    """Declare the minimum role for a view (None: public)."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def mark(view):
        RULES[f"{bp.name}.{view.__name__}"] = role
        return view

    return mark


@bp.record_once
def _limiter(state) -> None:
    # Per client address, for guesses at unknown user names (accounts throttle themselves).
    state.app.extensions[_LIMITER_KEY] = FailureLimiter(20, 300)


def login_limiter() -> FailureLimiter:
    return current_app.extensions[_LIMITER_KEY]


def current() -> LiveSession | None:
    return g.get("web_session")


def actor() -> Actor:
    live = current()
    return Actor(live.user_id if live else None, live.username if live else None, client_address())


def csrf_token() -> str:
    """The token this page's forms must post back."""
    live = current()
    if live is not None:
        return live.csrf_token
    if "login_csrf" not in g:
        g.login_csrf = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    return g.login_csrf


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``next=//evil.example`` or a full URL goes to the dashboard."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.dashboard")
    parts = urlsplit(target)
    return url_for("web.dashboard") if parts.scheme or parts.netloc else target


def set_session_cookie(response, value: str | None) -> None:
    if value is None:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
    else:
        response.set_cookie(SESSION_COOKIE, value, path="/", secure=True, httponly=True, samesite="Lax")


@bp.before_request
def _authorise():
    endpoint = request.endpoint or ""
    if endpoint not in RULES:
        abort(403)
    minimum = RULES[endpoint]
    if endpoint == "web.static":
        return None
    now = utcnow()
    live, stale = load_session(request_session(), request.cookies.get(SESSION_COOKIE), now)
    g.web_session = live
    if live is not None and stale:
        with get_db().write() as session:
            touch_session(session, live.id, now)
    if minimum is not None:
        if live is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")), 303)
        if ROLES.index(live.role) < ROLES.index(minimum):
            abort(403)
    if request.method in _MUTATING:
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent.encode(), csrf_token().encode()):
            abort(400, "The form expired or did not come from this site; reload the page and try again.")
    return None


@bp.after_request
def _headers(response):
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
    if "login_csrf" in g and request.cookies.get(LOGIN_COOKIE) != g.login_csrf:
        response.set_cookie(LOGIN_COOKIE, g.login_csrf, path="/login", secure=True, httponly=True, samesite="Strict")
    return response
