"""LLDP-V2-MIB (IEEE 802.1AB-2009, 1.3.111.2.802.1.1.13) remote systems, read beside LLDP-MIB.

Newer agents (and some that dropped the 2005 MIB) publish lldpV2RemTable, indexed by
(time mark, local ifIndex, destination address index, remote index): unlike LLDP-MIB the
local port is an ifIndex. The column numbers shift by one against lldpRemTable, and the
management addresses sit in lldpV2RemManAddrTable, indexed by the same four then the
address subtype and the length-prefixed address.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.lldp import CHASSIS_ADDRESS, CHASSIS_LOCAL, CHASSIS_MAC, MAX_NEIGHBOURS, address_id, port_text
from agent.discovery.mibs.rows import Row, index_arcs, inet_address, mac, table, text

__all__ = ["LLDP_V2_REM_ENTRY", "ROOTS", "parse_v2_neighbours"]

LLDP_V2_REM_ENTRY = "1.3.111.2.802.1.1.13.1.4.1.1"
LLDP_V2_REM_MAN_ADDR_ENTRY = "1.3.111.2.802.1.1.13.1.4.2.1"
CHASSIS_SUBTYPE, CHASSIS_ID, PORT_SUBTYPE, PORT_ID, PORT_DESC, SYS_NAME = 5, 6, 7, 8, 9, 10
MAN_ADDR_IF_SUBTYPE = 3
ROOTS = (*(f"{LLDP_V2_REM_ENTRY}.{c}" for c in (CHASSIS_SUBTYPE, CHASSIS_ID, PORT_SUBTYPE, PORT_ID, PORT_DESC,
                                                 SYS_NAME)),
         f"{LLDP_V2_REM_MAN_ADDR_ENTRY}.{MAN_ADDR_IF_SUBTYPE}")


def _management_addresses(rows: list[Row]) -> dict[tuple[int, ...], str]:
    """(time mark, ifIndex, destination, remote index) -> first management address."""
    found: dict[tuple[int, ...], str] = {}
    for index in table(rows, LLDP_V2_REM_MAN_ADDR_ENTRY):
        arcs = index_arcs(index)  # 4 index arcs, subtype, length, address octets
        if len(arcs) > 6 and arcs[5] == len(arcs) - 6:
            address = inet_address(arcs[4], arcs[6:])
            if address:
                found.setdefault(arcs[:4], address)
    return found


def parse_v2_neighbours(rows: Iterable[Row], interfaces: dict[int, str]) -> list[dict]:
    """Neighbour records as ``lldp.parse_neighbours`` gives them; ``interfaces`` maps ifIndex -> name."""
    rows = list(rows)
    addresses = _management_addresses(rows)
    neighbours = []
    for index, entry in sorted(table(rows, LLDP_V2_REM_ENTRY).items(), key=lambda item: index_arcs(item[0])):
        arcs = index_arcs(index)
        if len(arcs) != 4:
            continue
        subtype, chassis_id = entry.get(CHASSIS_SUBTYPE), entry.get(CHASSIS_ID)
        neighbour = {
            "local_port": interfaces.get(arcs[1]) or str(arcs[1]),
            "remote_name": text(entry.get(SYS_NAME)) or (text(chassis_id) if subtype == CHASSIS_LOCAL else None),
            "remote_port": port_text(entry.get(PORT_SUBTYPE), entry.get(PORT_ID)) or text(entry.get(PORT_DESC)),
            "remote_mac": mac(chassis_id) if subtype == CHASSIS_MAC else None,
            "remote_ip": addresses.get(arcs) or (address_id(chassis_id) if subtype == CHASSIS_ADDRESS else None),
        }
        neighbours.append({key: value for key, value in neighbour.items() if value})
        if len(neighbours) == MAX_NEIGHBOURS:
            break
    return neighbours
