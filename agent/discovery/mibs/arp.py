"""IP-MIB neighbour tables: a router's ARP cache names devices on subnets no ARP sweep reaches.

ipNetToPhysicalTable (RFC 4293, IPv4 and IPv6) and the older ipNetToMediaTable (RFC 1213,
IPv4 only) list (interface, address) -> MAC. Invalid entries are dropped, and so are the
router's own addresses (type local(5); ipNetToMedia has no such type, so the poll also
drops MACs of the device's own interfaces).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, column, index_arcs, inet_address, unicast_mac

__all__ = ["MEDIA_ROOTS", "PHYSICAL_ROOTS", "has_ipv4", "parse_arp"]

IP_NET_TO_PHYSICAL_PHYS_ADDRESS = "1.3.6.1.2.1.4.35.1.4"
IP_NET_TO_PHYSICAL_TYPE = "1.3.6.1.2.1.4.35.1.6"
IP_NET_TO_MEDIA_PHYS_ADDRESS = "1.3.6.1.2.1.4.22.1.2"
IP_NET_TO_MEDIA_TYPE = "1.3.6.1.2.1.4.22.1.4"
PHYSICAL_ROOTS = (IP_NET_TO_PHYSICAL_PHYS_ADDRESS, IP_NET_TO_PHYSICAL_TYPE)
MEDIA_ROOTS = (IP_NET_TO_MEDIA_PHYS_ADDRESS, IP_NET_TO_MEDIA_TYPE)
INVALID, LOCAL = 2, 5


def _physical_address(arcs: tuple[int, ...]) -> str | None:
    """Index ifIndex.addressType.length.address... (InetAddress is length-prefixed, RFC 4001);
    some agents leave the length out."""
    if len(arcs) < 3:
        return None
    address_type, rest = arcs[1], arcs[2:]
    size = {1: 4, 2: 16}.get(address_type)
    if size and len(rest) == size + 1 and rest[0] == size:
        rest = rest[1:]
    return inet_address(address_type, rest) if size and len(rest) == size else None


def _media_address(arcs: tuple[int, ...]) -> str | None:
    """Index ifIndex.a.b.c.d."""
    return inet_address(1, arcs[1:]) if len(arcs) == 5 else None


def _entries(rows: list[Row], phys_column: str, type_column: str, address) -> Iterable[tuple[str, str]]:
    types = column(rows, type_column)
    for index, value in column(rows, phys_column).items():
        ip, mac = address(index_arcs(index)), unicast_mac(value)
        if ip and mac and types.get(index) not in (INVALID, LOCAL):
            yield ip, mac


def parse_arp(rows: Iterable[Row]) -> list[dict]:
    """``{"ip", "mac"}`` per neighbour, one per MAC: an IPv4 address when the MAC has one, else a
    global IPv6 address, else a link-local one."""
    rows = list(rows)
    best: dict[str, str] = {}
    for ip, mac in [*_entries(rows, IP_NET_TO_MEDIA_PHYS_ADDRESS, IP_NET_TO_MEDIA_TYPE, _media_address),
                    *_entries(rows, IP_NET_TO_PHYSICAL_PHYS_ADDRESS, IP_NET_TO_PHYSICAL_TYPE, _physical_address)]:
        if mac not in best or _rank(ip) < _rank(best[mac]):
            best[mac] = ip
    return [{"ip": ip, "mac": mac} for mac, ip in sorted(best.items(), key=lambda item: _sort_key(item[1]))]


def has_ipv4(rows: Iterable[Row]) -> bool:
    """Whether ipNetToPhysicalTable rows hold an IPv4 neighbour (then ipNetToMediaTable, IPv4 only,
    would repeat them)."""
    return any(ipaddress.ip_address(ip).version == 4
               for ip, _mac in _entries(list(rows), IP_NET_TO_PHYSICAL_PHYS_ADDRESS, IP_NET_TO_PHYSICAL_TYPE,
                                        _physical_address))


def _rank(ip: str) -> tuple[int, tuple]:
    address = ipaddress.ip_address(ip)
    return (0 if address.version == 4 else 2 if address.is_link_local else 1), _sort_key(ip)


def _sort_key(ip: str) -> tuple[int, int]:
    address = ipaddress.ip_address(ip)
    return address.version, int(address)
