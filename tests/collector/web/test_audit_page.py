"""The audit log page and API: filters (actor, action, object, time) with keyset pages, readable
details, exports of the filtered log, and a verification that shows the head hash."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from collector.access.audit_log import Actor, append_entry
from collector.models import AuditLogEntry

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
ALICE, BOB = Actor(1, "alice", "198.18.0.5"), Actor(2, "bob", "198.18.0.6")
BOT, CLI = Actor(None, "token:ci-bot", "198.18.0.9"), Actor(None, "cli:ops", "cli")
HOSTILE = "<script>window.__xss=1</script>"
SEEDED = [
    ("login", ALICE, "alice", {"role": "admin"}),
    ("exception_acknowledged", BOB, "exception 5", {"kind": "drift"}),
    ("exception_assigned", BOB, "exception 50", {"assignee": "carol"}),
    ("sam_rule_added", BOT, "rule 7", {"definition": {"match": "firefox*", "product": "Firefox"}, "position": 2}),
    ("sam_entitlement_changed", BOT, "entitlement 3",
     {"role": "admin", "before": {"quantity": 5, "sku": "X-1"}, "after": {"quantity": 8, "sku": "X-1"}}),
    ("export", CLI, "exceptions.csv", {"filters": {"kind": "drift"}, "rows": 3, "completed": True}),
    ("user_role_changed", ALICE, "dave", {"from": "auditor", "to": "operator"}),
    ("exception_commented", BOB, "exception 5", {"comment": HOSTILE, "mentions": ["ann", "ben"]}),
]


@pytest.fixture
def seeded(database):
    """The entries above, one a day from T0 (after the fixtures' own entries, which are dated now)."""
    with database.write() as session:
        for day, (action, actor, target, detail) in enumerate(SEEDED):
            append_entry(session, action, actor, target, detail, T0 + timedelta(days=day))


@pytest.fixture
def auditor(users, login):
    return login("auditor")


def _api(client, make_token, query: str = "", status: int = 200) -> dict:
    response = client.get(f"/api/v1/audit{query}", headers=make_token("auditor"))
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(("query", "expected"), [
    ("?actor=bob", {"exception_acknowledged", "exception_assigned", "exception_commented"}),
    ("?actor=token:", {"sam_rule_added", "sam_entitlement_changed"}),
    ("?actor=cli:", {"export"}),
    ("?actor=Bob", set()),  # names are exact
    ("?action=exception_acknowledged", {"exception_acknowledged"}),
    ("?action=exception_*&actor=bob", {"exception_acknowledged", "exception_assigned", "exception_commented"}),
    ("?object_type=exception&object=5", {"exception_acknowledged", "exception_commented"}),  # not exception 50
    ("?object_type=exception", {"exception_acknowledged", "exception_assigned", "exception_commented"}),
    ("?object=EXCEPTION%205", {"exception_acknowledged", "exception_assigned", "exception_commented"}),
    ("?object=100%25", set()),  # % is a character, not a wildcard
    ("?from=2026-03-02&to=2026-03-03", {"exception_acknowledged", "exception_assigned"}),
    ("?from=2026-03-02T12:00&to=2026-03-03T12:00", {"exception_acknowledged"}),
    ("?from=2026-03-07", {"user_role_changed", "exception_commented", "api_token_created"}),  # the token: now
    ("?to=2026-03-01", {"login"}),
    ("?actor=bob&object_type=exception&object=50", {"exception_assigned"}),
])
def test_api_filters_by_actor_action_object_and_time(client, make_token, seeded, query, expected):
    body = _api(client, make_token, query + ("&" if "?" in query else "?") + "limit=500")
    assert {item["action"] for item in body["items"]} == expected
    assert body["total"] == len(body["items"])


@pytest.mark.parametrize(("query", "field"), [
    ("?action=DROP%20TABLE", "action"), ("?object_type=Exception!", "object_type"), ("?from=yesterday", "from"),
    ("?from=2026-03-05&to=2026-03-01", "to"), ("?to=2026-02-30", "to"), ("?limit=0", "limit"),
    ("?before=abc", "before"), ("?actor=" + "x" * 256, "actor"), ("?object=a%00b", "object"),
])
def test_api_refuses_a_bad_filter_naming_it(client, make_token, seeded, query, field):
    body = _api(client, make_token, query, 422)
    assert field in {f["field"] for f in body["fields"]}


def test_api_pages_by_keyset_and_needs_a_token(client, make_token, seeded):
    first = _api(client, make_token, "?actor=bob&limit=2")
    assert [i["target"] for i in first["items"]] == ["exception 5", "exception 50"] and first["total"] == 3
    second = _api(client, make_token, f"?actor=bob&limit=2&before={first['next_before']}")
    assert [i["target"] for i in second["items"]] == ["exception 5"] and second["next_before"] is None
    assert second["items"][0]["action"] == "exception_acknowledged"
    assert client.get("/api/v1/audit").status_code == 401


def test_api_verify_answers_the_head(client, make_token, database, seeded):
    body = _api(client, make_token, "/verify")
    with database.session() as session:
        head = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(1)).one()
    assert body == {"ok": True, "checked": head.id, "head_id": head.id, "head_hash": head.row_hash,
                    "first_bad_id": None, "reason": None}


