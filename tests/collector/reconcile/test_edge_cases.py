"""Reconciliation's edge cases (issue 13, items 7-11), each a fixture with its expected exceptions."""

from __future__ import annotations

from sqlalchemy import select

from collector.cmdb.importing import import_cis
from collector.models import Asset
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch, CiState, ReconcileRun
from collector.reconcile.engine import reconcile_full, reconcile_subjects
from collector.reconcile.report import last_run
from collector.reconcile.rules import load_rules
from tests.collector.reconcile.edge_cases import Case, days_ago
from tests.collector.reconcile.fleet import NOW

RULES = load_rules()
CLONED = "4211c9a6-61f2-8e3a-d1d4-7a6c2b0e91aa"


def _build(database, build) -> dict[str, int]:
    with database.write() as session:
        case = Case(session)
        build(case)
    return case.ids


def _full(database):
    with database.write() as session:
        return reconcile_full(session, RULES, NOW)


def _open(database) -> dict[tuple, dict]:
    with database.session() as session:
        return {(e.kind, e.ci_id, e.subject_type, e.subject_id): e.evidence
                for e in session.scalars(select(AuditException).where(AuditException.status == "open"))}


def _match(database, kind, subject_id):
    with database.session() as session:
        return session.scalars(select(CiMatch).where(CiMatch.subject_type == kind,
                                                     CiMatch.subject_id == subject_id)).one()


# 7. A subject that matches several CIs still gets drift judged, against each CI.

def _duplicate_with_drift(case):
    case.ci("LT-DUP-1", serial="5CG1111AAA", hostname="lt-dup", model="EliteBook 840 G8")
    case.ci("LT-DUP-2", serial="5CG1111AAA", hostname="lt-dup-old", model="EliteBook 830 G7")
    case.asset("lt-dup", serial="5CG1111AAA", vendor="HP", model="EliteBook 840 G8", macs=["3c:52:82:11:11:11"])


def test_a_duplicate_subject_is_judged_for_drift_against_each_ci(database):
    ids = _build(database, _duplicate_with_drift)
    _full(database)
    found = _open(database)
    one, two, asset = ids["LT-DUP-1"], ids["LT-DUP-2"], ids["lt-dup"]
    assert set(found) == {("duplicate", one, "asset", asset), ("drift", two, None, None)}
    assert found[("duplicate", one, "asset", asset)]["ci_ids"] == [one, two]
    drift = {d["attribute"]: (d["cmdb"], d["observed"]) for d in found[("drift", two, None, None)]["differences"]}
    assert drift == {"hostname": ("lt-dup-old", "lt-dup"), "model": ("EliteBook 830 G7", "EliteBook 840 G8")}


def test_an_incremental_run_judges_a_duplicate_the_same_way(database):
    ids = _build(database, _duplicate_with_drift)
    with database.write() as session:
        reconcile_subjects(session, RULES, NOW, asset_ids=[ids["lt-dup"]])
    assert ("drift", ids["LT-DUP-2"], None, None) in _open(database)


# 8. A cloned SMBIOS UUID, one twin with a placeholder serial and hypervisor MACs only.

def _clone_with_placeholder(case, *, twin_first_days_ago=100, twin_hostname="app-02", twin_cpu="Xeon Gold 6338"):
    case.ci("VM-APP-01", ci_class="virtual_machine", serial="VMware-42 11 c9 a6 61 f2 8e 3a", vendor="VMware, Inc.",
            model="VMware Virtual Platform", hostname="app-01", smbios_uuid=CLONED)
    case.asset("app-01", serial="VMware-42 11 c9 a6 61 f2 8e 3a", smbios_uuid=CLONED, macs=["00:50:56:a1:00:01"],
               cpu_model="Xeon Gold 6338", memory_bytes=8 << 30)
    case.asset("twin", hostname=twin_hostname, serial="To be filled by O.E.M.", smbios_uuid=CLONED,
               macs=["00:50:56:a1:00:02"], first_days_ago=twin_first_days_ago, cpu_model=twin_cpu,
               memory_bytes=8 << 30)


