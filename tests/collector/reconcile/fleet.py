"""A messy fleet with a known answer: every trap the field knows, seeded so it is the same each time.

``build_messy_fleet(session, seed)`` stores agent assets, scanned devices and CMDB rows the
way ingest and import would (identifiers normalised), and returns the ids the tests assert
on. The traps: junk serials, two cloned VMs sharing a UUID, a reimaged laptop with a new
host name, a replaced NIC, a docking-station MAC on 30 laptops, a typo'd serial in the
register, a retired asset still reporting, a printer seen only by SNMP, a switch seen by
SNMP and in a router's ARP table, two register rows for one device, one machine whose
serial and MAC point at different CIs, a camera nobody registered, deployed CIs nobody sees.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from collector.models import Asset, AssetNic, Device, Observation
from collector.models.cmdb import CiMac, ConfigurationItem
from common.identity import classify_mac, normalize_serial, normalize_uuid

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
DOCK_MAC = "a0:ce:c8:00:d0:c1"  # a USB-C dock's NIC (Realtek OUI), on every hot-desk laptop


@dataclass
class Fleet:
    assets: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)
    cis: dict[str, int] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)  # asset name -> report id


class _Builder:
    def __init__(self, session, seed: int) -> None:
        self.session, self.rng, self.fleet = session, random.Random(seed), Fleet()

    def serial(self, prefix: str = "5CG") -> str:
        return prefix + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7))

    def mac(self, oui: str = "3c:52:82") -> str:
        return oui + ":" + ":".join(f"{self.rng.randrange(256):02x}" for _ in range(3))

    def asset(self, name: str, *, serial=None, vendor="HP", model="EliteBook 840 G8", smbios_uuid=None, macs=(),
              hostname=None, seen_days_ago=0, primary_user=None) -> int:
        seen = NOW - timedelta(days=seen_days_ago)
        report_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        observation = Observation(source="agent", kind="inventory", agent_id=None, schema_version=1,
                                  content_hash=report_id.replace("-", ""), report_id=report_id, collected_at=seen,
                                  received_at=seen, last_report_id=report_id, last_collected_at=seen,
                                  last_received_at=seen, report_count=1)
        self.session.add(observation)
        self.session.flush()
        asset = Asset(hostname=hostname or name, serial=normalize_serial(serial), vendor=vendor, model=model,
                      smbios_uuid=normalize_uuid(smbios_uuid or str(uuid.UUID(int=self.rng.getrandbits(128)))),
                      primary_user=primary_user, first_seen_at=seen, last_seen_at=seen,
                      observation_id=observation.id)
        self.session.add(asset)
        self.session.flush()
        for number, mac in enumerate(macs):
            info = classify_mac(mac)
            self.session.add(AssetNic(asset_id=asset.id, name=f"eth{number}", mac=info.mac,
                                      virtual=bool(info.virtual_vendor),
                                      locally_administered=info.locally_administered, observation_id=observation.id))
        self.fleet.assets[name], self.fleet.reports[name] = asset.id, report_id
        return asset.id

    def device(self, name: str, *, found_by, mac=None, ip=None, sys_name=None, serial=None, vendor=None, model=None,
               device_type=None, seen_days_ago=0) -> int:
        seen = NOW - timedelta(days=seen_days_ago)
        device = Device(mac=mac, ip=ip, sys_name=sys_name, serial=normalize_serial(serial), vendor=vendor, model=model,
                        device_type=device_type, found_by=sorted(found_by), first_seen_at=seen, last_seen_at=seen)
        self.session.add(device)
        self.session.flush()
        self.fleet.devices[name] = device.id
        return device.id

    def ci(self, tag: str, *, ci_class="computer", serial=None, vendor="HP", model="EliteBook 840 G8", hostname=None,
           macs=(), status="deployed", smbios_uuid=None, assigned_user=None, location=None, ip=None) -> int:
        ci = ConfigurationItem(asset_tag=tag, ci_class=ci_class, serial=normalize_serial(serial), vendor=vendor,
                               model=model, hostname=hostname, smbios_uuid=normalize_uuid(smbios_uuid), status=status,
                               assigned_user=assigned_user, location=location, ip=ip, source="import",
                               created_at=NOW - timedelta(days=400), updated_at=NOW - timedelta(days=400))
        self.session.add(ci)
        self.session.flush()
        for mac in macs:
            self.session.add(CiMac(ci_id=ci.id, mac=mac))
        self.fleet.cis[tag] = ci.id
        return ci.id


def build_messy_fleet(session, seed: int = 7) -> Fleet:
    b = _Builder(session, seed)
    # Twenty ordinary laptops: register and agents agree.
    for n in range(20):
        serial, mac = b.serial(), b.mac()
        b.ci(f"LT-{n:03d}", serial=serial, hostname=f"lt-{n:03d}", macs=[mac], assigned_user=f"user{n}",
             location="HQ 3rd floor")
        b.asset(f"lt-{n:03d}", serial=serial, macs=[mac], primary_user=f"user{n}")
    # Junk serials: the board says "To be filled by O.E.M."; the MAC identifies them.
    for n in range(3):
        mac = b.mac("00:d8:61")
        b.ci(f"DT-{n:03d}", serial="To be filled by O.E.M.", vendor="Micro-Star", model="MS-7C02",
             hostname=f"dt-{n:03d}", macs=[mac])
        b.asset(f"dt-{n:03d}", serial="To be filled by O.E.M.", vendor="Micro-Star", model="MS-7C02", macs=[mac],
                smbios_uuid="03000200-0400-0500-0006-000700080009")
    # Two VMs cloned from one template: same SMBIOS UUID, different serials, VMware (virtual) MACs.
    cloned_uuid = "4211c9a6-61f2-8e3a-d1d4-7a6c2b0e91aa"
    b.ci("VM-A", ci_class="virtual_machine", serial="VMware-42 11 c9 a6 61 f2 8e 3a-d1 d4 7a 6c 2b 0e 91 aa",
         vendor="VMware, Inc.", model="VMware Virtual Platform", hostname="vm-a", smbios_uuid=cloned_uuid)
    b.asset("vm-a", serial="VMware-42 11 c9 a6 61 f2 8e 3a-d1 d4 7a 6c 2b 0e 91 aa", vendor="VMware, Inc.",
            model="VMware Virtual Platform", smbios_uuid=cloned_uuid, macs=[b.mac("00:50:56")])
    b.asset("vm-b", serial="VMware-42 11 77 00 61 f2 8e 3a-d1 d4 7a 6c 2b 0e 00 01", vendor="VMware, Inc.",
            model="VMware Virtual Platform", smbios_uuid=cloned_uuid, macs=[b.mac("00:50:56")])
    # A reimaged laptop: a new agent with a new host name; the old agent's record went quiet.
    reimaged_serial, reimaged_mac, reimaged_uuid = b.serial(), b.mac(), str(uuid.UUID(int=b.rng.getrandbits(128)))
    b.ci("LT-REIMAGED", serial=reimaged_serial, hostname="fin-lt-07", macs=[reimaged_mac])
    b.asset("fin-lt-07", serial=reimaged_serial, smbios_uuid=reimaged_uuid, macs=[reimaged_mac], seen_days_ago=40)
    b.asset("fin-lt-07-new", hostname="FIN-LT-12.corp.example", serial=reimaged_serial, smbios_uuid=reimaged_uuid,
            macs=[reimaged_mac])
    # A replaced NIC: the register still lists the old MAC; the serial still identifies it.
    nic_serial = b.serial()
    b.ci("LT-NEWNIC", serial=nic_serial, hostname="lt-newnic", macs=[b.mac()])
    b.asset("lt-newnic", serial=nic_serial, macs=[b.mac()])
    # Thirty hot-desk laptops on docks with one shared MAC. 29 are registered; someone typed the
    # dock's MAC into a register row, which must not swallow the 30th.
    for n in range(30):
        serial = b.serial("PF")
        if n < 29:
            b.ci(f"HD-{n:03d}", vendor="LENOVO", model="ThinkPad T14", serial=serial, hostname=f"hd-{n:03d}")
        b.asset(f"hd-{n:03d}", vendor="LENOVO", model="ThinkPad T14", serial=serial, macs=[b.mac("8c:8c:aa"), DOCK_MAC])
    b.ci("LT-DOCKTYPO", hostname="lt-docktypo", serial=b.serial(), macs=[DOCK_MAC])
    # A typo'd serial in the register: the MAC finds the CI, and the serial drifts.
    typo_mac = b.mac()
    b.ci("LT-TYPO", serial="5CG0123XYZ", hostname="lt-typo", macs=[typo_mac])
    b.asset("lt-typo", serial="5CG0123XZY", macs=[typo_mac])
    # Retired in the register, still reporting.
    retired_serial = b.serial()
    b.ci("LT-RETIRED", serial=retired_serial, hostname="lt-retired", status="retired")
    b.asset("lt-retired", serial=retired_serial, macs=[b.mac()])
    # A printer only SNMP sees; the register spells its vendor differently.
    b.ci("PRN-2F", ci_class="printer", serial="VNB3K12345", vendor="Hewlett-Packard", model="LaserJet M404dn",
         hostname="prn-2f", location="HQ 2nd floor")
    b.device("printer", found_by=["arp", "snmp"], mac="3c:52:82:70:00:01", ip="198.18.2.20", sys_name="prn-2f",
             serial="VNB3K12345", vendor="HP", model="HP LaserJet M404dn", device_type="printer")
    # A switch polled by SNMP on its management IP, and seen (MAC only) in a router's ARP table.
    b.ci("SW-CORE-1", ci_class="network_device", serial="FOC1234X0AB", vendor="Cisco", model="WS-C3560-24PS",
         hostname="sw-core-1", macs=["00:1b:54:aa:bb:cc"], location="HQ server room")
    b.device("switch-snmp", found_by=["snmp"], ip="198.18.2.2", sys_name="sw-core-1.corp.example",
             serial="FOC1234X0AB", vendor="Cisco", model="WS-C3560-24PS", device_type="switch")
    b.device("switch-arp", found_by=["router_arp"], mac="00:1b:54:aa:bb:cc", ip="198.18.2.2")
    # The register holds one device twice.
    dup_serial = b.serial()
    b.ci("LT-DUP-1", serial=dup_serial, hostname="lt-dup")
    b.ci("LT-DUP-2", serial=dup_serial, hostname="lt-dup")
    b.asset("lt-dup", serial=dup_serial, macs=[b.mac()])
    # One machine whose serial names one CI and whose MAC is listed on another.
    conflict_serial, conflict_mac = b.serial(), b.mac()
    b.ci("LT-CONFLICT-A", serial=conflict_serial, hostname="lt-conflict")
    b.ci("LT-CONFLICT-B", serial=b.serial(), hostname="lt-other", macs=[conflict_mac], status="in_stock")
    b.asset("lt-conflict", serial=conflict_serial, macs=[conflict_mac])
    # A camera nobody registered; a lost laptop; a laptop last seen two months ago.
    b.device("camera", found_by=["arp"], mac="bc:ad:28:00:00:09", ip="198.18.2.50", device_type="iot")
    b.ci("LT-LOST", serial=b.serial(), hostname="lt-lost")
    gone_serial = b.serial()
    b.ci("LT-GONE", serial=gone_serial, hostname="lt-gone")
    b.asset("lt-gone", serial=gone_serial, macs=[b.mac()], seen_days_ago=60)
    session = b.session
    session.flush()
    return b.fleet
