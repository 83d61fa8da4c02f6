"""Finding, creating and linking the devices one batch of sightings describes.

Every device the batch could mean is read up front (IN lists on ``mac`` and
``identity_key``), then each sighting is resolved in memory by the rules of
``device_identity``: two entries of one report with one identity meet the same object and
become one device. The old path asked the database once per sighting and twice more to link
it (75 s for 65,536 devices).
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from collector.db import chunked
from collector.ingest.device_identity import IP_PREFIX, identity_keys, scan_scope
from collector.models import Device
from common.identity import normalize_mac, normalize_serial
from common.schema import DiscoveredDevice

__all__ = ["DeviceBatch"]

_RANK = {"serial": 0, "snmp": 1, "ip": 2}  # identity key kinds, strongest first


def _rank(key: str) -> int:
    return _RANK.get(key.split(":", 1)[0], len(_RANK))


class DeviceBatch:
    """The stored devices a batch of sightings may be, by MAC and by identity key."""

    def __init__(self, session: Session, agent_id: str, scope: str, by_mac: dict[str, Device],
                 by_key: dict[str, Device]) -> None:
        self.session, self.agent_id, self.scope = session, agent_id, scope
        self.by_mac, self.by_key = by_mac, by_key
        self.created: list[Device] = []

    @classmethod
    def load(cls, session: Session, agent_id: str, scan_id: str, sightings: list[DiscoveredDevice]) -> DeviceBatch:
        scope = scan_scope(scan_id, agent_id)
        macs = sorted({mac for seen in sightings if (mac := normalize_mac(seen.mac))})
        keys = sorted({key for seen in sightings for key in identity_keys(seen, scope)})
        by_mac = {d.mac: d for chunk in chunked(macs) for d in session.scalars(select(Device).where(Device.mac.in_(chunk)))}
        by_key = {d.identity_key: d for chunk in chunked(keys)
                  for d in session.scalars(select(Device).where(Device.identity_key.in_(chunk)))}
        return cls(session, agent_id, scope, by_mac, by_key)

    @staticmethod
    def by_ids(session: Session, ids: list[int]) -> list[Device]:
        return [d for chunk in chunked(ids) for d in session.scalars(select(Device).where(Device.id.in_(chunk)))]

    def device_for(self, seen: DiscoveredDevice) -> Device | None:
        """The device this sighting is (created if new); None when it carries no identity at all."""
        mac, keys = normalize_mac(seen.mac), identity_keys(seen, self.scope)
        if mac:
            device = self.by_mac.get(mac) or self._known_without_mac(seen, keys)
            if device is None:
                device = self._new(seen, mac, None)
            elif device.mac is None:
                self._learn_mac(device, mac)
        elif keys:
            device = self._known_by_key(seen, keys) or self._new(seen, None, keys[0])
        else:
            return None
        self._claim_stronger(device, keys if not mac else [k for k in keys if not k.startswith(IP_PREFIX)])
        return device

    def _known_by_key(self, seen: DiscoveredDevice, keys: list[str], mac_less: bool = False) -> Device | None:
        """The device holding the strongest of ``keys``, unless its serial is not the sighting's: a
        weaker key (sysName + sysObjectID, IP) never merges two boxes whose serials differ."""
        serial = normalize_serial(seen.serial)
        for key in keys:
            device = self.by_key.get(key)
            if device is None or (mac_less and device.mac is not None):
                continue
            if not (serial and device.serial and device.serial.upper() != serial.upper()):
                return device
        return None

    def _known_without_mac(self, seen: DiscoveredDevice, keys: list[str]) -> Device | None:
        # A device with another MAC is another device, whatever else the two share.
        return self._known_by_key(seen, keys, mac_less=True)

    def _learn_mac(self, device: Device, mac: str) -> None:
        device.mac = mac
        self.by_mac[mac] = device
        if device.identity_key and device.identity_key.startswith(IP_PREFIX):
            # The MAC identifies it now; the address is free for whatever holds it next (DHCP).
            del self.by_key[device.identity_key]
            device.identity_key = None

    def _claim_stronger(self, device: Device, keys: list[str]) -> None:
        """Give the device the strongest of ``keys`` no other device holds, if stronger than its own."""
        current = _rank(device.identity_key) if device.identity_key else len(_RANK) + 1
        for key in keys:
            if _rank(key) >= current:
                return
            if key not in self.by_key:
                if device.identity_key:
                    del self.by_key[device.identity_key]
                device.identity_key, self.by_key[key] = key, device
                return

    def _new(self, seen: DiscoveredDevice, mac: str | None, key: str | None) -> Device:
        device = Device(mac=mac, identity_key=key, first_seen_at=seen.seen_at, found_by=[])  # see insert_created
        self.created.append(device)
        if mac:
            self.by_mac[mac] = device
        if key:
            self.by_key[key] = device
        return device

    def insert_created(self) -> None:
        """Insert the new devices in one executemany and read their ids back.

        Call after flushing the known devices: a key one of them gave up may be a new one's.
        The ORM sent one INSERT ... RETURNING per row here (no insert sentinel on SQLite's
        INTEGER key): 65,536 statements, most of the old 75 s."""
        if not self.created:
            return
        columns = [column.key for column in Device.__table__.columns if column.key != "id"]
        self.session.execute(insert(Device.__table__), [{c: getattr(d, c) for c in columns} for d in self.created])
        ids = {}
        macs = sorted(d.mac for d in self.created if d.mac)
        keys = sorted(d.identity_key for d in self.created if not d.mac)
        for chunk in chunked(macs):
            ids.update((("mac", mac), device_id) for device_id, mac in
                       self.session.execute(select(Device.id, Device.mac).where(Device.mac.in_(chunk))))
        for chunk in chunked(keys):
            ids.update((("key", key), device_id) for device_id, key in
                       self.session.execute(select(Device.id, Device.identity_key).where(Device.identity_key.in_(chunk))))
        for device in self.created:
            device.id = ids[("mac", device.mac) if device.mac else ("key", device.identity_key)]

    def apply(self, device: Device, seen: DiscoveredDevice, observation_id: int) -> None:
        """Newer sightings refresh what they carry; fields a sighting lacks keep their value."""
        for name in ("ip", "sys_name", "sys_descr", "sys_object_id", "model", "vendor", "oui_vendor", "device_type",
                     "firmware"):
            value = getattr(seen, name)
            if value:
                setattr(device, name, value)
        if seen.page_count is not None and (device.page_count_at is None or seen.seen_at >= device.page_count_at):
            device.page_count, device.page_count_at = seen.page_count, seen.seen_at
        serial = normalize_serial(seen.serial)
        if serial:
            device.serial = serial
        device.found_by = sorted(set(device.found_by or []) | {method.value for method in seen.found_by})
        device.last_seen_at = max(filter(None, (device.last_seen_at, seen.seen_at)))
        device.last_seen_by = self.agent_id
        device.observation_id = observation_id
