"""The curation pages /sam/titles and /sam/rules (Flask test client)."""

from sqlalchemy import select

from collector.models import SamAdminRule
from tests.collector.sam.fleet import build_titles


def test_web_curation_adds_a_rule_and_says_how_many_titles_it_covered(client, database, users, login):
    with database.write() as session:
        build_titles(session)
    csrf = login("admin")
    assert client.post("/api/v1/sam/normalise").status_code == 401  # a web session is no API token
    client.post("/sam/titles/rules", data={"csrf_token": csrf, "match": "exact", "pattern": "nothing-installed",
                                           "publisher": "N", "product": "N"})  # normalises the stored titles
    page = client.get("/sam/titles")
    assert page.status_code == 200 and b"Acme Widget Studio" in page.data and b"Add a rule" in page.data
    prefilled = client.get("/sam/titles?pattern=Acme+Widget+Studio&source=registry").get_data(as_text=True)
    assert 'value="Acme Widget Studio" required' in prefilled and '<option value="registry" selected>' in prefilled
    posted = client.post("/sam/titles/rules", data={"csrf_token": csrf, "match": "exact", "pattern": "Acme Widget Studio",
                                                    "publisher": "Acme", "product": "Widget Studio"})
    assert posted.status_code == 303
    shown = client.get(posted.headers["Location"])
    html = shown.get_data(as_text=True)
    assert "it covers 2 titles" in html, (posted.headers["Location"], html[html.find("<main"):][:600])
    assert "Acme Widget Studio" not in html.split("<table>")[1]
    rules = client.get("/sam/rules")
    assert b"Widget Studio" in rules.data and b"Delete" in rules.data
    with database.session() as session:
        rule_id = session.scalar(select(SamAdminRule.rule_id).where(SamAdminRule.definition["product"].as_string()
                                                                    == "Widget Studio"))
    bad = client.post("/sam/titles/rules", data={"csrf_token": csrf, "match": "regex", "pattern": "(",
                                                 "publisher": "A", "product": "B"})
    assert bad.status_code == 422 and b"name_regex" in bad.data
    assert client.post(f"/sam/rules/{rule_id}/delete", data={"csrf_token": csrf}).status_code == 303
    with database.session() as session:
        assert session.scalar(select(SamAdminRule.rule_id).where(SamAdminRule.rule_id == rule_id)) is None


def test_an_auditor_sees_the_pages_but_cannot_add(client, database, users, login):
    login("auditor")
    assert client.get("/sam/titles").status_code == 200 and b"Add a rule" not in client.get("/sam/titles").data
    assert client.post("/sam/titles/rules", data={}).status_code in (400, 403)
