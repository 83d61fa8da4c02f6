"""A refused form keeps what was typed (collector/web/form_state.py), and a run's notice says what it did."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from collector.models import AuditException, User
from collector.models.reconcile import ReconcileRun
from tests.factories import add_exceptions


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_a_refused_new_user_keeps_the_name_and_role_but_not_the_password(client, database, users, login):
    csrf = login("admin")
    response = client.post("/admin/users", data={"csrf_token": csrf, "username": "Bad Name!", "role": "auditor",
                                                 "password": "Tiny-pw7"})
    html = page(response)
    assert response.status_code == 422
    assert 'value="Bad Name!"' in html and "<option selected>auditor</option>" in html
    assert "Tiny-pw7" not in html  # never echoed back
    assert re.search(r'id="new-username-error">must be 1-64 lower-case', html)
    assert 'id="new-password" name="password"' in html and 'aria-describedby="new-password-error"' in html
    assert 'role="alert"' in html and "What you typed is kept" in html
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3


def test_a_refused_suppression_keeps_every_field(client, database, users, login):
    csrf = login("admin")
    typed = {"mac_prefix": "00:1b:a9", "ip_range": "not-a-network", "device_type": "phone", "kind": "unmanaged",
             "owner": "Desk team", "reason": "lab <phones>", "expires_at": "2031-01-31"}
    response = client.post("/admin/suppressions", data={"csrf_token": csrf, **typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for name in ("mac_prefix", "device_type", "owner", "expires_at"):
        assert f'name="{name}"' in html and f'value="{typed[name]}"' in html
    assert 'value="lab &lt;phones&gt;"' in html  # escaped, not markup
    assert '<option value="unmanaged" selected>' in html
    assert re.search(r'id="s-ip-error">must be an IP network in CIDR form', html)


def test_a_refused_secret_keeps_its_name(client, database, users, login):
    csrf = login("admin")
    response = client.post("/admin/enrollment-secrets", data={"csrf_token": csrf, "name": "lab-racks",
                                                              "expires_in_days": "30", "max_uses": "0"})
    html = page(response)
    assert response.status_code == 422
    assert 'value="lab-racks"' in html and 'value="30"' in html
    assert 'id="secret-uses-error">must be at least 1' in html


def test_a_refused_comment_or_assignment_keeps_the_exception_page(client, database, users, login):
    [exception_id] = add_exceptions(database, 1)
    csrf = login("operator")
    long_body = "found in rack 4; " * 300  # over the 5,000-character limit
    response = client.post(f"/exceptions/{exception_id}/comments", data={"csrf_token": csrf, "body": long_body})
    html = page(response)
    assert response.status_code == 422 and f">{long_body}</textarea>" in html
    assert 'id="comment-error">must be 1-5000 characters' in html
    response = client.post(f"/exceptions/{exception_id}/assign",
                           data={"csrf_token": csrf, "assignee": str(users["auditor"])})
    html = page(response)
    assert response.status_code == 422 and 'id="assignee-error">must be an active operator or admin' in html
    with database.session() as session:
        assert session.get(AuditException, exception_id).assignee_id is None


def test_links_on_a_refused_page_lead_to_the_page_not_the_form(client, database, users, login):
    add_exceptions(database, 2)
    csrf = login("operator")
    response = client.post("/exceptions/bulk?status=open", data={"csrf_token": csrf, "scope": "ticked",
                                                                 "action": "acknowledge"})
    link = unescape(re.search(r'<a href="([^"]+)">Tick every row on this page</a>', response.get_data(as_text=True))
                    .group(1))
    assert link.startswith("/exceptions?") and "status=open" in link


def test_a_manual_run_says_what_it_opened_and_resolved(client, database, users, login):
    from tests.collector.reconcile.fleet import _Builder

    with database.write() as session:
        builder = _Builder(session, 3)
        serial = builder.serial()
        builder.ci("PC-MATCHED", serial=serial, hostname="pc-matched")
        builder.asset("pc-matched", serial=serial)
        builder.asset("pc-stray", serial=builder.serial())  # no CI: unmanaged
    csrf = login("operator")
    response = client.post("/reconciliation/run", data={"csrf_token": csrf})
    assert response.status_code == 303
    location = response.headers["Location"]
    html = page(client.get(location))
    with database.session() as session:
        run = session.scalars(select(ReconcileRun).order_by(ReconcileRun.id.desc())).first()
        opened = session.scalar(select(func.count()).select_from(AuditException).where(
            AuditException.opened_run_id == run.id))
    assert f"run={run.id}" in location and opened == run.counts["opened"] >= 1
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', html, re.S).group(1)
    notice = " ".join(notice.split())
    assert notice.startswith(f"Reconciliation run #{run.id} finished: {run.subjects} subjects checked, "
                             f"{run.counts['matched']} matched to a CI, ")
    assert f"{run.counts['unmanaged']} unmanaged" in notice
    assert f"{opened} exception{'' if opened == 1 else 's'} opened, {run.counts['resolved']} resolved" in notice
    # a second run resolves nothing and opens nothing: the notice says so, not "finished" alone
    location = client.post("/reconciliation/run", data={"csrf_token": csrf}).headers["Location"]
    again = " ".join(page(client.get(location)).split())
    assert "0 exceptions opened, 0 resolved" in again
    # a forged or unknown run id shows no numbers
    assert "Reconciliation run finished." in page(client.get("/reconciliation?notice=ran&run=999999"))
