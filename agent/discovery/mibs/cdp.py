"""CISCO-CDP-MIB cdpCacheTable: the neighbours a Cisco (or CDP-speaking) device heard on each port.

Cisco switches often run CDP alone, with LLDP off. cdpCacheTable is indexed by
(cdpCacheIfIndex, cdpCacheDeviceIndex): the local port is an ifIndex. cdpCacheAddress is
the neighbour's management address, IPv4 when cdpCacheAddressType is ip(1).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, index_arcs, table, text

__all__ = ["CDP_CACHE_ENTRY", "MAX_NEIGHBOURS", "ROOTS", "parse_cdp_neighbours"]

CDP_CACHE_ENTRY = "1.3.6.1.4.1.9.9.23.1.2.1.1"
ADDRESS_TYPE, ADDRESS, DEVICE_ID, DEVICE_PORT, PLATFORM = 3, 4, 6, 7, 8
IP = 1  # CiscoNetworkProtocol ip(1)
# cdpCacheDeviceId first: the probe, and the column every other is counted against.
ROOTS = tuple(f"{CDP_CACHE_ENTRY}.{column}" for column in (DEVICE_ID, ADDRESS_TYPE, ADDRESS, DEVICE_PORT, PLATFORM))
MAX_NEIGHBOURS = 4096  # common.schema.DiscoveredDevice.neighbours


def _address(address_type: object, value: object) -> str | None:
    if address_type == IP and isinstance(value, bytes) and len(value) == 4:
        return str(ipaddress.IPv4Address(value))
    return None


def parse_cdp_neighbours(rows: Iterable[Row], interfaces: dict[int, str]) -> list[dict]:
    """Neighbour records (local_port, remote_name, remote_port, remote_ip, remote_platform); ``interfaces``
    maps ifIndex -> interface name."""
    neighbours = []
    for index, entry in sorted(table(rows, CDP_CACHE_ENTRY).items(), key=lambda item: index_arcs(item[0])):
        arcs = index_arcs(index)
        if len(arcs) != 2:
            continue
        neighbour = {"local_port": interfaces.get(arcs[0]) or str(arcs[0]), "remote_name": text(entry.get(DEVICE_ID)),
                     "remote_port": text(entry.get(DEVICE_PORT)),
                     "remote_ip": _address(entry.get(ADDRESS_TYPE), entry.get(ADDRESS)),
                     "remote_platform": text(entry.get(PLATFORM))}
        neighbours.append({key: value for key, value in neighbour.items() if value})
        if len(neighbours) == MAX_NEIGHBOURS:
            break
    return neighbours
