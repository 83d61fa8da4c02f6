"""POST /api/v1/discovery and GET /api/v1/devices: devices stored, linked to assets before
being called unmanaged, and bad reports refused whole."""

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from collector.ingest.locations import EDGE_PORT_MAX_MACS
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


SWITCH = {"ip": "198.18.0.2", "mac": "00:1b:54:00:00:02", "device_type": "switch", "sys_name": "access-sw-1",
          "found_by": ["arp", "snmp"]}
CORE = {"ip": "198.18.0.3", "mac": "00:1b:54:00:00:03", "device_type": "switch", "sys_name": "core-sw"}


def _fdb(ports, neighbours=()):
    return {"interfaces": [{"index": i, "name": name, "learned_macs": macs} for i, (name, macs) in enumerate(ports, 1)],
            "neighbours": [{"local_port": port, "remote_name": "core-sw"} for port in neighbours]}


def _by_mac(client, make_token):
    return {d["mac"]: d for d in client.get("/api/v1/devices?per_page=500", headers=make_token()).get_json()["items"]}


def test_a_switch_forwarding_table_places_devices_on_edge_ports_not_uplinks(client, database, make_agent, make_token):
    scanner = make_agent()
    desk_phone_and_pc = ["3c:52:82:00:09:01", "bc:ad:28:00:00:01"]
    crowd = [f"02:00:00:00:01:{i:02x}" for i in range(EDGE_PORT_MAX_MACS + 1)]  # a port no desk could fill
    switch = {**SWITCH, **_fdb([("Gi1/0/1", desk_phone_and_pc),
                                ("Gi1/0/24", ["3c:52:82:00:09:01", "3c:52:82:00:09:77"]),  # has an LLDP neighbour
                                ("Gi1/0/23", crowd),
                                ("Gi1/0/22", ["3c:52:82:00:09:99", CORE["mac"]])],  # leads to another switch
                               neighbours=["Gi1/0/24"])}
    response = client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER, CORE, switch]),
                           headers=scanner.headers)
    assert response.status_code == 201 and response.get_json()["placed"] == 2
    devices = _by_mac(client, make_token)
    printer = devices[PRINTER["mac"].lower()]
    assert printer["switch_port"]["port"] == "Gi1/0/1" and printer["switch_port"]["switch"] == "access-sw-1"
    assert printer["switch_port"]["switch_ip"] == "198.18.0.2"
    camera = devices["bc:ad:28:00:00:01"]  # known only from the forwarding table: now a device, unmanaged
    assert camera["found_by"] == ["switch_fdb"] and camera["switch_port"]["port"] == "Gi1/0/1" and not camera["managed"]
    for uplink_only in ["3c:52:82:00:09:77", crowd[0], "3c:52:82:00:09:99"]:
        assert uplink_only not in devices  # learnt on uplinks only: location unknown, not invented
    assert devices[CORE["mac"]]["switch_port"] is None


def test_a_newer_report_moves_a_device_and_an_older_one_does_not(client, database, make_agent, make_token):
    scanner = make_agent()
    newer = _report(scanner.agent_id, [{**SWITCH, **_fdb([("Gi1/0/5", [PRINTER["mac"]])])}, PRINTER])
    older = _report(scanner.agent_id, [{**SWITCH, **_fdb([("Gi1/0/1", [PRINTER["mac"]])])}])
    older["devices"][0]["seen_at"] = "2026-01-01T00:00:00+00:00"
    for report in (newer, older):
        assert client.post("/api/v1/discovery", json=report, headers=scanner.headers).status_code == 201
    assert _by_mac(client, make_token)[PRINTER["mac"].lower()]["switch_port"]["port"] == "Gi1/0/5"
    moved = _report(scanner.agent_id, [{**SWITCH, **_fdb([("Gi1/0/9", [PRINTER["mac"]])])}])
    client.post("/api/v1/discovery", json=moved, headers=scanner.headers)
    assert _by_mac(client, make_token)[PRINTER["mac"].lower()]["switch_port"]["port"] == "Gi1/0/9"


