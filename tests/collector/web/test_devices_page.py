"""The unmanaged devices page: the discovered nodes filter shows each node's reason, and search narrows it."""

from collector.reconcile.service import run_full
from tests.collector.reconcile.scope_fleet import NOW, build_scanned_network


def test_discovered_nodes_are_listed_with_the_policy_reason(client, database, config, users, login):
    with database.write() as session:
        build_scanned_network(session)
    run_full(database, config, NOW)
    login("auditor")
    everything = client.get("/devices").get_data(as_text=True)
    assert "10 devices" in everything and "198.18.3.10" in everything  # lab-pc raises: listed, no reason
    nodes = client.get("/devices?show=nodes").get_data(as_text=True)
    assert "6 devices" in nodes and "198.18.3.10" not in nodes
    assert "unmanaged_policy: known only from a neighbour&#39;s LLDP table: a discovered node" in nodes
    assert 'selected>Not registered, no exception by policy' in nodes
    searched = client.get("/devices?show=nodes&q=52:54:00").get_data(as_text=True)
    assert "1 device<" in searched and "hypervisor-virtual MAC (QEMU/KVM 52:54:00)" in searched
