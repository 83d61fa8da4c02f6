"""/api/v1/suppressions (auditors read, admins write, every change audited) and the discovered-node
filter of /api/v1/devices, on a scanned network reconciled under the default policy."""

from datetime import timedelta

from sqlalchemy import func, select

from collector.models import AuditLogEntry, SuppressionRule, utcnow
from collector.reconcile.service import run_full
from tests.collector.reconcile.scope_fleet import NOW, QUIET, build_scanned_network


def _rule(**fields):
    return {"device_type": "phone", "reason": "telephony owns phones", "owner": "telecom",
            "expires_at": (utcnow() + timedelta(days=30)).isoformat(), **fields}


def test_admins_add_list_and_delete_rules_and_each_change_is_audited(client, database, make_token):
    admin, auditor = make_token("admin"), make_token("auditor")
    assert client.post("/api/v1/suppressions", json=_rule(), headers=auditor).status_code == 403
    created = client.post("/api/v1/suppressions", json=_rule(), headers=admin)
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()
    assert (rule["device_type"], rule["owner"], rule["created_by"]) == ("phone", "telecom", rule["created_by"])
    assert rule["created_by"].startswith("token:admin-")
    listed = client.get("/api/v1/suppressions", headers=auditor).get_json()["items"]
    assert [r["id"] for r in listed] == [rule["id"]]
    assert client.delete(f"/api/v1/suppressions/{rule['id']}", headers=auditor).status_code == 403
    assert client.delete(f"/api/v1/suppressions/{rule['id']}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/suppressions/{rule['id']}", headers=admin).status_code == 404
    with database.session() as session:
        actions = session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.action.like("suppression%"))
                                  .order_by(AuditLogEntry.id)).all()
    assert actions == ["suppression_rule_added", "suppression_rule_deleted"]


def test_a_bad_rule_is_422_naming_each_field_and_stores_nothing(client, database, make_token):
    response = client.post("/api/v1/suppressions", json=_rule(ip_range="198.18.2.3/15", kind="everything",
                                                              expires_at="soon"), headers=make_token("admin"))
    assert response.status_code == 422
    fields = {f["field"] for f in response.get_json()["fields"]}
    assert fields == {"ip_range", "kind", "expires_at"}
    assert client.get("/api/v1/suppressions?expired=maybe", headers=make_token()).status_code == 422
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SuppressionRule)) == 0


def test_devices_filter_discovered_nodes_with_their_reason_and_the_report_counts_them(client, database, config,
                                                                                      make_token):
    with database.write() as session:
        fleet = build_scanned_network(session)
    run_full(database, config, NOW)
    headers = make_token()
    nodes = client.get("/api/v1/devices?managed=false&quieted=policy&per_page=50", headers=headers).get_json()
    assert nodes["total"] == len(QUIET)
    reasons = {d["id"]: d["not_raised"]["reason"] for d in nodes["items"]}
    assert reasons[fleet.devices["router-arp"]] == "unmanaged_policy: " + QUIET["router-arp"]
    searched = client.get("/api/v1/devices?quieted=policy&q=10.5.0", headers=headers).get_json()
    assert [d["id"] for d in searched["items"]] == [fleet.devices["router-arp"]]
    raised = client.get("/api/v1/devices?q=198.18.3.10", headers=headers).get_json()["items"]
    assert [d["not_raised"] for d in raised] == [None]
    assert client.get("/api/v1/devices?quieted=yes", headers=headers).status_code == 422
    report = client.get("/api/v1/reconciliation", headers=headers).get_json()
    assert report["quieted"] == {"policy": len(QUIET), "suppression": 0}
