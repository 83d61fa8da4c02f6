"""IF-MIB (RFC 2863) interfaces and IP-MIB ipAddrTable (RFC 4293): the device's own ports and addresses."""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, column, mac, text

__all__ = ["ADDRESS_ROOTS", "IF_DESCR", "IF_HIGH_SPEED", "IF_NAME", "IF_PHYS_ADDRESS", "IF_SPEED", "MAX_INTERFACES",
           "ROOTS", "parse_addresses", "parse_interfaces"]

# ifTable and ifXTable columns kept for each interface; ifDescr first: it is the walk that says
# whether the device has interfaces at all.
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_SPEED = "1.3.6.1.2.1.2.2.1.5"
IF_PHYS_ADDRESS = "1.3.6.1.2.1.2.2.1.6"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"
ROOTS = (IF_DESCR, IF_SPEED, IF_PHYS_ADDRESS, IF_NAME, IF_HIGH_SPEED)
# ipAdEntIfIndex, indexed by the IPv4 address: which interface carries which address.
IP_AD_ENT_IF_INDEX = "1.3.6.1.2.1.4.20.1.2"
ADDRESS_ROOTS = (IP_AD_ENT_IF_INDEX,)
MAX_INTERFACES = 4096  # common.schema.DiscoveredDevice.interfaces


def _by_index(rows: list[Row], column_oid: str) -> dict[int, object]:
    return {int(index): value for index, value in column(rows, column_oid).items() if index.isdigit()}


def parse_interfaces(rows: Iterable[Row]) -> list[dict]:
    """Index, name (ifName, else ifDescr), MAC and speed of each interface (DeviceInterface fields)."""
    rows = list(rows)
    descr, name = _by_index(rows, IF_DESCR), _by_index(rows, IF_NAME)
    speed, high_speed = _by_index(rows, IF_SPEED), _by_index(rows, IF_HIGH_SPEED)
    phys = _by_index(rows, IF_PHYS_ADDRESS)
    interfaces = []
    for index in sorted(descr.keys() | name.keys())[:MAX_INTERFACES]:
        high, low = high_speed.get(index), speed.get(index)
        # ifSpeed saturates at 4,294,967,295 b/s; ifHighSpeed (Mb/s) is the truth above that.
        mbps = high if isinstance(high, int) and high > 0 else (low // 1_000_000 if isinstance(low, int) else None)
        interface = {"index": index, "name": text(name.get(index)) or text(descr.get(index)),
                     "mac": mac(phys.get(index)), "speed_mbps": mbps or None}
        interfaces.append({key: value for key, value in interface.items() if value is not None})
    return interfaces


def parse_addresses(rows: Iterable[Row]) -> dict[str, int]:
    """``{IPv4 address: ifIndex}`` from ipAdEntIfIndex."""
    return {address: value for address, value in column(rows, IP_AD_ENT_IF_INDEX).items()
            if isinstance(value, int) and address.count(".") == 3}