def _page_rows(html: str) -> list[tuple[str, str, str]]:
    """(actor, action, object) of each row of the audit table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) >= 5 and cells[0].isdigit():
            rows.append((cells[2], cells[3], cells[4]))
    return rows


def test_page_shows_details_as_readable_key_values(client, auditor, seeded):
    html = client.get("/audit?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    table = html.split("<tbody>", 1)[1]
    assert "<dt>quantity</dt><dd>5 → 8</dd>" in table and "sku" not in table  # only what changed
    assert "<dt>changed</dt><dd>auditor → operator</dd>" in table
    assert "<dt>filters › kind</dt><dd>drift</dd>" in table and "<dt>completed</dt><dd>yes</dd>" in table
    assert "<dt>definition › match</dt><dd>firefox*</dd>" in table and "<dt>mentions</dt><dd>ann; ben</dd>" in table
    assert HOSTILE not in html and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in table
    assert not re.search(r"[{}]|\[|'|None|True|False", re.sub(r"<[^>]+>", "", table).replace("&#39;", "'"))


def test_page_filters_and_keeps_them_across_keyset_pages(client, auditor, database, seeded):
    with database.write() as session:
        for n in range(105):
            append_entry(session, "export", Actor(None, "carol", "198.18.0.7"), f"file-{n}.csv", {"n": n})
    first = client.get("/audit?actor=carol&object=file-")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "105 matching entries" in html
    rows = _page_rows(html)
    assert len(rows) == 100 and {r[0] for r in rows} == {"carol"} and rows[0][2] == "file-104.csv"
    older = re.search(r'<a href="([^"]+)" rel="next">Older entries</a>', html).group(1).replace("&amp;", "&")
    assert "actor=carol" in older and "object=file-" in older and "before=" in older
    second = client.get(older).get_data(as_text=True)
    assert [r[2] for r in _page_rows(second)] == [f"file-{n}.csv" for n in range(4, -1, -1)]
    assert "Newest entries" in second and "Older entries" not in second
    assert 'value="carol"' in second  # the form still shows the filter
    only_bob = _page_rows(client.get("/audit?actor=bob&object_type=exception&object=5").get_data(as_text=True))
    assert only_bob == [("bob", "exception commented", "exception 5"), ("bob", "exception acknowledged", "exception 5")]


def test_page_answers_a_bad_filter_with_400_keeping_what_was_typed(client, auditor, seeded):
    response = client.get("/audit?action=%3Cb%3Ex&from=nope&actor=bob")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in html
    assert 'href="#f-action">action</a>' in html and 'href="#f-since">from</a>' in html
    assert 'value="&lt;b&gt;x"' in html and 'value="bob"' in html and "<b>x" not in html
    assert "<tbody>" not in html  # nothing listed under filters that could not be applied


def test_verification_shows_the_head_hash_and_count(client, auditor, database, seeded):
    html = client.get("/audit?verify=1").get_data(as_text=True)
    with database.session() as session:
        head = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(1)).one()
    result = re.search(r'<p class="notice" role="status" id="chain-result">(.*?)</p>', html, re.S).group(1)
    assert f"Chain intact: {head.id} entries verified." in result
    assert f"Head: entry {head.id}, SHA-256 <code class=\"hash\">{head.row_hash}</code>" in result


def test_verification_names_the_first_bad_entry(client, auditor, database, seeded):
    with database.session() as session:
        victim = session.scalars(select(AuditLogEntry).where(AuditLogEntry.target == "rule 7")).one()
        good = session.get(AuditLogEntry, victim.id - 1)
        victim_id, good_hash = victim.id, good.row_hash
    with _tampered(database, victim_id):
        html = client.get("/audit?verify=1").get_data(as_text=True)
        body = _api_verify(client, database)
    assert f"Chain broken at entry {victim_id}: content does not match its hash." in html
    assert f"the last good one is entry {victim_id - 1}, SHA-256 <code class=\"hash\">{good_hash}</code>" in html
    assert (body["ok"], body["first_bad_id"], body["head_id"], body["head_hash"]) == (False, victim_id, victim_id - 1,
                                                                                      good_hash)
    assert "Chain intact" in client.get("/audit?verify=1").get_data(as_text=True)  # restored


def _api_verify(client, database) -> dict:
    from collector.access.api_tokens import create_api_token

    with database.write() as session:
        token = create_api_token(session, "verifier", "auditor").token
    return client.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"}).get_json()


class _tampered:
    """Edit one entry's object behind the trigger's back (committed, so the app sees it), then restore it."""

    def __init__(self, database, entry_id: int):
        self.database, self.entry_id = database, entry_id

    def _set(self, target: str) -> None:
        with self.database.engine.begin() as connection:
            if self.database.is_sqlite:
                trigger = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_log_append_only'")
                                             ).scalar_one()
                connection.execute(text("DROP TRIGGER audit_log_append_only"))
                connection.execute(text("UPDATE audit_log SET target = :t WHERE id = :i"), {"t": target, "i": self.entry_id})
                connection.execute(text(trigger))
            else:
                connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
                connection.execute(text("UPDATE audit_log SET target = :t WHERE id = :i"), {"t": target, "i": self.entry_id})
                connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))

    def __enter__(self):
        self._set("rule 8")

    def __exit__(self, *_exc):
        self._set("rule 7")


def _csv_table(data: bytes) -> list[list[str]]:
    """The table of a CSV export, wherever its header row is (after any provenance lines)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    start = next(i for i, row in enumerate(rows) if row[:2] == ["Entry", "When (UTC)"])
    return rows[start:]


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.data
    response.close()  # the file's spool
    return data


