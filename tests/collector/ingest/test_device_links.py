"""Linking a scanned device to an agent asset by MAC only when nothing the scan saw contradicts it,
and undoing the link when a later sighting does (issue 13, item 10); device ids in the answer."""

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from collector.models import Device

LAPTOP_MAC = "3c:52:82:00:00:07"  # the ReportFactory host 7's NIC; its serial is SN00000007, host name host-00007


def _report(agent_id, devices):
    now = datetime.now(timezone.utc).isoformat()
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent_id, "scan_id": "arp-test",
            "started_at": now, "finished_at": now,
            "devices": [{"found_by": ["arp"], "seen_at": now, **d} for d in devices]}


@pytest.fixture
def laptop(client, make_agent, reports):
    agent = make_agent()
    return client.post("/api/v1/inventory", json=reports.report(agent.agent_id, host_seed=7),
                       headers=agent.headers).get_json()["asset_id"]


def _device(database, device_id):
    with database.session() as session:
        return session.scalars(select(Device).where(Device.id == device_id)).one()


def _discover(client, scanner, devices):
    response = client.post("/api/v1/discovery", json=_report(scanner.agent_id, devices), headers=scanner.headers)
    assert response.status_code == 201
    return response.get_json()


@pytest.mark.parametrize("snmp, why", [
    ({"serial": "CN0000XYZ"}, "its serial CN0000XYZ is not the asset's SN00000007"),
    ({"device_type": "printer"}, "it is a printer, which no agent host is"),
    ({"sys_name": "prn-3f.corp.example"}, "its sysName prn-3f.corp.example is not the asset's host name host-00007"),
])
def test_an_snmp_answer_that_disagrees_keeps_a_mac_match_apart(client, database, make_agent, laptop, snmp, why):
    body = _discover(client, make_agent(), [{"ip": "198.18.0.7", "mac": LAPTOP_MAC, "found_by": ["snmp"], **snmp}])
    assert body["linked"] == 0
    device = _device(database, body["device_ids"][0])
    assert device.asset_id is None and device.link_reason == f"not asset {laptop}: {why}"


def test_snmp_facts_that_agree_link_by_mac(client, database, make_agent, laptop):
    agreeing = {"ip": "198.18.0.7", "mac": LAPTOP_MAC, "found_by": ["snmp"], "serial": "sn00000007",
                "sys_name": "HOST-00007.corp.example", "device_type": "workstation"}
    body = _discover(client, make_agent(), [agreeing])
    assert body["linked"] == 1 and _device(database, body["device_ids"][0]).asset_id == laptop


def test_an_oui_guess_of_the_type_does_not_keep_them_apart(client, database, make_agent, laptop):
    body = _discover(client, make_agent(), [{"ip": "198.18.0.7", "mac": LAPTOP_MAC, "device_type": "switch"}])
    assert _device(database, body["device_ids"][0]).asset_id == laptop  # ARP only: the type came from the OUI


def test_a_link_is_undone_when_a_later_sighting_contradicts_it(client, database, make_agent, laptop):
    scanner = make_agent()
    first = _discover(client, scanner, [{"ip": "198.18.0.7", "mac": LAPTOP_MAC}])
    assert first["linked"] == 1 and _device(database, first["device_ids"][0]).asset_id == laptop
    # The USB NIC now sits in a printer, which answers SNMP with its own name.
    again = _discover(client, scanner, [{"ip": "198.18.0.70", "mac": LAPTOP_MAC, "found_by": ["snmp"],
                                         "sys_name": "prn-3f", "device_type": "printer"}])
    assert again["device_ids"] == first["device_ids"]
    device = _device(database, again["device_ids"][0])
    assert device.asset_id is None and device.link_reason.startswith(f"not asset {laptop} any more: it is a printer")


def test_the_answer_lists_device_ids_in_report_order(client, database, make_agent):
    scanner = make_agent()
    sightings = [{"ip": "198.18.0.50", "mac": "3c:52:82:00:09:01"}, {"ip": "198.18.0.51", "mac": "bc:ad:28:00:00:01"},
                 {"ip": "198.18.0.50", "mac": "3c:52:82:00:09:01"}]
    body = _discover(client, scanner, sightings)
    with database.session() as session:
        by_mac = dict(session.execute(select(Device.mac, Device.id)).all())
    assert body["device_ids"] == [by_mac["3c:52:82:00:09:01"], by_mac["bc:ad:28:00:00:01"], by_mac["3c:52:82:00:09:01"]]


def test_two_boxes_sharing_a_sys_name_and_model_stay_two_when_their_serials_differ(client, database, make_agent):
    # Two identical switches left with the factory sysName, polled across a router (no MAC).
    scanner, oid = make_agent(), "1.3.6.1.4.1.9.1.2694"
    first = {"ip": "198.18.9.1", "found_by": ["snmp"], "sys_name": "Switch", "sys_object_id": oid,
             "serial": "FOC1111AAAA", "vendor": "Cisco"}
    second = {**first, "ip": "198.18.9.2", "serial": "FOC2222BBBB"}
    ids = _discover(client, scanner, [first])["device_ids"] + _discover(client, scanner, [second])["device_ids"]
    assert ids[0] != ids[1]
    again = _discover(client, scanner, [{**first, "ip": "198.18.9.3"}])["device_ids"]
    assert again == ids[:1]  # its own serial still finds the first


@pytest.mark.parametrize("sys_name, hostname, contradicts", [
    ("FIN-WORKSTATION", "fin-workstation-042.corp.example", False),  # NetBIOS: 15 characters
    ("HOST-00007", "host-00007", False),
    ("host-00008", "host-00007", True),
])
def test_a_sys_name_is_compared_as_windows_reports_it(sys_name, hostname, contradicts):
    from collector.ingest.device_links import contradiction

    device = Device(sys_name=sys_name, found_by=["snmp"])
    assert (contradiction(device, None, hostname) is not None) == contradicts
