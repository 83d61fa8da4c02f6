"""Walked rows read as tables: columns by index, text, MACs and addresses from index arcs.

The bounds here mirror ``common/schema.py`` (the agent does not import pydantic): a value
over a bound would make the collector refuse the whole report, so the agent trims first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from common.identity import classify_mac

__all__ = ["MAX_NAME", "Row", "column", "index_arcs", "inet_address", "mac", "table", "text", "unicast_mac"]

Row = tuple[str, object]
MAX_NAME = 255  # common.schema.Name


def column(rows: Iterable[Row], column_oid: str) -> dict[str, object]:
    """``{index: value}`` for the rows under one column; the index is the OID suffix after it."""
    prefix = column_oid.rstrip(".") + "."
    return {oid[len(prefix):]: value for oid, value in rows if oid.startswith(prefix)}


def table(rows: Iterable[Row], entry_oid: str) -> dict[str, dict[int, object]]:
    """``{index: {column number: value}}`` for the rows under a table's entry OID."""
    prefix = entry_oid.rstrip(".") + "."
    entries: dict[str, dict[int, object]] = {}
    for oid, value in rows:
        if oid.startswith(prefix):
            number, _, index = oid[len(prefix):].partition(".")
            if number.isdigit() and index:
                entries.setdefault(index, {})[int(number)] = value
    return entries


def index_arcs(index: str) -> tuple[int, ...]:
    """The arcs of an index suffix; () when it is not dotted decimal."""
    try:
        return tuple(int(arc) for arc in index.split("."))
    except ValueError:
        return ()


def text(value: object, limit: int = MAX_NAME) -> str | None:
    """A DisplayString as clean text: decoded, NUL-free, trimmed to ``limit``; None when empty."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()[:limit].strip()
    return cleaned or None


def mac(value: object) -> str | None:
    """A 6-octet PhysAddress (bytes, or index arcs) as ``aa:bb:cc:dd:ee:ff``; None otherwise."""
    if isinstance(value, tuple) and len(value) == 6 and all(0 <= arc < 256 for arc in value):
        value = bytes(value)
    if not isinstance(value, bytes) or len(value) != 6:
        return None
    info = classify_mac(value.hex())
    return info.mac if info else None


def unicast_mac(value: object) -> str | None:
    """Like ``mac`` but None for multicast groups too: only a unicast MAC can be a device."""
    normal = mac(value)
    info = classify_mac(normal) if normal else None
    return normal if info and not info.multicast else None


def inet_address(address_type: int, octets: tuple[int, ...]) -> str | None:
    """An InetAddress (RFC 4001: 1 = IPv4, 2 = IPv6, 3/4 = with zone index) as text."""
    try:
        if address_type in (1, 3) and len(octets) >= 4:
            return str(ipaddress.IPv4Address(bytes(octets[:4])))
        if address_type in (2, 4) and len(octets) >= 16:
            return str(ipaddress.IPv6Address(bytes(octets[:16])))
    except ValueError:
        return None
    return None
