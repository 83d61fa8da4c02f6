"""Seed for the record-page tests: a scanner's real discovery report (a switch with interfaces and
an LLDP neighbour, a printer on one of its ports), a VM CI that runs on the fleet's CI, and a full
reconciliation run so exceptions carry the shapes the engine writes."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

SWITCH_MAC = "00:11:22:33:44:77"
PRINTER_MAC = "02:00:5e:00:00:10"
PRINTER_IP = "198.18.0.10"


@dataclass(frozen=True)
class Records:
    switch_id: int
    printer_id: int
    core_id: int  # the fleet's core-sw-1, the switch's LLDP neighbour
    vm_ci_id: int
    printer_exception_id: int | None


def seed_records(app, database, make_agent, fleet) -> Records:
    from sqlalchemy import select

    from collector.facts import reconcile_all
    from collector.ingest.discovery import store_discovery
    from collector.models import Device, utcnow
    from collector.models.cmdb import CiRelationship, ConfigurationItem
    from collector.models.reconcile import AuditException
    from common.schema import DiscoveryReport

    scanner = make_agent("scanner-1")
    now = utcnow()
    raw = {
        "schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": scanner.agent_id, "scan_id": "scan-lab-7",
        "started_at": (now - timedelta(minutes=2)).isoformat(), "finished_at": now.isoformat(),
        "devices": [
            {"ip": "198.18.0.2", "mac": SWITCH_MAC, "sys_name": "edge-sw-2", "vendor": "Cisco", "device_type": "switch",
             "sys_descr": "Cisco IOS Software, C2960X", "sys_object_id": "1.3.6.1.4.1.9.1.1208",
             "found_by": ["snmp"], "seen_at": now.isoformat(),
             "interfaces": [{"index": 10101, "name": "Gi1/0/1", "speed_mbps": 1000, "learned_macs": [PRINTER_MAC]},
                            {"index": 10148, "name": "Gi1/0/48", "speed_mbps": 10000, "mac": "00:11:22:33:44:78"}],
             "neighbours": [{"local_port": "Gi1/0/48", "remote_name": "core-sw-1", "remote_port": "Gi1/0/1",
                             "remote_mac": "00:11:22:33:44:55", "remote_ip": "198.18.0.1",
                             "remote_platform": "cisco WS-C3560G-48TS-E"}]},
            {"ip": PRINTER_IP, "mac": PRINTER_MAC, "oui_vendor": "HP", "found_by": ["arp"], "seen_at": now.isoformat()},
        ],
    }
    report = DiscoveryReport.model_validate(raw)
    db = app.extensions["stocktake"]["db"]
    store_discovery(db, scanner.agent_id, report, json.dumps(raw).encode(), now)
    with database.write() as session:
        switch = session.scalar(select(Device).where(Device.mac == SWITCH_MAC))
        printer = session.scalar(select(Device).where(Device.mac == PRINTER_MAC))
        core = session.scalar(select(Device).where(Device.mac == "00:11:22:33:44:55"))
        vm = ConfigurationItem(asset_tag="VM-0002", name="build <i>vm</i>", ci_class="virtual_machine",
                               status="in_stock")
        session.add(vm)
        session.flush()
        session.add(CiRelationship(ci_id=vm.id, kind="runs_on", target_ci_id=fleet.ci_id, source="import"))
        ids = switch.id, printer.id, core.id, vm.id
    with app.app_context():
        # The advisory lock that serialises full runs is per PostgreSQL database, not per test
        # schema: a parallel test session's run answers "busy" (None); wait for it.
        for _ in range(100):
            if reconcile_all(db, app.extensions["stocktake"]["config"], utcnow()) is not None:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("reconciliation stayed busy for 20 s")
    with database.session() as session:
        printer_exception = session.scalar(select(AuditException.id).where(
            AuditException.subject_type == "device", AuditException.subject_id == ids[1],
            AuditException.kind == "unmanaged"))
    return Records(*ids, printer_exception)
