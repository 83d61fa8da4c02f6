"""Logging in and out, sessions, CSRF, throttling and the hash-chained audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from collector.access.audit_log import Actor, append_entry, verify_chain
from collector.access.passwords import hash_password, needs_rehash, verify_password
from collector.access.users import THROTTLE_AFTER
from collector.models import AuditLogEntry, User, WebSession
from tests.collector.web.conftest import PASSWORD, csrf_from


def _actions(database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)))


def _attempt(client, username: str, password: str):
    page = client.get("/login", follow_redirects=True)  # a signed-in browser is sent to the dashboard
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_password_hashes_are_salted_scrypt_and_verify_in_constant_time():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$32768$8$1$")
    assert verify_password(PASSWORD, first) and not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "md5$whatever") and not needs_rehash(first)


def test_login_sets_a_hardened_cookie_and_a_new_session_id_each_time(client, database, users):
    response = _attempt(client, "admin", PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("stocktake_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    first = client.get_cookie("stocktake_session").value
    assert client.get("/").status_code == 200
    _attempt(client, "admin", PASSWORD)
    second = client.get_cookie("stocktake_session").value
    assert second != first
    with database.session() as session:  # the old session was ended, only hashes are stored
        ids = list(session.scalars(select(WebSession.id)))
    assert len(ids) == 1 and first not in ids and second not in ids


def test_logout_ends_the_session_and_is_audited(client, database, users, login):
    token = login("auditor")
    cookie = client.get_cookie("stocktake_session").value
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    client.set_cookie("stocktake_session", cookie)
    assert client.get("/").status_code == 303
    assert _actions(database)[-2:] == ["login", "logout"]


def test_wrong_password_and_unknown_user_fail_alike_and_are_audited(client, database, users):
    wrong, unknown = _attempt(client, "admin", "not the password"), _attempt(client, "mallory", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password" in wrong.get_data(as_text=True)
    assert "Wrong user name or password" in unknown.get_data(as_text=True)
    assert _actions(database)[-2:] == ["login_failed", "login_failed"]


def test_repeated_failures_throttle_the_account_even_for_the_right_password(client, database, users):
    for _ in range(THROTTLE_AFTER):
        assert _attempt(client, "operator", "guess guess guess").status_code == 401
    blocked = _attempt(client, "operator", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert _actions(database)[-1] == "login_throttled"
    with database.write() as session:  # once the delay has passed the owner gets in
        user = session.scalar(select(User).where(User.username == "operator"))
        user.last_failed_login_at -= timedelta(minutes=20)
    assert _attempt(client, "operator", PASSWORD).status_code == 303


def test_forms_without_the_csrf_token_are_refused(client, users, login):
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 400
    login("admin")
    assert client.post("/logout", data={}).status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400


def test_login_redirects_only_to_local_paths(app, users):
    for target, expected in (("/assets?q=x", "/assets?q=x"), ("//evil.example/", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")):
        client = app.test_client()  # a fresh browser each time
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token,
                                                "next": target})
        assert response.headers["Location"] == expected


def test_disabling_a_user_ends_their_sessions(client, database, users, login):
    login("auditor")
    with database.write() as session:
        from collector.access.users import set_user_disabled

        set_user_disabled(session, users["auditor"], True, Actor(users["admin"], "admin", "test"))
    assert client.get("/").status_code == 303
    assert _attempt(client, "auditor", PASSWORD).status_code == 401


def test_pages_carry_a_strict_content_security_policy(client, users, login):
    login("admin")
    response = client.get("/")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"


def test_audit_chain_verifies_and_finds_a_tampered_row(database):
    actor = Actor(None, "tester", "127.0.0.1")
    with database.write() as session:
        for n in range(5):
            append_entry(session, "export", actor, f"file-{n}", {"n": n, "name": "<b>é</b>"})
    with database.session() as session:
        report = verify_chain(session)
    assert report.ok and report.checked == 5
    with database.engine.connect() as connection:  # edits inside a transaction that is rolled back
        transaction = connection.begin()
        if database.is_sqlite:
            connection.execute(text("DROP TRIGGER audit_log_append_only"))
        else:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(text("UPDATE audit_log SET target = 'file-x' WHERE id = 3"))
        from sqlalchemy.orm import Session

        tampered = verify_chain(Session(bind=connection))
        assert not tampered.ok and tampered.first_bad_id == 3 and "content" in tampered.reason
        connection.execute(text("DELETE FROM audit_log WHERE id = 3"))
        removed = verify_chain(Session(bind=connection))
        assert not removed.ok and removed.first_bad_id == 4 and "missing" in removed.reason
        transaction.rollback()


def test_audit_rows_cannot_be_updated(database):
    with database.write() as session:
        append_entry(session, "login", Actor(1, "admin", None))
    with pytest.raises(Exception, match="append-only"):
        with database.write() as session:
            session.execute(text("UPDATE audit_log SET actor = 'someone else'"))
