"""Units per metric and version coverage, without a database (collector/sam/consumption.py, entitled.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from collector.models.sam import SamEntitlement
from collector.sam.consumption import AssetFacts, CoreTerms, Install, evidence_rows
from collector.sam.entitled import covers, inactive_reason
from collector.sam.reclaim import _usage, program_name
from collector.sam.versions import major_version, version_key


def _facts(asset_id, **kw) -> AssetFacts:
    values = {"device": f"D{asset_id}", "ci_id": asset_id, "user": None, "cores": None, "sockets": None,
              "vcpus": None, "last_seen_at": None, "vm_reason": None, **kw}
    return AssetFacts(asset_id, **values)


def _install(asset_id, version) -> Install:
    return Install(asset_id, 1, version, major_version(version), None, asset_id)


def test_versions_compare_as_numbers():
    assert version_key("9") < version_key("10") and version_key("2016") < version_key("2019")
    assert version_key("16.0.10827") > version_key("16.0.9")
    assert [major_version(v) for v in ("16.0.1", "2019 SP1", "v8", "", None, "esr")] == ["16", "2019", "8", None,
                                                                                          None, None]


def test_installation_counts_each_version_and_site_counts_devices():
    by_asset = {1: [_install(1, "1.0"), _install(1, "2.0")], 2: [_install(2, "2.0")]}
    facts = {1: _facts(1), 2: _facts(2)}
    assert [r["units"] for r in evidence_rows("installation", by_asset, facts, CoreTerms(), {})] == [2, 1]
    site = evidence_rows("site", by_asset, facts, CoreTerms(), {})
    assert [r["units"] for r in site] == [1, 1]
    assert site[0]["reason"] == "a device counts once per product (site licence: counted, not limited)"


def test_concurrent_users_are_counted_as_named_users_an_upper_bound():
    by_asset = {1: [_install(1, "1")], 2: [_install(2, "1")]}
    rows = evidence_rows("concurrent_user", by_asset, {1: _facts(1, user="ann"), 2: _facts(2, user="ann")},
                         CoreTerms(), {})
    assert [r["units"] for r in rows] == [1, 0]
    assert rows[0]["reason"].endswith("(no session data: concurrent use counted as named users, an upper bound)")


def test_cores_with_a_factor_and_unknown_counts_take_the_minimum():
    terms = CoreTerms(Decimal("0.5"), 4, 2)
    by_asset = {1: [_install(1, "1")], 2: [_install(2, "1")], 3: [_install(3, "1")]}
    facts = {1: _facts(1, cores=20, sockets=2), 2: _facts(2, sockets=2),
             3: _facts(3, vcpus=3, vm_reason="its hardware reports 'KVM'")}
    rows = evidence_rows("processor_core", by_asset, facts, terms, {})
    assert [r["units"] for r in rows] == [10, 8, 2]
    assert rows[0]["reason"] == "physical host: 20 cores × 0.5, minimum 4 per processor × 2 = 8 → 10"
    assert rows[1]["reason"].startswith("physical host; core count unknown")


def _entitlement(**kw) -> SamEntitlement:
    return SamEntitlement(product_id=1, metric="device", quantity=1, **{"downgrade_rights": False, **kw})


def test_version_ranges_and_downgrade_rights():
    ranged = _entitlement(version_from="2019", version_to="2021")
    assert [covers(ranged, v) for v in ("2016", "2019", "2021", "2024", None)] == [False, True, True, False, True]
    downgrade = _entitlement(version_from="2019", version_to="2021", downgrade_rights=True)
    assert [covers(downgrade, v) for v in ("2016", "2024")] == [True, False]
    assert covers(_entitlement(version_from="9"), "10")


def test_a_subscription_counts_within_its_term_only():
    term = _entitlement(term="subscription", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    assert inactive_reason(term, date(2026, 12, 31)) is None
    assert inactive_reason(term, date(2027, 1, 1)) == "subscription expired 2026-12-31"
    assert inactive_reason(term, date(2025, 12, 31)) == "subscription starts 2026-01-01"
    assert inactive_reason(_entitlement(term="perpetual"), date(2030, 1, 1)) is None


def test_usage_is_read_from_the_report_and_a_lookalike_inside_a_string_is_ignored():
    import zlib

    import orjson

    report = {"software": [{"name": 'evil,"usage":[{"path":"x"}]'}],
              "usage": [{"path": "C:\\Apps\\VISIO.EXE", "last_seen_running": "2026-01-01T00:00:00+00:00"}],
              "probe_errors": []}
    assert _usage(zlib.compress(orjson.dumps(report))) == report["usage"]
    assert _usage(zlib.compress(b'{"software": [], "usage" : []}')) == []
    assert _usage(b"not zlib") == [] and _usage(None) == []
    assert program_name("C:\\Apps\\VISIO.EXE") == "visio" and program_name("/usr/bin/zoom") == "zoom"


def test_every_reclaim_program_list_names_a_catalogue_product():
    """A program list keyed by a product the catalogue does not have would never match an install."""
    from collector.sam.catalogue import shipped_catalogue
    from collector.sam.reclaim import EXECUTABLES

    products = {(publisher.lower(), name.lower()) for publisher, name in shipped_catalogue().products}
    assert [key for key in EXECUTABLES if key not in products] == []
