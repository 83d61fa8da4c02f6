import uuid

import pytest
from pydantic import ValidationError

from common.schema import DiscoveryReport, InventoryReport


def _minimal(**overrides):
    report = {
        "schema_version": 1,
        "report_id": str(uuid.uuid4()),
        "agent_id": "a1",
        "collected_at": "2026-11-28T10:00:00Z",
        "host": {"hostname": "h1"},
    }
    report.update(overrides)
    return report


def _error_locs(exc):
    return {".".join(str(p) for p in e["loc"]) for e in exc.value.errors()}


def test_minimal_report_is_valid_and_times_are_utc():
    report = InventoryReport.model_validate(_minimal(collected_at="2026-11-28T12:00:00+02:00"))
    assert report.collected_at.utcoffset().total_seconds() == 0
    assert report.collected_at.hour == 10


def test_naive_timestamps_are_refused():
    with pytest.raises(ValidationError) as exc:
        InventoryReport.model_validate(_minimal(collected_at="2026-11-28T10:00:00"))
    assert "collected_at" in _error_locs(exc)


def test_other_schema_versions_are_refused():
    with pytest.raises(ValidationError) as exc:
        InventoryReport.model_validate(_minimal(schema_version=2))
    assert "schema_version" in _error_locs(exc)


def test_unknown_fields_are_refused_with_their_path():
    with pytest.raises(ValidationError) as exc:
        InventoryReport.model_validate(_minimal(host={"hostname": "h", "serail": "x"}))
    assert "host.serail" in _error_locs(exc)


@pytest.mark.parametrize(
    "field, value, loc",
    [
        ("host", {"hostname": "x" * 256}, "host.hostname"),
        ("host", {"hostname": "bad\x00name"}, "host.hostname"),
        ("software", [{"name": "p", "source": "dpkg", "version": "v" * 300}], "software.0.version"),
        ("software", [{"name": "p"}], "software.0.source"),
        ("nics", [{"name": "eth0", "mac": "<script>"}], "nics.0.mac"),
        ("memory", {"total_bytes": -1}, "memory.total_bytes"),
        ("cpu", {"cores": "many"}, "cpu.cores"),
    ],
)
def test_bad_fields_are_named(field, value, loc):
    with pytest.raises(ValidationError) as exc:
        InventoryReport.model_validate(_minimal(**{field: value}))
    assert loc in _error_locs(exc)


def test_discovery_report_requires_how_a_device_was_found():
    base = {
        "schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": "s1", "scan_id": "scan-1",
        "started_at": "2026-11-28T10:00:00Z", "finished_at": "2026-11-28T10:01:00Z",
    }
    device = {"ip": "198.18.0.10", "mac": "00:11:22:33:44:55", "seen_at": "2026-11-28T10:00:30Z"}
    with pytest.raises(ValidationError) as exc:
        DiscoveryReport.model_validate({**base, "devices": [device]})
    assert "devices.0.found_by" in _error_locs(exc)
    ok = DiscoveryReport.model_validate({**base, "devices": [{**device, "found_by": ["arp", "snmp"]}]})
    assert [m.value for m in ok.devices[0].found_by] == ["arp", "snmp"]
