"""Delegated approvals: honoured for their period and group, recorded as "X for Y", never for one's own request."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collector.errors import Forbidden, InvalidInput
from collector.models import AuditLogEntry, WorkflowDelegation, WorkflowEvent
from collector.workflows.delegation import create_delegation, revoke_delegation
from collector.workflows.loading import SHIPPED_DIR, load_templates
from collector.workflows.reading import my_tasks
from collector.workflows.service import complete_task, start_workflow
from tests.collector.reconcile.fleet import NOW
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture
from tests.collector.workflows.helpers import snapshot
from tests.collector.workflows.test_deployment import REQUEST

GROUPS = {"finance": frozenset({"fiona"}), "it": frozenset({"fiona", "root"})}


@pytest.fixture(scope="module")
def finance_templates(tmp_path_factory):
    """ham_deployment whose decision table sends costs of 5,000 and more to approver group finance."""
    directory = tmp_path_factory.mktemp("templates")
    shutil.copy(SHIPPED_DIR / "ham_deployment.bpmn", directory)
    dmn = (SHIPPED_DIR / "ham_deployment.dmn").read_text()
    (directory / "ham_deployment.dmn").write_text(dmn.replace('<outputEntry id="r_high_out"><text>"admin"',
                                                              '<outputEntry id="r_high_out"><text>"finance"'))
    loaded = load_templates([directory], GROUPS)
    assert loaded.errors == [] and loaded.get("ham_deployment") is not None
    return loaded


def _requested(database, templates, initiator, ci_id, at) -> int:
    with database.write() as session:
        wf = start_workflow(session, templates, "ham_deployment", initiator, ci_id=ci_id, now=at).id
    with database.write() as session:
        complete_task(session, templates, wf, "request", initiator, {**REQUEST, "cost": 6000}, now=at)
    return wf


def _delegate(database, actor, delegate, start, end, group=None, delegator=None) -> int:
    with database.write() as session:
        return create_delegation(session, actor, delegate, start, end, GROUPS, group, delegator, now=NOW).id


def _approve(database, templates, wf, actor, at):
    with database.write() as session:
        complete_task(session, templates, wf, "approve_cost", actor, {"decision": "approve"}, now=at)


def test_a_delegate_approves_for_the_delegator_within_the_period(database, finance_templates, people, laptop):
    alice, bob, fiona = people["alice"], people["bob"], people["fiona"]
    wf = _requested(database, finance_templates, alice, laptop["ci_id"], NOW)
    start, end = NOW + timedelta(days=1), NOW + timedelta(days=3)
    _delegate(database, fiona, "bob", start, end, "finance")
    before = snapshot(database, wf)
    with pytest.raises(Forbidden, match="approver group 'finance'"):  # not yet
        _approve(database, finance_templates, wf, bob, NOW + timedelta(hours=23))
    assert snapshot(database, wf) == before
    with database.session() as session:
        assert my_tasks(session, finance_templates, bob) == []  # read at the real clock: long after the period
    _approve(database, finance_templates, wf, bob, start + timedelta(hours=1))
    with database.session() as session:
        approved = session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "approved")).one()
        assert (approved.actor, approved.detail["on_behalf_of"]) == ("bob", "fiona")
        audit = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "workflow_approved")).one()
        assert (audit.actor, audit.detail["on_behalf_of"]) == ("bob", "fiona")


def test_the_inbox_shows_delegated_approvals_and_revoking_ends_them(database, finance_templates, people, laptop):
    from collector.models import utcnow

    alice, bob, fiona = people["alice"], people["bob"], people["fiona"]
    wf = _requested(database, finance_templates, alice, laptop["ci_id"], NOW)
    now = utcnow()
    delegation = _delegate(database, fiona, "bob", now - timedelta(hours=1), now + timedelta(days=2))
    with database.session() as session:
        [task] = my_tasks(session, finance_templates, bob)
        assert (task["workflow"], task["id"], task["role"], task["on_behalf_of"]) == (wf, "approve_cost", "finance",
                                                                                     ["fiona"])
        assert [t["on_behalf_of"] for t in my_tasks(session, finance_templates, fiona)] == [None]
        assert my_tasks(session, finance_templates, alice) == []  # her own request
    with pytest.raises(Forbidden, match="only the delegator or an admin"), database.write() as session:
        revoke_delegation(session, delegation, alice)
    with database.write() as session:
        revoke_delegation(session, delegation, fiona)
    with database.session() as session:
        assert my_tasks(session, finance_templates, bob) == []
    with pytest.raises(Forbidden):
        _approve(database, finance_templates, wf, bob, utcnow())


def test_nobody_approves_their_own_request_through_a_delegation(database, finance_templates, people, laptop):
    bob, fiona = people["bob"], people["fiona"]
    period = (NOW - timedelta(days=1), NOW + timedelta(days=5))
    _delegate(database, fiona, "bob", *period)
    own = _requested(database, finance_templates, bob, laptop["ci_id"], NOW)
    with pytest.raises(Forbidden, match="nobody approves their own request"):
        _approve(database, finance_templates, own, bob, NOW)
    with database.write() as session:  # a second CI for fiona's own request
        from tests.collector.reconcile.fleet import _Builder

        other = _Builder(session, 12).ci("LT-OTHER", serial="S-OTHER-1", hostname="lt-other", status="in_stock")
    for_herself = _requested(database, finance_templates, fiona, other, NOW)
    with pytest.raises(Forbidden, match="approver group 'finance'"):  # bob may not approve for fiona her own
        _approve(database, finance_templates, for_herself, bob, NOW)


BAD = [  # delegate, group, start and end (days from NOW), the field named
    ("fiona", None, 0, 2, "delegate"),  # to oneself
    ("audrey", None, 0, 2, "delegate"),  # an auditor acts on nothing
    ("nobody", None, 0, 2, "delegate"),
    ("bob", "payroll", 0, 2, "approver_group"),
    ("bob", None, 2, 1, "ends_at"),
    ("bob", None, -5, -1, "ends_at"),  # over already
    ("bob", None, 0, 400, "ends_at"),
]


def test_bad_delegations_are_refused_and_nothing_is_stored(database, people):
    for delegate, group, start, end, field in BAD:
        with pytest.raises(InvalidInput) as refused:
            _delegate(database, people["fiona"], delegate, NOW + timedelta(days=start), NOW + timedelta(days=end),
                      group)
        assert field in [f.field for f in refused.value.fields], (delegate, group, start, end)
    with pytest.raises(InvalidInput, match="invalid delegation"):  # alice is in no approver group
        _delegate(database, people["root"], "bob", NOW, NOW + timedelta(days=1), delegator="alice")
    with pytest.raises(Forbidden, match="only an admin"):
        _delegate(database, people["bob"], "alice", NOW, NOW + timedelta(days=1), delegator="fiona")
    with pytest.raises(Forbidden):
        _delegate(database, people["audrey"], "bob", NOW, NOW + timedelta(days=1))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkflowDelegation)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)
                              .where(AuditLogEntry.action.like("workflow_delegation%"))) == 0


def test_delegations_through_the_api_and_the_cli(client, database, people, run_cli, tmp_path):  # noqa: F811
    from collector.access.api_tokens import create_api_token
    from collector.models import utcnow

    with database.write() as session:
        tokens = {name: {"Authorization": f"Bearer {create_api_token(session, name, people[name].role).token}"}
                  for name in ("fiona", "bob", "audrey")}
    start, end = utcnow().isoformat(), (utcnow() + timedelta(days=2)).isoformat()
    body = {"delegate": "bob", "starts_at": start, "ends_at": end}
    # the app's config has no approver groups: fiona is in none
    refused = client.post("/api/v1/workflows/delegations", json=body, headers=tokens["fiona"])
    assert refused.status_code == 422 and refused.get_json()["fields"][0]["field"] == "approver_group"
    naive = client.post("/api/v1/workflows/delegations", json={**body, "ends_at": "2026-12-31T00:00:00"},
                        headers=tokens["fiona"])
    assert naive.status_code == 422 and naive.get_json()["fields"][0]["field"] == "ends_at"
    assert client.post("/api/v1/workflows/delegations", json=body, headers=tokens["audrey"]).status_code == 403
    with database.write() as session:  # made in the service with the groups, then read and revoked over HTTP
        row = create_delegation(session, people["fiona"], "bob", utcnow(), utcnow() + timedelta(days=2), GROUPS)
        row_id = row.id
    listed = client.get("/api/v1/workflows/delegations", headers=tokens["audrey"]).get_json()["items"]
    assert [(d["id"], d["delegator"], d["delegate"]) for d in listed] == [(row_id, "fiona", "bob")]
    assert client.post(f"/api/v1/workflows/delegations/{row_id}/revoke", headers=tokens["bob"]).status_code == 403
    revoked = client.post(f"/api/v1/workflows/delegations/{row_id}/revoke", headers=tokens["fiona"])
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    assert client.post(f"/api/v1/workflows/delegations/{row_id}/revoke", headers=tokens["fiona"]).status_code == 409
    config = tmp_path / "groups.toml"
    config.write_text('workflow_approver_groups = "finance: fiona"\n')
    cli = run_cli("--config", str(config), "workflow", "delegate", "--as", "fiona", "--to", "bob", "--from", start,
                  "--until", end, "--group", "finance", check=False)
    assert cli.returncode == 0, cli.stderr
    shown = run_cli("workflow", "delegations").stdout
    assert "bob for fiona (finance)" in shown
    bad = run_cli("workflow", "delegate", "--as", "fiona", "--to", "bob", "--from", "tomorrow", "--until", end,
                  check=False)
    assert bad.returncode == 1 and "--from: expected an ISO 8601 date-time" in bad.stderr
