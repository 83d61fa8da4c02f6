"""A GLPI network-equipment or printer inventory (SNMP, from netinventory) as a DiscoveryReport.

GLPI sends the devices its agents walked over SNMP in the same JSON format as computers, with
``itemtype`` NetworkEquipment or Printer and the device under ``content.network_device``, its
ports under ``content.network_ports`` (learnt MACs and CDP/LLDP neighbours in ``connections``),
firmwares and a printer's page counters beside them. Stocktake keeps such devices as discovered
devices, like its own scanner's: one DiscoveredDevice found by SNMP.

Left out as volatile: uptime, CPU load, memory use, port counters and last-change times.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from collector.interop.glpi_models import GlpiConnection, GlpiMessage, GlpiNetworkDevice, GlpiNetworkPort
from common.schema import DISCOVERY_SCHEMA_VERSION

__all__ = ["NETWORK_ITEMTYPES", "glpi_discovery_report"]

NETWORK_ITEMTYPES = frozenset({"NetworkEquipment", "Printer"})
# network_device.type -> common/device_types.py. GLPI's "Networking" covers switches and routers
# alike; switch is the common case and what makes Stocktake read the port tables.
_DEVICE_TYPES = {"Networking": "switch", "Printer": "printer", "Storage": "storage", "Power": "ups",
                 "Phone": "ip_phone", "Video": "camera", "KVM": "kvm",
                 "Computer": "server"}  # as collector/interop/ocs_netdiscovery.py maps COMPUTER


def glpi_discovery_report(message: GlpiMessage, agent_id: str, now: datetime) -> dict:
    """The DiscoveryReport dict for one SNMP-inventoried device."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    scan = f"glpi-job-{message.jobid}" if message.jobid is not None else f"glpi-{message.action.lower()}"
    return {
        "schema_version": DISCOVERY_SCHEMA_VERSION,
        "report_id": str(uuid.uuid4()),
        "agent_id": agent_id,
        "scan_id": scan[:64],
        "started_at": stamp,
        "finished_at": stamp,
        "devices": [_device(message, stamp)],
    }


def _device(message: GlpiMessage, stamp: str) -> dict:
    content = message.content
    device = content.network_device or GlpiNetworkDevice(type="Printer" if message.itemtype == "Printer" else "Networking")
    firmware = device.firmware or next((item.version for item in content.firmwares if item.version), None)
    values = {
        "ip": device.ips[0] if device.ips else None,
        "mac": device.mac,
        "sys_name": device.name,
        "sys_descr": device.description,
        "serial": device.serial,
        "model": device.model,
        "vendor": device.manufacturer,
        "device_type": _DEVICE_TYPES.get(device.type, "unknown") if message.itemtype != "Printer" else "printer",
        "firmware": firmware,
        "page_count": content.pagecounters.total if content.pagecounters else None,
        "interfaces": [_interface(port) for port in content.network_ports],
        "neighbours": [neighbour for port in content.network_ports for neighbour in _neighbours(port)],
        "found_by": ["snmp"],
        "seen_at": stamp,
    }
    return {key: value for key, value in values.items() if value is not None and value != []}


def _interface(port: GlpiNetworkPort) -> dict:
    learned = [mac for connection in port.connections if not _is_neighbour(connection)
               for mac in _macs(connection)]
    values = {
        "index": port.ifnumber,
        "name": port.ifname or port.ifdescr,
        "mac": port.mac,
        # ifSpeed is in bit/s
        "speed_mbps": port.ifspeed // 1_000_000 if port.ifspeed is not None else None,
        "learned_macs": sorted(set(learned)),
    }
    return {key: value for key, value in values.items() if value is not None and value != []}


def _neighbours(port: GlpiNetworkPort) -> list[dict]:
    found = []
    for connection in port.connections:
        if not _is_neighbour(connection):
            continue
        values = {
            "local_port": port.ifname or port.ifdescr,
            "remote_name": connection.sysname,
            "remote_port": connection.ifdescr,
            "remote_mac": connection.sysmac,
            "remote_ip": connection.ip,
            "remote_platform": connection.model,
        }
        found.append({key: value for key, value in values.items() if value is not None})
    return found


def _is_neighbour(connection: GlpiConnection) -> bool:
    """A CDP/LLDP neighbour names itself; a forwarding-table entry is only MACs."""
    return bool(connection.sysname or connection.sysmac or connection.ip or connection.ifdescr)


def _macs(connection: GlpiConnection) -> list[str]:
    if connection.mac is None:
        return []
    return [connection.mac] if isinstance(connection.mac, str) else list(connection.mac)