def test_a_cloned_uuid_is_found_when_one_twin_shows_only_a_placeholder_serial_and_hypervisor_macs(database):
    ids = _build(database, _clone_with_placeholder)
    _full(database)
    found = _open(database)
    clone = [evidence for (kind, *_), evidence in found.items() if kind == "cloned_identity"]
    assert len(clone) == 1 and clone[0]["kind"] == "uuid" and clone[0]["identifier"] == CLONED
    assert sorted(s["subject"][1] for s in clone[0]["subjects"]) == sorted([ids["app-01"], ids["twin"]])
    # The UUID identifies neither twin now: the one with a serial still matches its CI by it.
    assert _match(database, "asset", ids["app-01"]).rule == "vendor_serial"
    assert _match(database, "asset", ids["twin"]).outcome == "unmanaged"


def test_an_incremental_run_after_the_twin_reports_finds_the_clone(database):
    ids = _build(database, _clone_with_placeholder)
    with database.write() as session:
        reconcile_subjects(session, RULES, NOW, asset_ids=[ids["twin"]])
    assert [key for key in _open(database) if key[0] == "cloned_identity"]


def test_a_reinstalled_agent_on_the_same_vm_is_no_clone(database):
    # The new agent started after the old one stopped reporting: one machine, two records in turn.
    ids = _build(database, lambda case: _clone_with_placeholder(case, twin_first_days_ago=0, twin_hostname="app-01",
                                                                twin_cpu="Xeon Gold 6338"))
    with database.write() as session:
        session.get(Asset, ids["app-01"]).last_seen_at = days_ago(1)
    _full(database)
    assert not [key for key in _open(database) if key[0] == "cloned_identity"]


def test_two_agents_with_one_name_and_one_hardware_are_not_told_apart(database):
    # A dual-boot machine: two agents side by side, but nothing differs to prove two machines.
    _build(database, lambda case: _clone_with_placeholder(case, twin_hostname="app-01", twin_cpu="Xeon Gold 6338"))
    _full(database)
    assert not [key for key in _open(database) if key[0] == "cloned_identity"]


# 9. Duplicate CIs from the register alone.

def _register_duplicates(case):
    case.ci("SRV-1", serial="7XK2M93", vendor="Dell Inc.", model="PowerEdge R750", status="in_stock")
    case.ci("SRV-1B", serial="7xk2m93", vendor="Dell", model="PowerEdge R750", status="in_stock")
    case.ci("LT-MAC-A", serial="5CG0000001", macs=["3c:52:82:00:aa:01"], status="in_stock")
    case.ci("LT-MAC-B", serial="5CG0000002", macs=["3c:52:82:00:aa:01"], status="in_stock")
    case.ci("VM-U1", ci_class="virtual_machine", smbios_uuid=CLONED, status="in_stock")
    case.ci("VM-U2", ci_class="virtual_machine", smbios_uuid=CLONED, status="in_stock")
    # Not duplicates: two makers may number two machines alike.
    case.ci("UPS-1", serial="AS1234567", vendor="APC", model="Smart-UPS 1500", status="in_stock")
    case.ci("PDU-1", serial="AS1234567", vendor="Eaton", model="ePDU G3", status="in_stock")


def test_duplicate_cis_are_found_from_the_register_alone(database):
    ids = _build(database, _register_duplicates)
    result = _full(database)
    found = {tuple(e["ci_ids"]): e for (kind, *_), e in _open(database).items() if kind == "duplicate"}
    assert found == {
        (ids["SRV-1"], ids["SRV-1B"]): {"ci_ids": [ids["SRV-1"], ids["SRV-1B"]], "identifier": "7XK2M93",
                                        "kind": "serial", "found_by": "register"},
        (ids["LT-MAC-A"], ids["LT-MAC-B"]): {"ci_ids": [ids["LT-MAC-A"], ids["LT-MAC-B"]],
                                             "identifier": "3c:52:82:00:aa:01", "kind": "mac", "found_by": "register"},
        (ids["VM-U1"], ids["VM-U2"]): {"ci_ids": [ids["VM-U1"], ids["VM-U2"]], "identifier": CLONED, "kind": "uuid",
                                       "found_by": "register"},
    }
    assert result.counts["exceptions.duplicate"] == 3
    with database.write() as session:  # fixing the register resolves them on the next run
        session.get(ConfigurationItem, ids["SRV-1B"]).serial = "7XK2M94"
    _full(database)
    assert len([k for k in _open(database) if k[0] == "duplicate"]) == 2


