"""Printer-MIB (RFC 3805): whether a device is a printer, its serial number and its page counter.

Any prtGeneralTable row marks a printer (CUPS servers list printers in hrDeviceTable,
but only a printer answers Printer-MIB). prtGeneralSerialNumber is often empty on older
models; several makers keep the serial under their own enterprise, read only when the
device's sysObjectID names that maker. The page count is the lifetime counter of the
first marker, kept only when it counts impressions or sheets.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, column, index_arcs, text
from common.identity import normalize_serial

__all__ = ["PRT_GENERAL_ENTRY", "ROOTS", "VENDOR_SERIAL_OIDS", "parse_printer", "vendor_roots"]

PRT_GENERAL_ENTRY = "1.3.6.1.2.1.43.5.1.1"
PRT_GENERAL_SERIAL_NUMBER = "1.3.6.1.2.1.43.5.1.1.17"
PRT_MARKER_COUNTER_UNIT = "1.3.6.1.2.1.43.10.2.1.3"
PRT_MARKER_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4"
ROOTS = (PRT_GENERAL_ENTRY, PRT_MARKER_COUNTER_UNIT, PRT_MARKER_LIFE_COUNT)
IMPRESSIONS, SHEETS = 7, 8  # PrtMarkerCounterUnitTC

# Serial numbers under makers' enterprises (IANA number -> instance OID), for printers that
# leave prtGeneralSerialNumber empty. Brother: BROTHER-MIB brInfoSerialNumber; Kyocera:
# KYOCERA-Private-MIB kcprtSerialNumber; Canon, Ricoh, Epson: their private printer MIBs.
VENDOR_SERIAL_OIDS = {
    2435: "1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0",
    1347: "1.3.6.1.4.1.1347.43.5.1.1.28.1",
    1602: "1.3.6.1.4.1.1602.1.2.1.4.0",
    367: "1.3.6.1.4.1.367.3.2.1.2.1.4.0",
    1248: "1.3.6.1.4.1.1248.1.2.2.1.1.1.5.1",
}


def vendor_roots(enterprise: int | None) -> tuple[str, ...]:
    """What to walk for the maker's serial: the instance's parent, which a walk returns the instance from."""
    oid = VENDOR_SERIAL_OIDS.get(enterprise) if enterprise is not None else None
    return (oid.rsplit(".", 1)[0],) if oid else ()


def _first(values: dict[str, object]) -> object:
    return values[min(values, key=index_arcs)] if values else None


def parse_printer(rows: Iterable[Row]) -> dict:
    """``{"printer": True, "serial", "page_count"}`` for a printer (keys only when known); {} otherwise."""
    rows = list(rows)
    general = column(rows, PRT_GENERAL_ENTRY)
    life, units = column(rows, PRT_MARKER_LIFE_COUNT), column(rows, PRT_MARKER_COUNTER_UNIT)
    if not general and not life:
        return {}
    serial = normalize_serial(text(_first(column(rows, PRT_GENERAL_SERIAL_NUMBER))))
    if serial is None:
        vendor = {oid: value for oid, value in rows if oid in VENDOR_SERIAL_OIDS.values()}
        serial = next((s for s in (normalize_serial(text(v)) for v in vendor.values()) if s), None)
    marker = min(life, key=index_arcs) if life else None
    count = life.get(marker) if marker else None
    unit = units.get(marker) if marker else None
    page_count = count if isinstance(count, int) and count >= 0 and unit in (None, IMPRESSIONS, SHEETS) else None
    found = {"printer": True, "serial": serial, "page_count": page_count}
    return {key: value for key, value in found.items() if value is not None}
