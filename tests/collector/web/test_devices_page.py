"""The unmanaged-devices page: the new device types are shown and can be filtered on."""

from __future__ import annotations

from sqlalchemy import insert

from collector.models import Device, utcnow


def test_devices_are_filtered_by_type_and_unknown_types_refused(client, database, users, login):
    now = utcnow()
    with database.write() as session:
        session.execute(insert(Device), [
            {"mac": "00:c0:b7:00:00:01", "ip": "10.0.0.1", "device_type": "pdu", "vendor": "APC", "first_seen_at": now,
             "last_seen_at": now, "found_by": ["snmp"]},
            {"mac": "00:c0:b7:00:00:02", "ip": "10.0.0.2", "device_type": "environment_sensor", "vendor": "APC",
             "first_seen_at": now, "last_seen_at": now, "found_by": ["snmp"]},
        ])
    login("auditor")
    everything = client.get("/devices").get_data(as_text=True)
    assert "10.0.0.1" in everything and "10.0.0.2" in everything and "environment sensor" in everything
    pdus = client.get("/devices?type=pdu").get_data(as_text=True)
    assert "10.0.0.1" in pdus and "10.0.0.2" not in pdus and "1 device" in pdus
    assert client.get("/devices?type=toaster").status_code == 422  # InvalidInput
