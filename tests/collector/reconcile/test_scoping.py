"""The exception scope in real runs: the unmanaged policy per discovery method, virtual MAC, type, subnet
and scan profile; open exceptions it no longer raises resolved with a note; the report and device list."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from collector.models import AuditException, QuietedException
from collector.queries.devices import list_devices
from collector.reconcile.engine import reconcile_full
from collector.reconcile.report import reconciliation_report
from collector.reconcile.service import rules_for, run_full, run_incremental
from tests.collector.reconcile.scope_fleet import NOW, QUIET, RAISED, build_scanned_network


def _open_unmanaged(database, fleet) -> set[str]:
    names = {device_id: name for name, device_id in fleet.devices.items()}
    with database.session() as session:
        rows = session.scalars(select(AuditException).where(AuditException.kind == "unmanaged",
                                                            AuditException.open_key.is_not(None)))
        return {names.get(e.subject_id, f"asset {e.subject_id}") for e in rows if e.subject_type == "device"}


def _quieted(database, fleet) -> dict[str, str]:
    names = {device_id: name for name, device_id in fleet.devices.items()}
    with database.session() as session:
        return {names[q.subject_id]: q.reason for q in session.scalars(select(QuietedException))
                if q.subject_type == "device"}


@pytest.mark.parametrize("one_scan", [False, True], ids=["by-id", "one-scan"])
def test_the_default_policy_raises_only_for_devices_seen_directly(database, config, monkeypatch, one_scan):
    if one_scan:  # the path a campus-sized full run takes: one read of every unlinked device
        monkeypatch.setattr("collector.reconcile.scoping._ONE_SCAN", 0)
    with database.write() as session:
        fleet = build_scanned_network(session)
    result = run_full(database, config, NOW)
    assert _open_unmanaged(database, fleet) == RAISED
    assert _quieted(database, fleet) == {name: f"unmanaged_policy: {reason}" for name, reason in QUIET.items()}
    assert result.counts["quieted.policy"] == len(QUIET) and result.counts["exceptions.unmanaged"] == len(RAISED) + 1


def test_types_subnets_and_scan_profiles_from_the_config(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
    policy = {"quiet_device_types": ["phone"], "quiet_scan_profiles": ["guest-wifi", "no-such-profile"],
              "raise_subnets": ["198.18.5.0/24"], "quiet_virtual_macs": False}
    run_full(database, replace(config, unmanaged_policy=policy), NOW)
    assert _open_unmanaged(database, fleet) == {"lab-pc", "printer", "server-fdb", "vmware-vm", "kvm-guest"}
    quieted = _quieted(database, fleet)
    assert quieted["desk-phone"] == "unmanaged_policy: device type phone is not registered"
    assert quieted["guest-laptop"] == "unmanaged_policy: subnet 198.18.9.0/24 is not registered"


def test_open_exceptions_the_policy_no_longer_raises_are_resolved_with_a_note(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
        first = reconcile_full(session, rules_for(config), NOW)  # no scope: the old behaviour, all raised
    assert first.counts["exceptions.unmanaged"] == len(RAISED) + len(QUIET) + 1
    result = run_full(database, config, NOW + timedelta(minutes=5))
    assert result.resolved == len(QUIET)
    with database.session() as session:
        resolved = session.scalars(select(AuditException).where(AuditException.status == "resolved")).all()
    notes = {e.subject_id: e.resolution_note for e in resolved}
    assert notes[fleet.devices["fdb-only"]] == (
        f"Resolved by reconciliation run {result.run_id}: not raised: unmanaged_policy: known only from a switch's "
        "forwarding table: a discovered node")
    assert len(resolved) == len(QUIET)  # resolved, not deleted


def test_an_incremental_run_applies_the_policy_to_its_subjects(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
    run_incremental(database, config, NOW, device_ids=[fleet.devices["fdb-only"], fleet.devices["lab-pc"]])
    assert _open_unmanaged(database, fleet) == {"lab-pc"}
    assert set(_quieted(database, fleet)) == {"fdb-only"}
    run_full(database, config, NOW)
    assert set(_quieted(database, fleet)) == set(QUIET)


def test_the_report_and_the_device_list_show_discovered_nodes_with_their_reason(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
    run_full(database, config, NOW)
    with database.session() as session:
        report = reconciliation_report(session, "unmanaged", 1, 100)
        nodes = list_devices(session, managed=False, page=1, per_page=50, quieted="policy")
        found = list_devices(session, managed=False, page=1, per_page=50, quieted="policy", search="00:1B:A9")
    assert report.quieted == {"policy": len(QUIET), "suppression": 0}
    assert report.open_exceptions["unmanaged"] == len(RAISED) + 1
    rows = {row["subject_id"]: row["quieted"] for row in report.rows if row["subject_type"] == "device"}
    assert rows[fleet.devices["lab-pc"]] == []
    assert rows[fleet.devices["lldp-ap"]] == [{"kind": "unmanaged", "source": "policy", "rule_id": None,
                                                "reason": "unmanaged_policy: " + QUIET["lldp-ap"]}]
    assert {d.id for d in nodes.items} == {fleet.devices[name] for name in QUIET} and nodes.total == len(QUIET)
    assert [d.id for d in found.items] == [fleet.devices["fdb-only"]]  # the phone's OUI, case-insensitive
    assert nodes.not_raised[fleet.devices["kvm-guest"]]["reason"] == "unmanaged_policy: " + QUIET["kvm-guest"]
