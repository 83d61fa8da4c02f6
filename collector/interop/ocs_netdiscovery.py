"""FusionInventory's network tasks over the OCS protocol, as DiscoveryReport dicts (schema 1).

NETDISCOVERY (``fusioninventory-netdiscovery``, the agent's NetDiscovery task) sends one
``DEVICE`` per address that answered: IP, MAC, SNMPHOSTNAME (sysName), DESCRIPTION (sysDescr),
MANUFACTURER, MODEL, SERIAL, FIRMWARE, TYPE, and AUTHSNMP (the credential that worked) when SNMP
answered. SNMPQUERY (NetInventory) sends one ``DEVICE`` per device with ``INFO`` (the same
identity, sysDescr in COMMENTS) and ``PORTS/PORT`` (IF-MIB rows: IFNUMBER, IFNAME, IFDESCR, MAC,
IFSPEED in bit/s) whose ``CONNECTIONS`` are either the MACs learnt on the port (the bridge
forwarding table) or, with ``CDP`` set, the CDP/LLDP neighbour (SYSNAME, IFDESCR, IP, SYSMAC,
MODEL). Messages without a DEVICE (``AGENT`` START/END/NBIP) are progress signals: nothing to store.

Each message becomes one DiscoveryReport whose scan id names the task and its process number.
Counters, uptime and the port's traffic figures are left out; the taxonomy of ``TYPE`` is
FusionInventory's (COMPUTER, NETWORKING, PRINTER, STORAGE, POWER, PHONE, VIDEO, KVM).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any
from xml.etree.ElementTree import Element

from collector.errors import BadRequest, FieldError
from collector.interop.ocs_xml import OcsRequest
from collector.interop.safe_xml import child_int, child_text
from common.identity import classify_mac
from common.schema import INT64_MAX

__all__ = ["discovery_report"]

_NAME, _SHORT = 255, 64
# FusionInventory's device TYPE → common/device_types.py. NETWORKING covers switches and
# routers alike; a switch is the common case (routers still show their forwarding role by ARP).
_DEVICE_TYPES = {"NETWORKING": "switch", "PRINTER": "printer", "STORAGE": "storage", "POWER": "ups",
                 "PHONE": "ip_phone", "VIDEO": "camera", "KVM": "kvm", "COMPUTER": "server"}
_MAX_PORTS, _MAX_CONNECTIONS = 4096, 65_536


def discovery_report(request: OcsRequest, agent_id: str, received_at: datetime,
                     report_id: str | None = None) -> dict[str, Any] | None:
    """The DiscoveryReport for a NETDISCOVERY or SNMPQUERY message; None for a progress message."""
    content = request.content
    devices = content.findall("DEVICE") if content is not None else []
    if not devices:
        return None
    reader = _Reader()
    seen_at = received_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    converted = [_device(reader, f"CONTENT.DEVICE.{index}", device, request.query, seen_at)
                 for index, device in enumerate(devices)]
    process = reader.text(content, "PROCESSNUMBER", "CONTENT", _SHORT) or "0"
    reader.raise_errors()
    return {
        "schema_version": 1,
        "report_id": report_id or str(uuid.uuid4()),
        "agent_id": agent_id,
        "scan_id": f"fusioninventory:{request.query.lower()}:{process}"[:_SHORT],
        "started_at": seen_at,
        "finished_at": seen_at,
        "devices": converted,
    }


class _Reader:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def text(self, parent: Element | None, tag: str, path: str, limit: int = _NAME) -> str | None:
        if parent is None:
            return None
        try:
            value = child_text(parent, tag, f"{path}.{tag}")
        except BadRequest as exc:
            self.errors.extend(exc.fields)
            return None
        return value[:limit] if value else None

    def integer(self, parent: Element, tag: str, path: str) -> int | None:
        try:
            return child_int(parent, tag, f"{path}.{tag}", maximum=INT64_MAX)
        except BadRequest as exc:
            self.errors.extend(exc.fields)
            return None

    def mac(self, parent: Element | None, tag: str, path: str) -> str | None:
        info = classify_mac(self.text(parent, tag, path, _SHORT))
        return info.mac if info else None

    def raise_errors(self) -> None:
        if self.errors:
            raise BadRequest(f"network task message has {len(self.errors)} invalid field(s)", self.errors[:50])


def _device(reader: _Reader, path: str, device: Element, query: str, seen_at: str) -> dict[str, Any]:
    info = device.find("INFO") if query == "SNMPQUERY" else device
    info_path = f"{path}.INFO" if query == "SNMPQUERY" else path
    if info is None:
        reader.errors.append(FieldError(f"{path}.INFO", "required"))
        return {"found_by": ["snmp"], "seen_at": seen_at}
    kind = (reader.text(info, "TYPE", info_path, _SHORT) or "").upper()
    snmp = query == "SNMPQUERY" or reader.text(info, "AUTHSNMP", info_path, _SHORT) is not None
    record = {
        "ip": reader.text(info, "IP", info_path, _SHORT) or _first_ip(reader, info, info_path),
        "mac": reader.mac(info, "MAC", info_path),
        "sys_name": reader.text(info, "SNMPHOSTNAME", info_path) or (reader.text(info, "NAME", info_path) if snmp else None),
        "sys_descr": reader.text(info, "DESCRIPTION", info_path, 1024) or reader.text(info, "COMMENTS", info_path, 1024),
        "sys_object_id": reader.text(info, "SNMPOID", info_path) or reader.text(info, "SYSOBJECTID", info_path),
        "serial": reader.text(info, "SERIAL", info_path),
        "model": reader.text(info, "MODEL", info_path),
        "vendor": reader.text(info, "MANUFACTURER", info_path),
        "firmware": reader.text(info, "FIRMWARE", info_path),
        "device_type": _DEVICE_TYPES.get(kind),
        "classified_by": f"fusioninventory:{kind.lower()}"[:_SHORT] if kind in _DEVICE_TYPES else None,
        "page_count": _page_count(reader, device, path),
        "found_by": ["snmp"] if snmp else ["arp"],
        "seen_at": seen_at,
    }
    if query == "SNMPQUERY":
        record["interfaces"], record["neighbours"] = _ports(reader, device, path)
    return {key: value for key, value in record.items() if value not in (None, [])} | {"found_by": record["found_by"]}


def _first_ip(reader: _Reader, info: Element, path: str) -> str | None:
    """The first of IPS/IP (SNMPQUERY lists every address of the device there)."""
    ips = info.find("IPS")
    first = ips.find("IP") if ips is not None else None
    if first is None:
        return None
    if len(first):
        reader.errors.append(FieldError(f"{path}.IPS.IP", "must be text, not nested elements"))
        return None
    return (first.text or "").strip()[:_SHORT] or None


def _page_count(reader: _Reader, device: Element, path: str) -> int | None:
    counters = device.find("PAGECOUNTERS")
    return reader.integer(counters, "TOTAL", f"{path}.PAGECOUNTERS") if counters is not None else None


def _ports(reader: _Reader, device: Element, path: str) -> tuple[list[dict], list[dict]]:
    interfaces, neighbours = [], []
    ports = device.find("PORTS")
    for index, port in enumerate(ports.findall("PORT")[:_MAX_PORTS] if ports is not None else []):
        port_path = f"{path}.PORTS.PORT.{index}"
        name = reader.text(port, "IFNAME", port_path) or reader.text(port, "IFDESCR", port_path)
        speed = reader.integer(port, "IFSPEED", port_path)
        interface = {"index": reader.integer(port, "IFNUMBER", port_path), "name": name,
                     "mac": reader.mac(port, "MAC", port_path),
                     "speed_mbps": speed // 1_000_000 if speed else None, "learned_macs": []}
        connections = port.find("CONNECTIONS")
        if connections is not None:
            if reader.text(connections, "CDP", f"{port_path}.CONNECTIONS", _SHORT) == "1":
                neighbours += _neighbours(reader, connections, name, f"{port_path}.CONNECTIONS")
            else:
                interface["learned_macs"] = _learned_macs(reader, connections, f"{port_path}.CONNECTIONS")
        interfaces.append({key: value for key, value in interface.items() if value is not None})
    return interfaces, neighbours


def _learned_macs(reader: _Reader, connections: Element, path: str) -> list[str]:
    macs = []
    for index, connection in enumerate(connections.findall("CONNECTION")[:_MAX_CONNECTIONS]):
        for mac_index, element in enumerate(connection.findall("MAC")):
            if len(element):
                reader.errors.append(FieldError(f"{path}.CONNECTION.{index}.MAC.{mac_index}", "must be text"))
                continue
            info = classify_mac((element.text or "").strip()[:_SHORT])
            if info and info.mac not in macs:
                macs.append(info.mac)
    return macs


def _neighbours(reader: _Reader, connections: Element, local_port: str | None, path: str) -> list[dict]:
    found = []
    for index, connection in enumerate(connections.findall("CONNECTION")[:_MAX_PORTS]):
        entry_path = f"{path}.CONNECTION.{index}"
        neighbour = {
            "local_port": local_port,
            "remote_name": reader.text(connection, "SYSNAME", entry_path),
            "remote_port": reader.text(connection, "IFDESCR", entry_path),
            "remote_mac": reader.mac(connection, "SYSMAC", entry_path),
            "remote_ip": reader.text(connection, "IP", entry_path, _SHORT),
            "remote_platform": reader.text(connection, "MODEL", entry_path),
        }
        found.append({key: value for key, value in neighbour.items() if value is not None})
    return found
