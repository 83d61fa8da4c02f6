"""The SAM rules API and the CLI commands (the web pages: tests/collector/web/test_sam_titles.py)."""

import json

from sqlalchemy import select

from collector.models import AuditLogEntry
from tests.collector.sam.fleet import build_titles
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture


def test_api_rules_normalise_and_titles(client, database, make_token):
    admin, auditor = make_token("admin"), make_token("auditor")
    with database.write() as session:
        build_titles(session)
    assert client.post("/api/v1/sam/normalise", headers=admin).get_json()["uncovered"] == 3
    page = client.get("/api/v1/sam/titles?covered=no&per_page=1", headers=auditor).get_json()
    assert (page["total"], page["items"][0]["name"], page["items"][0]["installs"]) == (2, "Acme Widget Studio", 3)
    rule = {"id": "acme", "name_regex": "^Acme Widget", "publisher": "Acme", "product": "Widget Studio"}
    assert client.post("/api/v1/sam/rules", json=rule, headers=auditor).status_code == 403
    created = client.post("/api/v1/sam/rules", json=rule, headers=admin)
    assert created.status_code == 201 and created.get_json()["rule_id"] == "acme"
    bad = client.post("/api/v1/sam/rules", json={"id": "b", "name_regex": "(", "publisher": "A", "product": "B"},
                      headers=admin)
    assert bad.status_code == 422 and "name_regex" in json.dumps(bad.get_json())
    assert [r["rule_id"] for r in client.get("/api/v1/sam/rules", headers=auditor).get_json()["items"]] == ["acme"]
    assert client.post("/api/v1/sam/normalise?full=true", headers=admin).get_json()["uncovered"] == 1
    assert client.get("/api/v1/sam/titles?covered=no", headers=auditor).get_json()["total"] == 1
    assert client.delete("/api/v1/sam/rules/acme", headers=admin).status_code == 204
    assert client.delete("/api/v1/sam/rules/acme", headers=admin).status_code == 404
    with database.session() as session:
        actions = session.scalars(select(AuditLogEntry.action)).all()
    assert actions.count("sam_normalise") == 2 and "sam_rule_added" in actions and "sam_rule_deleted" in actions


def test_cli_normalise_titles_and_rules(run_cli, database, tmp_path):
    with database.write() as session:
        build_titles(session)
    out = run_cli("sam", "normalise").stdout
    assert "35 titles normalised: 32 covered, 3 uncovered" in out
    listing = run_cli("sam", "titles", "--uncovered", "--limit", "1").stdout
    assert "Acme Widget Studio" in listing and "2 uncovered title(s)" in listing
    rule = tmp_path / "rule.toml"
    rule.write_text('id = "acme"\nname_regex = "^Acme"\npublisher = "Acme"\nproduct = "Widget Studio"\n')
    assert "added rule acme" in run_cli("sam", "rules", "add", str(rule)).stdout
    bad = run_cli("sam", "rules", "add", '{"id": "b", "name": "X", "publisher": "A"}', check=False)
    assert bad.returncode == 1 and "product: required" in bad.stderr
    assert "acme" in run_cli("sam", "rules", "list").stdout
    assert "35 titles normalised: 34 covered, 1 uncovered" in run_cli("sam", "normalise").stdout
    assert "1 uncovered title(s)" in run_cli("sam", "titles", "--uncovered").stdout
    assert "deleted rule acme" in run_cli("sam", "rules", "delete", "acme").stdout
    assert run_cli("sam", "rules", "delete", "acme", check=False).returncode == 1
