"""The messy fleet reconciled: every trap gives its known outcome, with an explanation, deterministically."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch, CiState
from collector.reconcile.engine import reconcile_full, reconcile_subjects
from collector.reconcile.rules import load_rules
from tests.collector.reconcile.fleet import NOW, build_messy_fleet

RULES = load_rules()


@pytest.fixture
def fleet(database):
    with database.write() as session:
        built = build_messy_fleet(session, seed=7)
    return built


def _full(database, now=NOW, rules=RULES, dry_run=False):
    with database.write() as session:
        return reconcile_full(session, rules, now, dry_run=dry_run)


def _match(database, kind, subject_id):
    with database.session() as session:
        return session.scalars(select(CiMatch).where(CiMatch.subject_type == kind, CiMatch.subject_id == subject_id)).one()


def _open(database):
    with database.session() as session:
        return {(e.kind, e.ci_id, e.subject_type, e.subject_id): e
                for e in session.scalars(select(AuditException).where(AuditException.status == "open"))}


def test_every_trap_has_its_known_outcome(database, fleet):
    result = _full(database)
    assert (result.counts["matched"], result.counts["unmanaged"], result.counts["duplicate"]) == (63, 3, 1)
    ci, asset, device = fleet.cis, fleet.assets, fleet.devices
    expected = {
        ("unmanaged", None, "asset", asset["vm-b"]),  # its UUID is cloned, so it cannot borrow vm-a's CI
        ("unmanaged", None, "asset", asset["hd-029"]),  # the dock MAC in LT-DOCKTYPO does not swallow it
        ("unmanaged", None, "device", device["camera"]),
        ("cloned_identity", None, "asset", asset["vm-a"]),
        ("duplicate", ci["LT-DUP-1"], "asset", asset["lt-dup"]),
        ("conflict", ci["LT-CONFLICT-A"], "asset", asset["lt-conflict"]),
        ("missing", ci["LT-LOST"], None, None),
        ("missing", ci["LT-GONE"], None, None),
        ("missing", ci["LT-DOCKTYPO"], None, None),
        ("drift", ci["LT-REIMAGED"], None, None),
        ("drift", ci["LT-TYPO"], None, None),
        ("drift", ci["LT-RETIRED"], None, None),
    }
    assert set(_open(database)) == expected


@pytest.mark.parametrize("subject, kind, tag, rule", [
    ("lt-005", "asset", "LT-005", "vendor_serial"),
    ("dt-001", "asset", "DT-001", "mac_overlap"),  # junk serial and junk UUID never match
    ("vm-a", "asset", "VM-A", "vendor_serial"),
    ("fin-lt-07", "asset", "LT-REIMAGED", "vendor_serial"),
    ("fin-lt-07-new", "asset", "LT-REIMAGED", "vendor_serial"),
    ("lt-newnic", "asset", "LT-NEWNIC", "vendor_serial"),
    ("hd-007", "asset", "HD-007", "vendor_serial"),
    ("lt-typo", "asset", "LT-TYPO", "mac_overlap"),
    ("lt-retired", "asset", "LT-RETIRED", "vendor_serial"),
    ("printer", "device", "PRN-2F", "vendor_serial"),  # "HP" and "Hewlett-Packard" are one vendor
    ("switch-snmp", "device", "SW-CORE-1", "vendor_serial"),
    ("switch-arp", "device", "SW-CORE-1", "mac_overlap"),  # the router's ARP entry is the same switch
])
def test_matches_name_their_rule(database, fleet, subject, kind, tag, rule):
    _full(database)
    ids = fleet.assets if kind == "asset" else fleet.devices
    match = _match(database, kind, ids[subject])
    assert (match.outcome, match.ci_id, match.rule) == ("matched", fleet.cis[tag], rule)


def test_a_match_explains_itself_with_rule_identifier_report_and_time(database, fleet):
    _full(database)
    match = _match(database, "asset", fleet.assets["lt-typo"])
    report = fleet.reports["lt-typo"]
    assert match.explanation.startswith(f"CI {fleet.cis['LT-TYPO']} (LT-TYPO) by rule 3 (mac_overlap), MAC ")
    assert match.explanation.endswith(f"from agent report {report} at 2026-11-20T12:00:00+00:00")


def test_drift_evidence_says_what_differs_and_who_says_so(database, fleet):
    _full(database)
    drifts = {key[1]: e for key, e in _open(database).items() if key[0] == "drift"}
    typo = drifts[fleet.cis["LT-TYPO"]].evidence["differences"]
    assert [(d["attribute"], d["cmdb"], d["observed"], d["source"]) for d in typo] == [
        ("serial", "5CG0123XYZ", "5CG0123XZY", "agent")]
    reimaged = drifts[fleet.cis["LT-REIMAGED"]].evidence["differences"]
    # The new agent's name wins; the old agent (40 days quiet) is stale and does not count.
    assert [(d["attribute"], d["cmdb"], d["observed"]) for d in reimaged] == [("hostname", "fin-lt-07", "fin-lt-12")]
    retired = drifts[fleet.cis["LT-RETIRED"]].evidence["differences"]
    assert [(d["attribute"], d["cmdb"], d["observed"]) for d in retired] == [("status", "retired", "reporting")]


def test_source_precedence_decides_the_authoritative_values(database, fleet):
    _full(database)
    with database.session() as session:
        switch = session.get(CiState, fleet.cis["SW-CORE-1"])
        typo = session.get(CiState, fleet.cis["LT-TYPO"])
    assert switch.observed["serial"] == ["FOC1234X0AB", "snmp", "2026-11-20T12:00:00+00:00"]  # value, source, seen
    assert switch.observed["location"][1] == "cmdb"  # location: the register outranks observers
    assert typo.observed["serial"][:2] == ["5CG0123XZY", "agent"]


def test_a_stale_observation_yields_to_a_fresher_lower_source(database, fleet):
    later = NOW + timedelta(days=45)  # every agent report is now stale; the register is not
    _full(database, now=later)
    with database.session() as session:
        typo = session.get(CiState, fleet.cis["LT-TYPO"])
    assert typo.observed["serial"] == ["5CG0123XYZ", "cmdb", None]


def test_the_same_inputs_give_the_same_outputs_and_an_unchanged_fleet_writes_nothing(database, fleet):
    first = _full(database)
    with database.session() as session:
        matches = sorted((m.subject_type, m.subject_id, m.ci_id, m.outcome, m.rule, m.explanation)
                         for m in session.scalars(select(CiMatch)))
    again = _full(database)
    with database.session() as session:
        assert matches == sorted((m.subject_type, m.subject_id, m.ci_id, m.outcome, m.rule, m.explanation)
                                 for m in session.scalars(select(CiMatch)))
    assert first.counts == again.counts and (again.opened, again.resolved) == (0, 0)
    assert again.outcomes.exceptions.keys() == first.outcomes.exceptions.keys()


def test_a_dry_run_reports_without_writing(database, fleet):
    result = _full(database, dry_run=True)
    assert result.run_id is None and result.counts["matched"] == 63
    with database.session() as session:
        assert session.scalars(select(CiMatch)).first() is None
        assert session.scalars(select(AuditException)).first() is None


def test_an_exception_resolves_itself_with_a_note_when_its_condition_clears(database, fleet):
    _full(database)
    with database.write() as session:
        session.get(ConfigurationItem, fleet.cis["LT-TYPO"]).serial = "5CG0123XZY"  # someone fixed the register
    result = _full(database)
    assert result.resolved == 1 and result.opened == 0
    with database.session() as session:
        closed = session.scalars(select(AuditException).where(AuditException.ci_id == fleet.cis["LT-TYPO"])).one()
    assert closed.status == "resolved" and closed.open_key is None
    assert "agree again" in closed.resolution_note
    # and the match now comes from rule 1
    assert _match(database, "asset", fleet.assets["lt-typo"]).rule == "vendor_serial"


def test_one_open_exception_per_ci_and_kind_even_when_the_evidence_grows(database, fleet):
    _full(database)
    with database.write() as session:
        session.get(ConfigurationItem, fleet.cis["LT-TYPO"]).hostname = "renamed-in-register"
    result = _full(database)
    assert (result.opened, result.resolved) == (0, 0)
    drift = [e for k, e in _open(database).items() if k[:2] == ("drift", fleet.cis["LT-TYPO"])]
    assert len(drift) == 1
    assert {d["attribute"] for d in drift[0].evidence["differences"]} == {"serial", "hostname"}


def test_incremental_run_after_one_report_agrees_with_a_full_run(database, fleet):
    _full(database)
    with database.write() as session:
        from collector.models import Asset

        asset = session.get(Asset, fleet.assets["lt-003"])
        asset.hostname = "lt-003-renamed"
        asset.last_seen_at = NOW
    with database.write() as session:
        incremental = reconcile_subjects(session, RULES, NOW, asset_ids=[fleet.assets["lt-003"]])
    assert incremental.opened == 1 and incremental.subjects == 1
    after_incremental = set(_open(database))
    again = _full(database)
    assert (again.opened, again.resolved) == (0, 0)
    assert set(_open(database)) == after_incremental
    assert ("drift", fleet.cis["LT-003"], None, None) in after_incremental