def test_a_shared_dock_mac_in_the_register_is_no_duplicate(database):
    def build(case):
        for n in range(3):  # three machines report the dock's MAC: it identifies nothing
            case.asset(f"hd-{n}", serial=f"PF00000{n}", vendor="LENOVO", macs=[f"8c:8c:aa:00:00:0{n}", "a0:ce:c8:00:d0:c1"])
        case.ci("HD-A", serial="PF000000", vendor="LENOVO", macs=["a0:ce:c8:00:d0:c1"])
        case.ci("HD-B", serial="PF000001", vendor="LENOVO", macs=["a0:ce:c8:00:d0:c1"])
    _build(database, build)
    _full(database)
    assert not [k for k in _open(database) if k[0] == "duplicate"]


# 10. A weak rule never matches when a strong identifier on both sides disagrees.

def test_two_machines_sharing_a_host_name_stay_two(database):
    def build(case):
        case.ci("WS-OLD", serial="5CG9999OLD", hostname="ws-01", status="retired")
        case.ci("WS-UUID", hostname="ws-02", smbios_uuid="11111111-2222-3333-4444-555555555555")
        case.ci("WS-NOSERIAL", hostname="ws-03", serial=None)
        case.asset("ws-01", serial="5CG9999NEW", vendor="HP", macs=["3c:52:82:00:bb:01"], seen_days_ago=0)
        case.asset("ws-02", vendor="HP", smbios_uuid="99999999-2222-3333-4444-555555555555")
        case.asset("ws-03", serial="5CG0000003", vendor="HP", macs=["3c:52:82:00:bb:03"])
    ids = _build(database, build)
    _full(database)
    assert _match(database, "asset", ids["ws-01"]).outcome == "unmanaged"
    assert _match(database, "asset", ids["ws-02"]).outcome == "unmanaged"
    weak = _match(database, "asset", ids["ws-03"])  # the register has no serial to disagree: the name decides
    assert (weak.outcome, weak.ci_id, weak.rule) == ("matched", ids["WS-NOSERIAL"], "hostname")
    found = _open(database)
    assert ("drift", ids["WS-OLD"], None, None) not in found  # the retired CI is not "still reporting"
    assert ("unmanaged", None, "asset", ids["ws-01"]) in found


# 11. The register's UUID makes the UUID rule fire; the run's real duration is stored.

def test_the_uuid_rule_fires_from_an_imported_register(database):
    with database.write() as session:
        report = import_cis(session, ("Asset Tag,Hostname,Product UUID\n"
                                      f"VM-42,vm-42,{CLONED.upper()}\n").encode(), "csv", now=NOW)
        assert report.ok and report.columns["Product UUID"] == "smbios_uuid"
    ids = _build(database, lambda case: case.asset("renamed-vm", smbios_uuid=CLONED, macs=["00:50:56:a1:00:09"]))
    _full(database)
    match = _match(database, "asset", ids["renamed-vm"])
    assert (match.outcome, match.rule) == ("matched", "smbios_uuid")
    assert CLONED in match.explanation


def test_a_run_stores_and_shows_its_real_duration(database):
    _build(database, _duplicate_with_drift)
    result = _full(database)
    with database.session() as session:
        run = session.get(ReconcileRun, result.run_id)
        assert run.duration_ms == result.duration_ms and run.duration_ms >= 0
        assert run.started_at == run.finished_at == NOW  # the run's clock is fixed; the duration is not
        assert last_run(session)["duration_ms"] == run.duration_ms


