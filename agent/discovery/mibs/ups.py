"""UPS-MIB (RFC 1628) identification: whether a device is a UPS, and its maker, model and firmware.

UPS network cards often run a stock Linux with net-snmp (sysObjectID 1.3.6.1.4.1.8072...,
sysDescr "Linux ..."), which reads like a server; answering upsIdent is what says UPS.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, column, text

__all__ = ["ROOTS", "UPS_IDENT", "parse_ups"]

UPS_IDENT = "1.3.6.1.2.1.33.1.1"
ROOTS = (UPS_IDENT,)
# upsIdent scalars: Manufacturer, Model, UPSSoftwareVersion (the UPS's own firmware).
MANUFACTURER, MODEL, SOFTWARE_VERSION = "1.0", "2.0", "3.0"


def parse_ups(rows: Iterable[Row]) -> dict:
    """``{"ups": True, "manufacturer", "model", "firmware"}`` (keys only when known); {} for a non-UPS."""
    ident = column(rows, UPS_IDENT)
    if not ident:
        return {}
    found = {"ups": True, "manufacturer": text(ident.get(MANUFACTURER)), "model": text(ident.get(MODEL)),
             "firmware": text(ident.get(SOFTWARE_VERSION))}
    return {key: value for key, value in found.items() if value}
