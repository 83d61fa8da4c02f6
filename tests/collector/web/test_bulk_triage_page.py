"""Bulk triage on the exceptions page: tick rows or take everything matching, confirm the count."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from collector.models import AuditException, AuditLogEntry
from tests.collector.web.conftest import CHROMIUM
from tests.factories import add_exceptions


def statuses(database) -> dict[int, str]:
    with database.session() as session:
        return dict(session.execute(select(AuditException.id, AuditException.status)).all())


def audit_rows(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(AuditLogEntry))


def checked(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'name="ids" value="(\d+)" form="bulk-form" checked', html)}


def test_operator_ticks_rows_and_acknowledges(client, database, users, login):
    ids = add_exceptions(database, 5)
    csrf = login("operator")
    page = client.get("/exceptions").get_data(as_text=True)
    assert page.count('name="ids"') == 5 and 'id="bulk-form"' in page
    response = client.post("/exceptions/bulk?status=unresolved", data={
        "csrf_token": csrf, "scope": "ticked", "ids": [str(ids[0]), str(ids[2])], "action": "acknowledge",
        "note": "known lab kit"})
    assert response.status_code == 303
    assert "notice=bulk" in response.headers["Location"] and "status=unresolved" in response.headers["Location"]
    after = statuses(database)
    assert [after[i] for i in ids] == ["acknowledged", "open", "acknowledged", "open", "open"]
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 exceptions acknowledged. Each has its own audit log entry." in shown
    exception_page = client.get(f"/exceptions/{ids[0]}").get_data(as_text=True)
    assert "known lab kit" in exception_page


def test_everything_matching_shows_the_count_then_acts_on_the_filter(client, database, users, login):
    add_exceptions(database, 7)
    drift = add_exceptions(database, 4, kind="drift", start=100)
    csrf = login("operator")
    form = {"csrf_token": csrf, "scope": "matching", "action": "assign", "assign_to": str(users["operator"]),
            "note": ""}
    confirm = client.post("/exceptions/bulk?kind=drift&status=unresolved", data=form)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Confirm: assign 4 exceptions" in html
    assert "Assign to: <strong>operator</strong>" in html and "kind <strong>drift</strong>" in html
    assert 'name="confirmed" value="4"' in html
    with database.session() as session:
        assert session.scalar(select(func.count()).where(AuditException.assignee_id.is_not(None))) == 0
    done = client.post("/exceptions/bulk?kind=drift&status=unresolved", data={**form, "confirmed": "4"})
    assert done.status_code == 303 and "kind=drift" in done.headers["Location"]
    with database.session() as session:
        assigned = set(session.scalars(select(AuditException.id)
                                       .where(AuditException.assignee_id == users["operator"])))
    assert assigned == set(drift)


def test_a_count_that_changed_refuses_and_keeps_the_form(client, database, users, login):
    add_exceptions(database, 3)
    csrf = login("operator")
    before = audit_rows(database)
    add_exceptions(database, 1, start=50)  # a run opened one more since the count was shown
    response = client.post("/exceptions/bulk", data={"csrf_token": csrf, "scope": "matching", "confirmed": "3",
                                                      "action": "acknowledge", "note": "batch from the lab"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "the filter now matches 4 exceptions, not the 3 you confirmed" in html
    assert ">batch from the lab</textarea>" in html and 'value="matching" checked' in html
    assert set(statuses(database).values()) == {"open"} and audit_rows(database) == before


def test_a_refused_selection_keeps_the_ticks_and_the_note(client, database, users, login):
    ids = add_exceptions(database, 4)
    [resolved] = add_exceptions(database, 1, status="resolved", start=40)
    csrf = login("operator")
    response = client.post("/exceptions/bulk?status=all", data={
        "csrf_token": csrf, "scope": "ticked", "ids": [str(ids[1]), str(resolved)], "action": "acknowledge",
        "note": "typed with care"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and f"({resolved})" in html
    assert checked(html) == {ids[1], resolved} and ">typed with care</textarea>" in html
    assert statuses(database)[ids[1]] == "open"
    # a comment needs its note: 422, the error beside the note, the ticks kept
    response = client.post("/exceptions/bulk", data={"csrf_token": csrf, "scope": "ticked", "ids": [str(ids[0])],
                                                     "action": "comment", "note": " "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and checked(html) == {ids[0]}
    assert '<p class="field-error" id="bulk-note-error">is required to comment</p>' in html
    # nothing ticked
    response = client.post("/exceptions/bulk", data={"csrf_token": csrf, "scope": "ticked", "action": "acknowledge"})
    assert response.status_code == 422 and "select at least one exception" in response.get_data(as_text=True)


def test_tick_every_row_on_the_page(client, database, users, login):
    ids = add_exceptions(database, 3)
    csrf = login("operator")
    page = client.get("/exceptions?status=open").get_data(as_text=True)
    assert checked(page) == set()
    link = unescape(re.search(r'<a href="([^"]+)">Tick every row on this page</a>', page).group(1))
    assert "status=open" in link and "tick=page" in link
    ticked = client.get(link).get_data(as_text=True)
    assert checked(ticked) == set(ids)
    # the bulk form posts with the page's query string; a refusal shows what was posted, not "tick all"
    action = unescape(re.search(r'<form id="bulk-form"[^>]* action="([^"]+)"', ticked).group(1))
    refused = client.post(action, data={"csrf_token": csrf, "scope": "ticked", "ids": [str(ids[0])],
                                        "action": "comment", "note": ""})
    assert refused.status_code == 422 and checked(refused.get_data(as_text=True)) == {ids[0]}


def test_auditors_see_no_bulk_controls_and_may_not_post(client, database, users, login):
    ids = add_exceptions(database, 2)
    csrf = login("auditor")
    page = client.get("/exceptions").get_data(as_text=True)
    assert 'name="ids"' not in page and "bulk-form" not in page
    response = client.post("/exceptions/bulk", data={"csrf_token": csrf, "scope": "ticked", "ids": [str(ids[0])],
                                                     "action": "acknowledge"})
    assert response.status_code == 403
    assert set(statuses(database).values()) == {"open"}


def test_posts_without_the_csrf_token_are_refused(client, database, users, login):
    ids = add_exceptions(database, 1)
    login("operator")
    response = client.post("/exceptions/bulk", data={"scope": "ticked", "ids": [str(ids[0])], "action": "acknowledge"})
    assert response.status_code in (400, 403)
    assert statuses(database)[ids[0]] == "open"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_in_a_browser_without_script(open_as, server, database, users, shots):
    """Ticks and the "all matching" confirmation, clicked in chromium (the page itself runs no script)."""
    ids = add_exceptions(database, 6)
    page = open_as("operator")
    page.goto("/exceptions")
    page.check(f"#pick-{ids[0]}")
    page.check(f"#pick-{ids[1]}")
    page.select_option("#bulk-action", "acknowledge")
    page.fill("#bulk-note", "checked in the browser")
    page.click("form.bulk button[type=submit]")
    page.wait_for_url(re.compile(r"notice=bulk"))
    assert "2 exceptions acknowledged" in page.inner_text("p.notice")
    shots.take(page, "bulk-ticked.png", full_page=True)
    page.check("input[name=scope][value=matching]")
    page.select_option("#bulk-action", "comment")
    page.fill("#bulk-note", "all of them")
    page.click("form.bulk button[type=submit]")
    assert page.inner_text("h1") == "Confirm: comment on 6 exceptions"
    page.click("text=Comment on all 6")
    page.wait_for_url(re.compile(r"notice=bulk"))
    assert "6 exceptions commented on" in page.inner_text("p.notice")
    assert page.evaluate("window.__xss") is None


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_thousand_acknowledged_in_the_browser(open_as, server, database, users, shots):
    """Issue 14: 1,000 exceptions acknowledged from the browser in one action ("everything
    matching this filter", confirmed by its count), each with its own audit entry; the chain holds."""
    from collector.access.audit_log import verify_chain

    ids = add_exceptions(database, 1000, kind="drift")
    others = add_exceptions(database, 5, kind="missing", start=5000)
    before = audit_rows(database)
    page = open_as("operator")
    page.goto("/exceptions?kind=drift&status=open")
    page.check("input[name=scope][value=matching]")
    page.select_option("#bulk-action", "acknowledge")
    page.fill("#bulk-note", "known: the refresh project replaces these")
    page.click("form.bulk button[type=submit]")
    assert page.inner_text("h1") == "Confirm: acknowledge 1000 exceptions"
    page.click("text=Acknowledge all 1000")
    page.wait_for_url(re.compile(r"notice=bulk"), timeout=120_000)
    assert "1000 exceptions acknowledged" in page.inner_text("p.notice")
    shots.take(page, "bulk-thousand.png", full_page=False)
    after = statuses(database)
    assert {after[i] for i in ids} == {"acknowledged"} and {after[i] for i in others} == {"open"}
    with database.session() as session:
        targets = session.scalars(select(AuditLogEntry.target)
                                  .where(AuditLogEntry.action == "exception_acknowledged")).all()
        assert sorted(targets) == sorted(f"exception {i}" for i in ids)  # one entry per row, no more
        assert verify_chain(session).ok
    assert audit_rows(database) - before > 1000  # the rows' and the bulk action's own