def test_every_exception_carries_machine_readable_evidence(database):
    def build(case):
        _duplicate_with_drift(case)
        case.ci("LT-C-A", serial="5CG2222AAA", hostname="lt-c")
        case.ci("LT-C-B", serial="5CG2222BBB", hostname="lt-c-b", macs=["3c:52:82:22:22:22"], status="in_stock")
        case.asset("lt-c", serial="5CG2222AAA", vendor="HP", macs=["3c:52:82:22:22:22"])
    ids = _build(database, build)
    _full(database)
    found = _open(database)
    conflict = found[("conflict", ids["LT-C-A"], "asset", ids["lt-c"])]
    assert conflict["ci_ids"] == [ids["LT-C-A"], ids["LT-C-B"]]
    for (kind, *_), evidence in found.items():
        if kind in ("duplicate", "conflict"):
            assert all(isinstance(i, int) for i in evidence["ci_ids"])
        if kind == "drift":
            assert all({"attribute", "cmdb", "observed", "source"} <= set(d) for d in evidence["differences"])


# 11. The switch port an asset was last seen on is an observed location.

def _on_switch_ports(case):
    case.ci("SW-2F", ci_class="network_device", serial="FOC2222X2F", vendor="Cisco", model="C9200-48P",
            hostname="sw-2f", location="HQ 2nd floor")
    case.device("sw-2f", sys_name="sw-2f", serial="FOC2222X2F", vendor="Cisco", model="C9200-48P",
                device_type="switch", ip="198.18.2.2")
    for n, (name, location) in enumerate((("lt-moved", "HQ 3rd floor"), ("lt-here", "HQ 2nd floor"),
                                           ("lt-nowhere", None)), start=1):
        serial, mac = f"5CG000330{n}", f"3c:52:82:33:00:0{n}"
        case.ci(name.upper(), serial=serial, hostname=name, macs=[mac], location=location)
        case.asset(name, serial=serial, vendor="HP", model="EliteBook 840 G8", macs=[mac])
        case.device(f"{name}-seen", found_by=("arp",), mac=mac, switch="sw-2f", port=f"Gi1/0/{n}", asset=name)
    # An unlinked device (no agent) placed on the same switch gets the location too.
    case.ci("PRN-2F", ci_class="printer", serial="VNB3K00001", vendor="HP", hostname="prn-2f", location="HQ 1st floor")
    case.device("prn-2f", found_by=("arp", "snmp"), mac="3c:52:82:44:00:01", serial="VNB3K00001", vendor="HP",
                device_type="printer", switch="sw-2f", port="Gi1/0/40")


def _state(database, ci_id):
    with database.session() as session:
        return session.get(CiState, ci_id).observed


def test_the_switch_port_location_is_a_source_the_register_drifts_from(database):
    ids = _build(database, _on_switch_ports)
    _full(database)
    found = _open(database)
    moved = found[("drift", ids["LT-MOVED"], None, None)]["differences"]
    assert [(d["attribute"], d["cmdb"], d["observed"], d["source"]) for d in moved] == [
        ("location", "HQ 3rd floor", "HQ 2nd floor, port Gi1/0/1 of sw-2f", "switchport")]
    assert ("drift", ids["LT-HERE"], None, None) not in found  # the port is a detail of the same place
    printer = found[("drift", ids["PRN-2F"], None, None)]["differences"]
    assert [(d["cmdb"], d["observed"]) for d in printer] == [("HQ 1st floor", "HQ 2nd floor, port Gi1/0/40 of sw-2f")]
    # The register stays authoritative where it has a value; the port fills the gap where it has none.
    assert _state(database, ids["LT-MOVED"])["location"] == ["HQ 3rd floor", "cmdb", None]
    assert _state(database, ids["LT-NOWHERE"])["location"][:2] == ["HQ 2nd floor, port Gi1/0/3 of sw-2f", "switchport"]


def test_an_incremental_run_reads_the_port_location_from_the_switch_match(database):
    ids = _build(database, _on_switch_ports)
    _full(database)
    with database.write() as session:
        session.get(ConfigurationItem, ids["LT-HERE"]).location = "HQ basement"
        session.flush()
        reconcile_subjects(session, RULES, NOW, asset_ids=[ids["lt-here"]])
    differences = _open(database)[("drift", ids["LT-HERE"], None, None)]["differences"]
    assert [(d["cmdb"], d["observed"], d["source"]) for d in differences] == [
        ("HQ basement", "HQ 2nd floor, port Gi1/0/2 of sw-2f", "switchport")]
