"""Suppression rules: validated whole (nothing stored on error), audited, applied by runs with the rule
named, and inert once expired."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import Actor, verify_chain
from collector.errors import InvalidInput, NotFound
from collector.models import AuditException, AuditLogEntry, QuietedException, SuppressionRule
from collector.reconcile.report import reconciliation_report
from collector.reconcile.service import run_full
from collector.reconcile.suppressions import add_suppression, delete_suppression
from tests.collector.reconcile.scope_fleet import NOW, build_scanned_network

ADMIN = Actor(7, "alice", "127.0.0.1")


def _rule(**fields):
    return {"reason": "IP phones are tracked by the telephony team", "owner": "telecom@example.org",
            "expires_at": (NOW + timedelta(days=90)).isoformat(), **fields}


def _add(database, data, now=NOW):
    with database.write() as session:
        return add_suppression(session, data, ADMIN, now=now).id


def _open(database, kind="unmanaged") -> dict:
    """Open exceptions of ``kind`` about devices (by device id) and CIs (by ("ci", id))."""
    with database.session() as session:
        rows = session.scalars(select(AuditException).where(AuditException.kind == kind,
                                                            AuditException.open_key.is_not(None))).all()
        return {e.subject_id if e.subject_type == "device" else ("ci", e.ci_id): e for e in rows
                if e.subject_type in ("device", None)}


@pytest.mark.parametrize("data, errors", [
    ({"mac_prefix": "00:1b"}, {"mac_prefix": "must be 3 to 6 octets such as 00:1b:a9 or 00:1b:a9:00:00:01",
                               "reason": "is required", "owner": "is required",
                               "expires_at": "is required (an ISO 8601 date or time)"}),
    (_rule(ip_range="198.18.0.1/15"), {"ip_range": "must be an IP network in CIDR form: 198.18.0.1/15 has host bits set"}),
    (_rule(device_type="phone", kind="noise"), {"kind": "must be one of unmanaged, missing, drift, duplicate, "
                                                        "conflict, cloned_identity"}),
    (_rule(), {"mac_prefix": "give at least one of mac_prefix, ip_range, device_type"}),
    (_rule(device_type="phone", expires_at="next week"), {"expires_at": "'next week' is not an ISO 8601 date or time"}),
    (_rule(device_type="phone", expires_at=(NOW - timedelta(days=1)).isoformat()),
     {"expires_at": "must be in the future"}),
    (_rule(device_type="phone", expires_at=(NOW + timedelta(days=2000)).isoformat()),
     {"expires_at": "must be within 1098 days"}),
    (_rule(device_type="phone", colour="red", owner=3), {"colour": "unknown field", "owner": "must be a string"}),
])
def test_bad_rules_are_refused_with_every_field_named_and_nothing_stored(database, data, errors):
    with pytest.raises(InvalidInput) as caught:
        _add(database, data)
    assert {f.field: f.message for f in caught.value.fields} == errors
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SuppressionRule)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)) == 0


def test_adding_and_deleting_are_in_the_hash_chained_audit_log(database):
    rule_id = _add(database, _rule(mac_prefix="00-1B-A9", kind="unmanaged"))
    with database.write() as session:
        delete_suppression(session, rule_id, ADMIN)
        with pytest.raises(NotFound):
            delete_suppression(session, rule_id, ADMIN)
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id)).all()
        assert [(e.action, e.actor, e.target) for e in entries] == [
            ("suppression_rule_added", "alice", f"suppression_rule:{rule_id}"),
            ("suppression_rule_deleted", "alice", f"suppression_rule:{rule_id}")]
        assert entries[0].detail["mac_prefix"] == "00:1b:a9" and entries[0].detail["owner"] == "telecom@example.org"
        assert verify_chain(session).ok


def test_a_rule_resolves_what_it_matches_naming_itself_and_the_report_shows_it(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
    run_full(database, config, NOW)
    phone = fleet.devices["desk-phone"]
    assert phone in _open(database)
    rule_id = _add(database, _rule(mac_prefix="00:1b:a9", kind="unmanaged"))
    result = run_full(database, config, NOW + timedelta(minutes=5))
    assert phone not in _open(database) and fleet.devices["lab-pc"] in _open(database)
    label = f"suppression rule {rule_id} (telecom@example.org: IP phones are tracked by the telephony team)"
    with database.session() as session:
        resolved = session.scalars(select(AuditException).where(AuditException.subject_type == "device",
                                                               AuditException.subject_id == phone)).one()
        quiet = session.scalars(select(QuietedException).where(QuietedException.subject_type == "device",
                                                              QuietedException.subject_id == phone)).one()
        report = reconciliation_report(session, "unmanaged", 1, 100)
    assert resolved.status == "resolved"
    assert resolved.resolution_note == (f"Resolved by reconciliation run {result.run_id}: "
                                        f"not raised: suppressed by {label}")
    assert (quiet.source, quiet.rule_id, quiet.reason) == ("suppression", rule_id, f"suppressed by {label}")
    assert report.quieted["suppression"] == 1
    row = next(r for r in report.rows if r["subject_id"] == phone and r["subject_type"] == "device")
    assert row["quieted"] == [{"kind": "unmanaged", "source": "suppression", "rule_id": rule_id,
                               "reason": f"suppressed by {label}"}]


def test_an_expired_rule_stops_suppressing(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
    _add(database, _rule(ip_range="198.18.3.0/24", expires_at=(NOW + timedelta(days=1)).isoformat()))
    run_full(database, config, NOW)
    assert fleet.devices["lab-pc"] not in _open(database)
    run_full(database, config, NOW + timedelta(days=1, minutes=1))
    assert fleet.devices["lab-pc"] in _open(database) and fleet.devices["printer"] in _open(database)


def test_matchers_combine_and_reach_ci_level_kinds(database, config):
    with database.write() as session:
        fleet = build_scanned_network(session)
    _add(database, _rule(device_type="printer", kind="drift"))  # the printer raises no drift: stays unmanaged
    _add(database, _rule(mac_prefix="00:00:0c", kind="missing", reason="core switch is polled by the NMS"))
    run_full(database, config, NOW)
    assert fleet.devices["printer"] in _open(database)
    assert _open(database, "missing") == {}
    with database.session() as session:
        quiet = session.scalars(select(QuietedException).where(QuietedException.kind == "missing")).one()
    assert quiet.ci_id == fleet.cis["SW-CORE"] and quiet.reason.endswith("core switch is polled by the NMS)")
