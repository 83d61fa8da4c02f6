"""POST /api/v1/discovery and GET /api/v1/devices: devices stored, linked to assets before
being called unmanaged, and bad reports refused whole."""

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from collector.models import Device, Observation, ReportReceipt


def _report(agent_id, devices):
    now = datetime.now(timezone.utc).isoformat()
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent_id, "scan_id": "arp-test",
            "started_at": now, "finished_at": now,
            "devices": [{"found_by": ["arp"], "seen_at": now, **d} for d in devices]}


PRINTER = {"ip": "198.18.0.50", "mac": "3c:52:82:00:09:01", "oui_vendor": "Hewlett Packard", "device_type": "printer"}
CAMERA = {"ip": "198.18.0.51", "mac": "BC-AD-28-00-00-01", "device_type": "iot"}


def _count(database, model):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_devices_are_stored_and_a_device_with_an_agent_is_linked_not_unmanaged(client, database, make_agent, make_token, reports):
    laptop_agent, scanner = make_agent(), make_agent()
    laptop = reports.report(laptop_agent.agent_id, host_seed=7)  # its NIC has MAC 3c:52:82:00:00:07
    asset_id = client.post("/api/v1/inventory", json=laptop, headers=laptop_agent.headers).get_json()["asset_id"]
    seen_laptop = {"ip": "198.18.0.7", "mac": "3c:52:82:00:00:07"}
    response = client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER, CAMERA, seen_laptop]),
                           headers=scanner.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["devices"], body["new_devices"], body["linked"]) == (3, 3, 1)
    unmanaged = client.get("/api/v1/devices?managed=false", headers=make_token()).get_json()
    assert sorted(d["mac"] for d in unmanaged["items"]) == ["3c:52:82:00:09:01", "bc:ad:28:00:00:01"]
    managed = client.get("/api/v1/devices?managed=true", headers=make_token()).get_json()["items"]
    assert managed[0]["asset_id"] == asset_id and "enp0s31f6" in managed[0]["link_reason"]


def test_a_device_seen_again_is_updated_not_duplicated(client, database, make_agent, make_token):
    scanner = make_agent()
    client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER]), headers=scanner.headers)
    moved = {**PRINTER, "ip": "198.18.0.99", "found_by": ["snmp"], "sys_name": "printer-2nd-floor"}
    client.post("/api/v1/discovery", json=_report(scanner.agent_id, [moved]), headers=scanner.headers)
    items = client.get("/api/v1/devices", headers=make_token()).get_json()["items"]
    assert len(items) == 1
    assert (items[0]["ip"], items[0]["sys_name"], items[0]["found_by"]) == ("198.18.0.99", "printer-2nd-floor", ["arp", "snmp"])
    assert items[0]["oui_vendor"] == "Hewlett Packard"  # kept from the first sighting


def test_the_same_discovery_report_twice_is_stored_once(client, database, make_agent):
    scanner = make_agent()
    report = _report(scanner.agent_id, [PRINTER])
    assert client.post("/api/v1/discovery", json=report, headers=scanner.headers).status_code == 201
    again = client.post("/api/v1/discovery", json=report, headers=scanner.headers)
    assert again.status_code == 200 and again.get_json()["status"] == "already stored"
    assert _count(database, ReportReceipt) == 1 and _count(database, Observation) == 1


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r["devices"][0].pop("found_by"), "devices.0.found_by"),
        (lambda r: r["devices"][0].update(found_by=["telepathy"]), "devices.0.found_by.0"),
        (lambda r: r["devices"][1].update(mac="<script>"), "devices.1.mac"),
        (lambda r: r.update(schema_version=3), "schema_version"),
    ],
)
def test_a_bad_discovery_report_stores_nothing(client, database, make_agent, mutate, field):
    scanner = make_agent()
    report = _report(scanner.agent_id, [PRINTER, CAMERA])
    mutate(report)
    response = client.post("/api/v1/discovery", json=report, headers=scanner.headers)
    assert response.status_code == 422
    assert field in [f["field"] for f in response.get_json()["fields"]]
    assert _count(database, Device) == 0 and _count(database, ReportReceipt) == 0


def test_discovery_needs_a_node_key_and_devices_need_a_token(client, database, make_agent):
    scanner = make_agent()
    assert client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER])).status_code == 401
    assert client.get("/api/v1/devices").status_code == 401
    other = make_agent()
    assert client.post("/api/v1/discovery", json=_report(other.agent_id, [PRINTER]), headers=scanner.headers).status_code == 403
