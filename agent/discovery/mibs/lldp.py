"""LLDP-MIB (IEEE 802.1AB-2005) remote systems: who is plugged into which port of this device.

lldpRemTable is indexed by (time mark, local port number, remote index). The local port
number is the agent's own numbering (lldpLocPortTable), not necessarily an ifIndex, so the
local port is named by matching its port id or description to an interface name first.
Chassis and port ids come with a subtype saying what they hold (a MAC, a name, an address).
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, index_arcs, inet_address, mac, table, text

__all__ = ["MAX_NEIGHBOURS", "ROOTS", "address_id", "parse_neighbours", "port_text"]

LLDP_LOC_PORT_ENTRY = "1.0.8802.1.1.2.1.3.7.1"
LLDP_REM_ENTRY = "1.0.8802.1.1.2.1.4.1.1"
LLDP_REM_MAN_ADDR_ENTRY = "1.0.8802.1.1.2.1.4.2.1"
CHASSIS_SUBTYPE, CHASSIS_ID, PORT_SUBTYPE, PORT_ID, PORT_DESC, SYS_NAME = 4, 5, 6, 7, 8, 9
# Remote table first: no neighbours, no need for the local ports or the addresses.
ROOTS = (*(f"{LLDP_REM_ENTRY}.{c}" for c in (CHASSIS_SUBTYPE, CHASSIS_ID, PORT_SUBTYPE, PORT_ID, PORT_DESC, SYS_NAME)),
         f"{LLDP_LOC_PORT_ENTRY}.2", f"{LLDP_LOC_PORT_ENTRY}.3", f"{LLDP_LOC_PORT_ENTRY}.4",
         f"{LLDP_REM_MAN_ADDR_ENTRY}.3")
# LldpChassisIdSubtype / LldpPortIdSubtype values.
CHASSIS_MAC, CHASSIS_ADDRESS, CHASSIS_LOCAL = 4, 5, 7
PORT_ALIAS, PORT_MAC, PORT_ADDRESS, PORT_NAME, PORT_LOCAL = 1, 3, 4, 5, 7
MAX_NEIGHBOURS = 4096  # common.schema.DiscoveredDevice.neighbours


def address_id(value: object) -> str | None:
    """A networkAddress id: an IANA address family octet (1 IPv4, 2 IPv6), then the address."""
    if isinstance(value, bytes) and len(value) in (5, 17) and value[0] in (1, 2):
        return inet_address(value[0], tuple(value[1:]))
    return None


def port_text(subtype: object, value: object) -> str | None:
    if subtype == PORT_MAC:
        return mac(value)
    if subtype == PORT_ADDRESS:
        return address_id(value)
    return text(value)


def _local_port(number: int, local: dict[int, object], interfaces: dict[int, str]) -> str | None:
    """The local interface's name: the port id or description when an interface has that name,
    else the interface whose ifIndex is the port number, else whatever the port calls itself."""
    named = set(interfaces.values())
    port_id = text(local.get(3)) if local.get(2) in (PORT_ALIAS, PORT_NAME, PORT_LOCAL) else None
    candidates = [name for name in (port_id, text(local.get(4))) if name]
    return next((name for name in candidates if name in named), None) or interfaces.get(number) or next(
        iter(candidates), None)


def _management_addresses(rows: list[Row]) -> dict[tuple[int, ...], str]:
    """(time mark, local port, remote index) -> first management IPv4/IPv6 address."""
    found: dict[tuple[int, ...], str] = {}
    for index in table(rows, LLDP_REM_MAN_ADDR_ENTRY):
        arcs = index_arcs(index)  # ... subtype, length, address octets
        if len(arcs) > 5 and arcs[4] == len(arcs) - 5:
            address = inet_address(arcs[3], arcs[5:])
            if address:
                found.setdefault(arcs[:3], address)
    return found


def parse_neighbours(rows: Iterable[Row], interfaces: dict[int, str]) -> list[dict]:
    """Neighbour records (local_port, remote_name, remote_port, remote_mac, remote_ip); ``interfaces`` maps
    ifIndex -> interface name."""
    rows = list(rows)
    local = {int(index): entry for index, entry in table(rows, LLDP_LOC_PORT_ENTRY).items() if index.isdigit()}
    addresses = _management_addresses(rows)
    neighbours = []
    for index, entry in sorted(table(rows, LLDP_REM_ENTRY).items(), key=lambda item: index_arcs(item[0])):
        arcs = index_arcs(index)
        if len(arcs) != 3:
            continue
        chassis_subtype, chassis_id = entry.get(CHASSIS_SUBTYPE), entry.get(CHASSIS_ID)
        # A locally assigned chassis id is the neighbour's own name for itself (NX-OS: "name(serial)").
        own_name = text(chassis_id) if chassis_subtype == CHASSIS_LOCAL else None
        neighbour = {
            "local_port": _local_port(arcs[1], local.get(arcs[1], {}), interfaces),
            "remote_name": text(entry.get(SYS_NAME)) or own_name,
            "remote_port": port_text(entry.get(PORT_SUBTYPE), entry.get(PORT_ID)) or text(entry.get(PORT_DESC)),
            "remote_mac": mac(chassis_id) if chassis_subtype == CHASSIS_MAC else None,
            "remote_ip": addresses.get(arcs) or (address_id(chassis_id) if chassis_subtype == CHASSIS_ADDRESS else None),
        }
        neighbours.append({key: value for key, value in neighbour.items() if value})
        if len(neighbours) == MAX_NEIGHBOURS:
            break
    return neighbours
