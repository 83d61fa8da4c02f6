"""The unmanaged devices page: the discovered nodes filter shows each node's reason, and search narrows it."""

from collector.reconcile.service import run_full
from tests.collector.reconcile.scope_fleet import NOW, build_scanned_network


def test_discovered_nodes_are_listed_with_the_policy_reason(client, database, config, users, login):
    with database.write() as session:
        build_scanned_network(session)
    run_full(database, config, NOW)
    login("auditor")
    assert client.get("/admin/suppressions").status_code == 403  # admins only
    everything = client.get("/devices").get_data(as_text=True)
    assert "10 devices" in everything and "198.18.3.10" in everything  # lab-pc raises: listed, no reason
    nodes = client.get("/devices?show=nodes").get_data(as_text=True)
    assert "6 devices" in nodes and "198.18.3.10" not in nodes
    assert "unmanaged_policy: known only from a neighbour&#39;s LLDP table: a discovered node" in nodes
    assert 'selected>Not registered, no exception by policy' in nodes
    searched = client.get("/devices?show=nodes&q=52:54:00").get_data(as_text=True)
    assert "1 device<" in searched and "hypervisor-virtual MAC (QEMU/KVM 52:54:00)" in searched


def test_admins_add_and_delete_suppression_rules_on_the_admin_page(client, database, users, login):
    from datetime import date, timedelta

    from sqlalchemy import select

    from collector.models import AuditLogEntry, SuppressionRule

    csrf = login("admin")
    expires = (date.today() + timedelta(days=30)).isoformat()
    bad = client.post("/admin/suppressions", data={"csrf_token": csrf, "ip_range": "198.18.0.1/15", "owner": "net",
                                                   "reason": "guest Wi-Fi", "expires_at": expires})
    assert bad.status_code == 422 and "must be an IP network in CIDR form" in bad.get_data(as_text=True)
    added = client.post("/admin/suppressions", data={"csrf_token": csrf, "ip_range": "198.19.0.0/16", "owner": "net",
                                                     "reason": "guest Wi-Fi", "kind": "unmanaged",
                                                     "expires_at": expires})
    assert added.status_code == 303, added.get_data(as_text=True)
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "198.19.0.0/16" in page and "guest Wi-Fi" in page and "Rule added" in page
    with database.session() as session:
        rule_id = session.scalars(select(SuppressionRule.id)).one()
    deleted = client.post(f"/admin/suppressions/{rule_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert "No suppression rules." in client.get("/admin/suppressions").get_data(as_text=True)
    with database.session() as session:
        actions = session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.action.like("suppression%"))
                                  .order_by(AuditLogEntry.id)).all()
    assert actions == ["suppression_rule_added", "suppression_rule_deleted"]
