"""The reconciliation API: the report, a CI's explanation, the exception queue, and runs (role-checked)."""

from sqlalchemy import select

from collector.models.reconcile import AuditException
from tests.collector.reconcile.fleet import build_messy_fleet


def test_a_run_then_the_report_counts_and_rows(client, database, make_token):
    with database.write() as session:
        fleet = build_messy_fleet(session)
    response = client.post("/api/v1/reconciliation/runs", headers=make_token("operator"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["counts"]["matched"] == 63 and body["opened"] == 12
    report = client.get("/api/v1/reconciliation?outcome=unmanaged", headers=make_token()).get_json()
    assert report["outcomes"] == {"matched": 63, "unmanaged": 3, "duplicate": 1}
    assert report["open_exceptions"]["drift"] == 3 and report["open_exceptions"]["missing"] == 3
    assert report["run"]["duration_ms"] == body["duration_ms"] >= 0  # measured, stored, shown
    assert report["run"]["id"] == body["run_id"] and report["total"] == 3
    assert {row["subject_name"] for row in report["items"]} == {"vm-b", "hd-029", "198.18.2.50"}
    explained = client.get("/api/v1/reconciliation/cis/LT-TYPO", headers=make_token()).get_json()
    assert explained["matches"][0]["subject_id"] == fleet.assets["lt-typo"]
    assert "rule 3 (mac_overlap)" in explained["matches"][0]["explanation"]
    assert explained["observed"]["serial"] == {"value": "5CG0123XZY", "source": "agent",
                                               "seen_at": "2026-11-20T12:00:00+00:00"}
    assert [e["kind"] for e in explained["exceptions"]] == ["drift"]


def test_an_acknowledged_exception_still_counts_as_open_in_the_report(client, database, make_token):
    with database.write() as session:
        build_messy_fleet(session)
    client.post("/api/v1/reconciliation/runs", headers=make_token("operator"))
    with database.write() as session:
        drift = session.scalars(select(AuditException).where(AuditException.kind == "drift")).first()
        drift.status = "acknowledged"  # someone is on it; the difference is still there
    report = client.get("/api/v1/reconciliation", headers=make_token()).get_json()
    assert report["open_exceptions"]["drift"] == 3


def test_the_exception_queue_filters_by_kind_and_status(client, database, make_token):
    with database.write() as session:
        build_messy_fleet(session)
    client.post("/api/v1/reconciliation/runs", headers=make_token("operator"))
    page = client.get("/api/v1/exceptions?kind=missing&status=open", headers=make_token()).get_json()
    assert page["total"] == 3 and {item["asset_tag"] for item in page["items"]} == {"LT-LOST", "LT-GONE", "LT-DOCKTYPO"}
    bad = client.get("/api/v1/exceptions?kind=meteor", headers=make_token())
    assert bad.status_code == 422 and bad.get_json()["fields"][0]["field"] == "kind"


def test_a_dry_run_writes_nothing_and_an_auditor_cannot_start_a_run(client, database, make_token):
    with database.write() as session:
        build_messy_fleet(session)
    assert client.post("/api/v1/reconciliation/runs", headers=make_token("auditor")).status_code == 403
    dry = client.post("/api/v1/reconciliation/runs?dry_run=true", headers=make_token("operator"))
    assert dry.status_code == 200 and dry.get_json()["run_id"] is None
    with database.session() as session:
        assert session.scalars(select(AuditException)).first() is None


def test_explaining_an_unknown_ci_is_404(client, database, make_token):
    response = client.get("/api/v1/reconciliation/cis/NO-SUCH-TAG", headers=make_token())
    assert response.status_code == 404 and "NO-SUCH-TAG" in response.get_json()["error"]


def test_an_agent_report_is_reconciled_as_it_arrives(client, database, make_agent, make_token, reports):
    from collector.models.cmdb import CiMac, ConfigurationItem

    agent = make_agent()
    report = reports.report(agent.agent_id, host_seed=7)
    with database.write() as session:
        ci = ConfigurationItem(asset_tag="LT-7", serial=report["host"]["serial"], hostname="old-name", status="deployed")
        session.add(ci)
    asset_id = client.post("/api/v1/inventory", json=report, headers=agent.headers).get_json()["asset_id"]
    explained = client.get("/api/v1/reconciliation/cis/LT-7", headers=make_token()).get_json()
    assert [(m["subject_type"], m["subject_id"]) for m in explained["matches"]] == [("asset", asset_id)]
    assert [e["kind"] for e in explained["exceptions"]] == ["drift"]  # old-name vs the agent's host name