def test_exports_hold_exactly_the_filtered_entries_and_are_audited(client, auditor, database, seeded, tmp_path):
    csv_response = client.get("/exports/audit.csv?actor=bob&object_type=exception")
    assert csv_response.status_code == 200
    table = _csv_table(csv_response.data)
    assert [row[4] for row in table[1:]] == ["exception 5", "exception 50", "exception 5"]  # chain order
    assert table[1][3] == "exception_acknowledged" and table[1][5] == "kind: drift"
    assert table[3][5] == f"comment: {HOSTILE}; mentions: ann; ben"
    with database.session() as session:
        hashes = dict(session.execute(select(AuditLogEntry.id, AuditLogEntry.row_hash)).all())
    assert all(hashes[int(row[0])] == row[7] for row in table[1:])

    book = load_workbook(io.BytesIO(_download(client, "/exports/audit.xlsx?action=sam_*")), read_only=True)
    values = [[cell for cell in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values) if row and row[0] == "Entry")
    data = [row for row in values[header + 1:] if row and row[0] is not None]
    assert [row[3] for row in data] == ["sam_rule_added", "sam_entitlement_changed"]
    assert data[1][5] == "role: admin; quantity: 5 → 8" or data[1][5] == "quantity: 5 → 8; role: admin"

    pdf = _download(client, "/exports/audit.pdf?actor=alice")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "audit.pdf").write_bytes(pdf)
    pdf_text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "audit.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert "Audit log" in pdf_text and "dave" in pdf_text and "bob" not in pdf_text

    with database.session() as session:
        exports = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export",
                                                              AuditLogEntry.actor == "auditor")
                                  .order_by(AuditLogEntry.id)).all()
    assert [(e.target, e.detail["filters"], e.detail["rows"]) for e in exports] == [
        ("audit.csv", {"actor": "bob", "object_type": "exception"}, 3),
        ("audit.xlsx", {"action": "sam_*"}, 2),
        ("audit.pdf", {"actor": "alice"}, 2)]


def test_a_bad_export_filter_is_refused_and_nothing_is_audited(client, auditor, database, seeded):
    response = client.get("/exports/audit.csv?from=31/12/2026")
    assert response.status_code in (400, 422)
    with database.session() as session:
        assert not session.scalars(select(AuditLogEntry).where(AuditLogEntry.target.like("audit.%"))).all()


def test_page_links_exports_with_the_current_filters(client, auditor, seeded):
    html = client.get("/audit?actor=bob&from=2026-03-01").get_data(as_text=True)
    links = re.findall(r'href="(/exports/audit\.(?:csv|xlsx|pdf)[^"]*)"', html)
    assert len(links) == 3 and all("actor=bob" in link and "from=2026-03-01" in link for link in links)
