"""Identity of scanned devices without a MAC (issue 16, defect 9): MAC, else vendor + serial,
else sysName + sysObjectID, else IP within the scan profile (or the reporting agent)."""

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from collector.models import Device

OID = "1.3.6.1.4.1.9.1.1208"


def _post(client, agent, devices, scan_id="snmp-targets"):
    now = datetime.now(timezone.utc).isoformat()
    report = {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent.agent_id, "scan_id": scan_id,
              "started_at": now, "finished_at": now,
              "devices": [{"found_by": ["snmp"], "seen_at": now, **d} for d in devices]}
    response = client.post("/api/v1/discovery", json=report, headers=agent.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _devices(database):
    with database.session() as session:
        return [(d.mac, d.ip, d.serial, d.sys_name, d.identity_key)
                for d in session.scalars(select(Device).order_by(Device.id))]


def test_mac_less_devices_without_an_ip_do_not_collapse_into_one(client, database, make_agent):
    scanner = make_agent()
    for seen in ({"serial": "FOC1111A", "vendor": "Cisco"}, {"serial": "FOC2222B", "vendor": "Cisco"},
                 {"sys_name": "ups-1", "sys_object_id": "1.3.6.1.4.1.318.1.3.27"}):
        assert _post(client, scanner, [seen])["new_devices"] == 1
    assert [d[2] or d[3] for d in _devices(database)] == ["FOC1111A", "FOC2222B", "ups-1"]


def test_two_entries_of_one_identity_in_one_report_are_one_device(client, database, make_agent):
    scanner = make_agent()
    body = _post(client, scanner, [{"ip": "198.18.0.20"}, {"ip": "198.18.0.20", "sys_descr": "second answer"},
                                   {"ip": "198.18.0.21", "serial": "SN-1", "vendor": "HP"},
                                   {"ip": "198.18.0.22", "serial": "SN-1", "vendor": "HP"}])
    assert (body["devices"], body["new_devices"]) == (4, 2)
    assert [d[1] for d in _devices(database)] == ["198.18.0.20", "198.18.0.22"]  # the later sighting's IP


def test_vendor_and_serial_identify_across_an_ip_change(client, database, make_agent):
    scanner = make_agent()
    _post(client, scanner, [{"ip": "198.18.0.30", "serial": "SN-30", "vendor": "HP"}])
    _post(client, scanner, [{"ip": "198.18.0.31", "serial": "SN-30", "vendor": "HP"}])
    _post(client, scanner, [{"ip": "198.18.0.32", "serial": "SN-30", "vendor": "Brother"}])  # another maker's SN-30
    assert [(d[1], d[4]) for d in _devices(database)] == [("198.18.0.31", "serial:hp:SN-30"),
                                                         ("198.18.0.32", "serial:brother:SN-30")]


def test_sys_name_and_sys_object_id_identify_across_an_ip_change(client, database, make_agent):
    scanner = make_agent()
    _post(client, scanner, [{"ip": "198.18.0.40", "sys_name": "edge-sw", "sys_object_id": OID}])
    _post(client, scanner, [{"ip": "198.18.0.41", "sys_name": "edge-sw", "sys_object_id": OID}])
    _post(client, scanner, [{"ip": "198.18.0.42", "sys_name": "edge-sw", "sys_object_id": "1.3.6.1.4.1.9.1.1"}])
    assert [(d[1], d[4]) for d in _devices(database)] == [("198.18.0.41", f"snmp:{OID}:edge-sw"),
                                                         ("198.18.0.42", "snmp:1.3.6.1.4.1.9.1.1:edge-sw")]


def test_an_ip_identifies_only_within_one_scan_profile_or_one_agent(client, database, make_agent):
    site_a, site_b = make_agent(), make_agent()
    _post(client, site_a, [{"ip": "198.18.7.5"}], scan_id="profile:1:198.18.7.0/24:2026-11-20T10:00:00Z")
    _post(client, site_b, [{"ip": "198.18.7.5"}], scan_id="profile:2:198.18.7.0/24:2026-11-20T10:00:00Z")
    _post(client, site_b, [{"ip": "198.18.7.5"}], scan_id="profile:1:198.18.7.0/24:2026-11-20T11:00:00Z")  # same profile
    _post(client, site_a, [{"ip": "198.18.7.6"}])  # no profile: the agent's view
    _post(client, site_b, [{"ip": "198.18.7.6"}])
    _post(client, site_a, [{"ip": "198.18.7.6"}])
    assert [d[4] for d in _devices(database)] == [
        "ip:profile:1:198.18.7.5", "ip:profile:2:198.18.7.5",
        f"ip:agent:{site_a.agent_id}:198.18.7.6", f"ip:agent:{site_b.agent_id}:198.18.7.6"]


def test_a_later_report_adding_the_mac_updates_the_device_known_by_ip(client, database, make_agent):
    scanner = make_agent()
    profile = "profile:3:198.18.0.0/24:2026-11-20T10:00:00Z"
    _post(client, scanner, [{"ip": "198.18.0.50", "sys_descr": "printer"}], scan_id=profile)
    body = _post(client, scanner, [{"ip": "198.18.0.50", "mac": "3C-52-82-00-09-01"}], scan_id=profile)
    assert body["new_devices"] == 0
    # The MAC identifies it now; the IP is free for whatever holds it next.
    assert _devices(database) == [("3c:52:82:00:09:01", "198.18.0.50", None, None, None)]
    _post(client, scanner, [{"ip": "198.18.0.50"}], scan_id=profile)  # DHCP gave the address to another box
    assert len(_devices(database)) == 2


def test_a_device_known_by_serial_keeps_it_when_its_mac_is_learnt_and_later_sightings_lack_it(client, database,
                                                                                              make_agent):
    scanner = make_agent()
    _post(client, scanner, [{"ip": "198.18.0.60", "serial": "SN-60", "vendor": "HP"}])
    _post(client, scanner, [{"ip": "198.18.0.61", "serial": "SN-60", "vendor": "HP", "mac": "3c:52:82:00:09:60"}])
    _post(client, scanner, [{"ip": "198.18.0.62", "serial": "SN-60", "vendor": "HP"}])  # across a router: no MAC
    assert _devices(database) == [("3c:52:82:00:09:60", "198.18.0.62", "SN-60", None, "serial:hp:SN-60")]


def test_a_device_first_seen_with_its_mac_is_found_again_by_serial_without_it(client, database, make_agent):
    scanner = make_agent()
    _post(client, scanner, [{"ip": "198.18.0.70", "serial": "SN-70", "vendor": "HP", "mac": "3c:52:82:00:09:70"}])
    body = _post(client, scanner, [{"ip": "198.18.0.71", "serial": "SN-70", "vendor": "HP"}])
    assert body["new_devices"] == 0
    assert _devices(database) == [("3c:52:82:00:09:70", "198.18.0.71", "SN-70", None, "serial:hp:SN-70")]


def test_the_database_refuses_two_devices_with_one_identity(database):
    with pytest.raises(IntegrityError):
        with database.write() as session:
            session.add_all([Device(identity_key="serial:hp:SN-1", found_by=[]),
                             Device(identity_key="serial:hp:SN-1", found_by=[])])
            session.flush()
