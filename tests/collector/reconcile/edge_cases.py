"""Small fixtures for reconciliation's edge cases (issue 13, items 7-11): each builds one case the
way ingest and import would store it, and returns the ids its test asserts on."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from collector.models import Agent, Asset, AssetNic, Device, Observation
from collector.models.cmdb import CiMac, ConfigurationItem
from common.identity import classify_mac, normalize_serial, normalize_uuid
from tests.collector.reconcile.fleet import NOW


class Case:
    """Stores agents, assets, devices and CIs in one session; names map to ids."""

    def __init__(self, session) -> None:
        self.session = session
        self.ids: dict[str, int] = {}

    def agent(self, name: str) -> str:
        agent_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))
        self.session.add(Agent(id=agent_id, node_key_hash=hashlib.sha256(name.encode()).hexdigest(), hostname=name))
        self.session.flush()
        return agent_id

    def asset(self, name: str, *, serial=None, vendor="VMware, Inc.", model="VMware Virtual Platform",
              smbios_uuid=None, macs=(), hostname=None, first_days_ago=100, seen_days_ago=0, agent=True,
              cpu_model=None, memory_bytes=None) -> int:
        seen, first = NOW - timedelta(days=seen_days_ago), NOW - timedelta(days=first_days_ago)
        report_id = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        observation = Observation(source="agent", kind="inventory", agent_id=None, schema_version=1,
                                  content_hash=report_id.replace("-", ""), report_id=report_id, collected_at=seen,
                                  received_at=seen, last_report_id=report_id, last_collected_at=seen,
                                  last_received_at=seen, report_count=1)
        self.session.add(observation)
        self.session.flush()
        asset = Asset(hostname=hostname or name, serial=normalize_serial(serial), vendor=vendor, model=model,
                      smbios_uuid=normalize_uuid(smbios_uuid), agent_id=self.agent(name) if agent else None,
                      cpu_model=cpu_model, memory_bytes=memory_bytes, first_seen_at=first, last_seen_at=seen,
                      observation_id=observation.id)
        self.session.add(asset)
        self.session.flush()
        for number, mac in enumerate(macs):
            info = classify_mac(mac)
            self.session.add(AssetNic(asset_id=asset.id, name=f"eth{number}", mac=info.mac,
                                      virtual=bool(info.virtual_vendor),
                                      locally_administered=info.locally_administered, observation_id=observation.id))
        self.ids[name] = asset.id
        return asset.id

    def device(self, name: str, *, found_by=("snmp",), mac=None, ip=None, sys_name=None, serial=None, vendor=None,
               model=None, device_type=None, switch=None, port=None, asset=None, seen_days_ago=0) -> int:
        seen = NOW - timedelta(days=seen_days_ago)
        device = Device(mac=mac, ip=ip, sys_name=sys_name, serial=normalize_serial(serial), vendor=vendor, model=model,
                        device_type=device_type, found_by=sorted(found_by), first_seen_at=seen, last_seen_at=seen,
                        switch_device_id=self.ids[switch] if switch else None, switch_port=port,
                        port_seen_at=seen if switch else None, asset_id=self.ids[asset] if asset else None)
        self.session.add(device)
        self.session.flush()
        self.ids[name] = device.id
        return device.id

    def ci(self, tag: str, *, ci_class="computer", serial=None, vendor="HP", model="EliteBook 840 G8", hostname=None,
           macs=(), status="deployed", smbios_uuid=None, location=None) -> int:
        ci = ConfigurationItem(asset_tag=tag, ci_class=ci_class, serial=normalize_serial(serial), vendor=vendor,
                               model=model, hostname=hostname, smbios_uuid=normalize_uuid(smbios_uuid), status=status,
                               location=location, source="import", created_at=NOW - timedelta(days=400),
                               updated_at=NOW - timedelta(days=400))
        self.session.add(ci)
        self.session.flush()
        for mac in macs:
            self.session.add(CiMac(ci_id=ci.id, mac=mac))
        self.ids[tag] = ci.id
        return ci.id


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)
