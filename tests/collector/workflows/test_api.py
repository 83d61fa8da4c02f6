"""/api/v1/workflows: start, act, show over HTTP; auditors read only; bad input 422 with nothing stored."""

from __future__ import annotations

import pytest

from collector.access.api_tokens import create_api_token
from tests.collector.workflows.helpers import snapshot
from tests.collector.workflows.test_deployment import REQUEST


@pytest.fixture
def tokens(database, people) -> dict[str, dict]:
    """A token per person, named after them, with their role; and one named after nobody."""
    headers = {}
    with database.write() as session:
        for name, actor in people.items():
            headers[name] = {"Authorization": f"Bearer {create_api_token(session, name, actor.role).token}"}
        headers["robot"] = {"Authorization": f"Bearer {create_api_token(session, 'robot', 'admin').token}"}
    return headers


def _act(client, headers, wf, task, data=None, **extra):
    return client.post(f"/api/v1/workflows/{wf}/tasks/{task}", json={"data": data or {}, **extra}, headers=headers)


def test_deployment_through_the_api_with_an_admin_override(client, tokens, laptop):
    started = client.post("/api/v1/workflows", json={"template": "ham_deployment", "ci_id": laptop["ci_id"]},
                          headers=tokens["alice"])
    assert started.status_code == 201, started.get_json()
    wf = started.get_json()["id"]
    assert [t["id"] for t in started.get_json()["ready_tasks"]] == ["request"]
    fields = {f["id"]: f for f in started.get_json()["ready_tasks"][0]["fields"]}
    assert fields["need_by"] == {"id": "need_by", "type": "date", "label": "Needed by", "required": True}
    assert _act(client, tokens["alice"], wf, "request", REQUEST, version=1).status_code == 200
    mine = client.get("/api/v1/workflows/my-tasks", headers=tokens["bob"]).get_json()["items"]
    assert [(t["workflow"], t["id"], t["role"]) for t in mine] == [(wf, "approve_cost", "operator")]
    assert client.get("/api/v1/workflows/my-tasks", headers=tokens["alice"]).get_json()["items"] == []
    assert _act(client, tokens["bob"], wf, "approve_cost", {"decision": "approve"}).status_code == 200
    assert _act(client, tokens["bob"], wf, "deploy").status_code == 200
    assert _act(client, tokens["bob"], wf, "document", {"handover": "desk 2.14", "delivered_on": "2026-11-25"}
                ).status_code == 200
    failing = _act(client, tokens["bob"], wf, "validate")
    assert failing.status_code == 409 and failing.get_json()["error"].startswith("validation fails: ")
    overridden = _act(client, tokens["root"], wf, "validate", override_reason="agent is offline; checked by phone")
    assert overridden.status_code == 200, overridden.get_json()
    closed = _act(client, tokens["alice"], wf, "close").get_json()
    assert (closed["status"], closed["stage"], closed["version"]) == ("closed", "Closure", 7)
    assert [e["kind"] for e in closed["events"]].count("override") == 1
    listed = client.get("/api/v1/workflows?status=closed&template=ham_deployment", headers=tokens["audrey"])
    assert [item["id"] for item in listed.get_json()["items"]] == [wf]


def test_auditors_read_but_never_act(client, database, tokens, laptop):
    wf = client.post("/api/v1/workflows", json={"template": "ham_deployment", "ci_id": laptop["ci_id"]},
                     headers=tokens["alice"]).get_json()["id"]
    before = snapshot(database, wf)
    assert client.post("/api/v1/workflows", json={"template": "ham_deployment", "ci_id": laptop["ci_id"]},
                       headers=tokens["audrey"]).status_code == 403
    refused = _act(client, tokens["audrey"], wf, "request", REQUEST)
    assert refused.status_code == 403
    assert client.post(f"/api/v1/workflows/{wf}/comments", json={"body": "hi"},
                       headers=tokens["audrey"]).status_code == 403
    assert snapshot(database, wf) == before
    shown = client.get(f"/api/v1/workflows/{wf}", headers=tokens["audrey"])
    assert shown.status_code == 200 and shown.get_json()["events"][0]["kind"] == "started"
    templates = client.get("/api/v1/workflows/templates", headers=tokens["audrey"]).get_json()
    assert {"exception_resolution", "ham_deployment", "ham_procurement", "sam_acquisition"} <= {
        t["name"] for t in templates["items"]}
    assert templates["errors"] == []


def test_bad_input_is_422_naming_each_field_and_stores_nothing(client, database, tokens, laptop):
    wf = client.post("/api/v1/workflows", json={"template": "ham_deployment", "ci_id": laptop["ci_id"]},
                     headers=tokens["alice"]).get_json()["id"]
    before = snapshot(database, wf)
    bad = _act(client, tokens["alice"], wf, "request", {**REQUEST, "cost": "lots", "need_by": "tomorrow"})
    assert bad.status_code == 422
    assert bad.get_json()["error"] == "invalid form input; nothing was stored"
    assert sorted(f["field"] for f in bad.get_json()["fields"]) == ["cost", "need_by"]
    body = client.post(f"/api/v1/workflows/{wf}/tasks/request", json={"data": [], "version": True, "extra": 1},
                       headers=tokens["alice"])
    assert body.status_code == 422
    assert sorted(f["field"] for f in body.get_json()["fields"]) == ["data", "extra", "version"]
    stale = _act(client, tokens["alice"], wf, "request", REQUEST, version=5)
    assert stale.status_code == 409 and "changed meanwhile" in stale.get_json()["error"]
    unknown = client.post("/api/v1/workflows", json={"template": "ham_deployment", "ci_id": 999_999},
                          headers=tokens["alice"])
    assert unknown.status_code == 422 and unknown.get_json()["fields"][0]["field"] == "ci_id"
    assert snapshot(database, wf) == before
    assert client.get("/api/v1/workflows/999999", headers=tokens["alice"]).status_code == 404


def test_acting_needs_a_token_named_after_an_active_user(client, tokens, laptop):
    refused = client.post("/api/v1/workflows", json={"template": "ham_deployment", "ci_id": laptop["ci_id"]},
                          headers=tokens["robot"])
    assert refused.status_code == 403 and "not named after an active user" in refused.get_json()["error"]
    assert client.get("/api/v1/workflows", headers=tokens["robot"]).status_code == 200