def test_a_device_with_an_agent_learnt_on_a_port_is_linked_and_placed(client, database, make_agent, make_token, reports):
    laptop_agent, scanner = make_agent(), make_agent()
    laptop = reports.report(laptop_agent.agent_id, host_seed=7)  # NIC 3c:52:82:00:00:07
    asset_id = client.post("/api/v1/inventory", json=laptop, headers=laptop_agent.headers).get_json()["asset_id"]
    switch = {**SWITCH, **_fdb([("Gi1/0/7", ["3c:52:82:00:00:07"])])}
    body = client.post("/api/v1/discovery", json=_report(scanner.agent_id, [switch]), headers=scanner.headers).get_json()
    assert (body["linked"], body["placed"]) == (1, 1)
    laptop_device = _by_mac(client, make_token)["3c:52:82:00:00:07"]
    assert laptop_device["asset_id"] == asset_id and laptop_device["switch_port"]["port"] == "Gi1/0/7"


def test_firmware_and_a_printers_page_count_are_kept_and_an_older_count_does_not_win(client, database, make_agent,
                                                                                       make_token):
    scanner = make_agent()
    polled = {**PRINTER, "found_by": ["snmp"], "firmware": "2400.3", "page_count": 48_210,
              "seen_at": "2026-11-20T10:00:00+00:00"}
    client.post("/api/v1/discovery", json=_report(scanner.agent_id, [polled]), headers=scanner.headers)
    late = {**polled, "page_count": 47_000, "firmware": None, "seen_at": "2026-11-19T10:00:00+00:00"}  # spooled
    client.post("/api/v1/discovery", json=_report(scanner.agent_id, [late]), headers=scanner.headers)
    device = client.get("/api/v1/devices", headers=make_token()).get_json()["items"][0]
    assert (device["firmware"], device["page_count"]) == ("2400.3", 48_210)
    assert device["page_count_at"].startswith("2026-11-20T10:00:00")


@pytest.mark.parametrize("raw", [str(2**63 + 5).encode(), b"1e19"])
@pytest.mark.parametrize("field", ["page_count", "interfaces.0.speed_mbps"])
def test_integers_beyond_int8_in_a_discovery_report_are_422(client, database, make_agent, field, raw):
    import json

    scanner = make_agent()
    device = {**PRINTER, "page_count": "__RAW__"} if field == "page_count" else {**PRINTER, "interfaces": [{"speed_mbps": "__RAW__"}]}
    body = json.dumps(_report(scanner.agent_id, [device])).encode().replace(b'"__RAW__"', raw)
    response = client.post("/api/v1/discovery", data=body, content_type="application/json", headers=scanner.headers)
    assert response.status_code == 422, response.get_json()
    assert f"devices.0.{field}" in [f["field"] for f in response.get_json()["fields"]]
    assert _count(database, Device) == 0 and _count(database, ReportReceipt) == 0


@pytest.mark.parametrize("field", ["started_at", "finished_at", "devices.1.seen_at"])
def test_discovery_times_in_the_future_are_422_and_store_nothing(client, database, make_agent, field):
    scanner = make_agent()
    report = _report(scanner.agent_id, [PRINTER, CAMERA])
    if field.startswith("devices"):
        report["devices"][1]["seen_at"] = "2099-01-01T00:00:00+00:00"
    else:
        report[field] = "2099-01-01T00:00:00+00:00"
    response = client.post("/api/v1/discovery", json=report, headers=scanner.headers)
    assert response.status_code == 422, response.get_json()
    problems = {f["field"]: f["message"] for f in response.get_json()["fields"]}
    assert list(problems) == [field] and "collector's clock" in problems[field]
    assert _count(database, Device) == 0 and _count(database, ReportReceipt) == 0
