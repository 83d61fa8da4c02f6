"""Model, serial and firmware from makers' private MIBs, for devices the standard MIBs leave blank.

ENTITY-MIB, UPS-MIB and Printer-MIB are read for every device; many boxes fill none of
them (Juniper keeps its serial in JUNIPER-MIB jnxBoxAnatomy, APC in PowerNet-MIB, Synology
in SYNOLOGY-SYSTEM-MIB...). Each maker's identity scalars are asked in ONE GET (and the first
rows of its identity tables in one GETNEXT), and only of
a device whose sysObjectID names that maker (appliances that run a stock net-snmp agent,
under net-snmp's enterprise, get the Linux appliances' set). Every value keeps the MIB
object it came from, so the classification's "why" can cite it. Placeholders ("Unknown",
"<private>", one repeated character) are refused as ``common.identity`` refuses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from agent.discovery.mibs.rows import Row, text
from common.identity import is_junk_serial, normalize_serial

__all__ = ["FIELDS", "IDENTITY_OBJECTS", "NET_SNMP", "Found", "Ident", "identity_oids", "parse_vendor_identity",
           "read_vendor_identity"]

FIELDS = ("serial", "model", "firmware", "manufacturer")
NET_SNMP = 8072  # NET-SNMP-MIB netSnmpAgentOIDs: the agent software, not the maker


class Ident(NamedTuple):
    field: str  # one of FIELDS
    oid: str  # the instance asked by GET; with ``column``, the column whose first row GETNEXT brings
    source: str  # "MIB::object", cited in reports
    column: bool = False


class Found(NamedTuple):
    value: str
    source: str


def _group(mib: str, base: str, **objects: tuple[str, str]) -> tuple[Ident, ...]:
    """Idents of one MIB: ``field=(object name, instance suffix under base)``."""
    return tuple(Ident(field.rstrip("_0123456789"), f"{base}.{suffix}", f"{mib}::{name}")
                 for field, (name, suffix) in objects.items())


# Listed in order of preference: the first usable value of a field wins.
_APC = (_group("PowerNet-MIB", "1.3.6.1.4.1.318.1.1.1.1",  # upsIdent: a Smart-UPS's own card
               model=("upsBasicIdentModel", "1.1.0"), serial=("upsAdvIdentSerialNumber", "2.3.0"),
               firmware=("upsAdvIdentFirmwareRevision", "2.1.0"))
        + _group("PowerNet-MIB", "1.3.6.1.4.1.318.1.1.26.2.1",  # rPDU2IdentTable, first PDU of a chain
                 model=("rPDU2IdentModelNumber", "8.1"), serial=("rPDU2IdentSerialNumber", "9.1"),
                 firmware=("rPDU2IdentFirmwareRev", "6.1"))
        + _group("PowerNet-MIB", "1.3.6.1.4.1.318.1.1.12.1",  # rPDUIdent: older rack PDUs
                 model=("rPDUIdentModelNumber", "5.0"), serial=("rPDUIdentSerialNumber", "6.0"),
                 firmware=("rPDUIdentFirmwareRevision", "3.0")))
_EATON = (_group("XUPS-MIB", "1.3.6.1.4.1.534.1.1", manufacturer=("xupsIdentManufacturer", "1.0"),
                 model=("xupsIdentModel", "2.0"), firmware=("xupsIdentSoftwareVersion", "3.0"))
          + _group("EATON-EPDU-MIB", "1.3.6.1.4.1.534.6.6.7.1.2.1",  # unitTable, strapping index 0
                   model=("productName", "2.0"), model_2=("partNumber", "3.0"), serial=("serialNumber", "4.0"),
                   firmware=("firmwareVersion", "5.0")))
_VERTIV = _group("LIEBERT-GP-AGENT-MIB", "1.3.6.1.4.1.476.1.42.2.1",  # lgpAgentIdent
                 manufacturer=("lgpAgentIdentManufacturer", "1.0"), model=("lgpAgentIdentModel", "2.0"),
                 firmware=("lgpAgentIdentFirmwareVersion", "3.0"), serial=("lgpAgentIdentSerialNumber", "4.0"))
_RARITAN = _group("PDU2-MIB", "1.3.6.1.4.1.13742.6.3.2.1.1",  # nameplateTable, PDU 1
                  manufacturer=("pduManufacturer", "2.1"), model=("pduModel", "3.1"), serial=("pduSerialNumber", "4.1"))
_SERVERTECH = (_group("Sentry4-MIB", "1.3.6.1.4.1.1718.4.1.2.2.1",  # st4UnitConfigTable, master unit
                      serial=("st4UnitProductSN", "4.1"), model=("st4UnitModel", "5.1"))
               + _group("Sentry4-MIB", "1.3.6.1.4.1.1718.4.1.1.1", model=("st4SystemProductName", "1.0"),
                        firmware=("st4SystemFirmwareVersion", "3.0")))
_CISCO = _group("OLD-CISCO-CHASSIS-MIB", "1.3.6.1.4.1.9.3.6", serial=("chassisId", "3.0"))
_JUNIPER = _group("JUNIPER-MIB", "1.3.6.1.4.1.2636.3.1", model=("jnxBoxDescr", "2.0"), serial=("jnxBoxSerialNo", "3.0"))
_FORTINET = (_group("FORTINET-CORE-MIB", "1.3.6.1.4.1.12356.100.1.1", serial=("fnSysSerial", "1.0"))
             + _group("FORTINET-FORTIGATE-MIB", "1.3.6.1.4.1.12356.101.4.1", firmware=("fgSysVersion", "1.0")))
_PALO_ALTO = (_group("PAN-COMMON-MIB", "1.3.6.1.4.1.25461.2.1.2.1", firmware=("panSysSwVersion", "1.0"),
                     serial=("panSysSerialNumber", "3.0"))
              + _group("PAN-COMMON-MIB", "1.3.6.1.4.1.25461.2.1.2.2", model=("panChassisType", "1.0")))
_SYNOLOGY = _group("SYNOLOGY-SYSTEM-MIB", "1.3.6.1.4.1.6574.1.5", model=("modelName", "1.0"),
                   serial=("serialNumber", "2.0"), firmware=("version", "3.0"))
# QNAP: QTS-MIB (enterprise 55062; QTS under .1, QuTS hero under .2) on current firmware, the older
# NAS-MIB (24681) only has the model.
_QNAP = (_group("QTS-MIB", "1.3.6.1.4.1.55062.1.12", model=("systemModel", "3.0"), serial=("serialNumber", "5.0"),
                firmware=("firmwareVersion", "6.0"))
         + _group("QTS-MIB", "1.3.6.1.4.1.55062.2.12", model=("systemModel", "3.0"), serial=("serialNumber", "5.0"),
                  firmware=("firmwareVersion", "6.0"))
         + _group("NAS-MIB", "1.3.6.1.4.1.24681.1.2", model=("modelName", "12.0")))
_NETAPP = _group("NETAPP-MIB", "1.3.6.1.4.1.789.1.1", model=("productModel", "5.0"),
                 serial=("productSerialNum", "9.0"), firmware=("productVersion", "2.0"))
_DELL = _group("IDRAC-MIB-SMIv2", "1.3.6.1.4.1.674.10892.5.1", model=("systemModelName", "3.12.0"),
               serial=("systemServiceTag", "3.2.0"), firmware=("racFirmwareVersion", "1.8.0"))
_HPE = (_group("CPQSINFO-MIB", "1.3.6.1.4.1.232.2.2", model=("cpqSiProductName", "4.2.0"),
               serial=("cpqSiSysSerialNum", "2.1.0"))
        + _group("CPQSM2-MIB", "1.3.6.1.4.1.232.9.2.2", firmware=("cpqSm2CntlrRomRevision", "2.0")))
_UBIQUITI = _group("UBNT-UniFi-MIB", "1.3.6.1.4.1.41112.1.6.3", model=("unifiApSystemModel", "3.0"),
                   firmware=("unifiApSystemVersion", "6.0"))
# airOS radios name themselves in IEEE802dot11-MIB's dot11ResourceInfoTable, one row per radio
# (indexed by ifIndex): the first row, by GETNEXT on the column.
_DOT11 = tuple(Ident(field, f"1.2.840.10036.3.1.2.1.{column}", f"IEEE802dot11-MIB::{name}", column=True)
               for field, column, name in (("manufacturer", 2, "dot11manufacturerName"),
                                           ("model", 3, "dot11manufacturerProductName"),
                                           ("firmware", 4, "dot11manufacturerProductVersion")))
_HIKVISION = _group("HIKVISION-MIB", "1.3.6.1.4.1.39165.1", model=("deviceType", "1.0"),
                    firmware=("softwareVersion", "3.0"))
# Printers: the serial where makers keep it when prtGeneralSerialNumber is empty (Brother,
# Kyocera, Canon, Ricoh and Epson are read with the Printer-MIB, see mibs/printer.py).
_HP = _group("HP-LASERJET-COMMON-MIB", "1.3.6.1.4.1.11.2.3.9.4.2.1.1.3", serial=("serial-number", "3.0"))
_LEXMARK = _group("LEXMARK-PVT-MIB", "1.3.6.1.4.1.641.2.1.2.1",  # prtgenInfoEntry, printer 1
                  model=("prtgenPrinterName", "2.1"), serial=("prtgenSerialNo", "6.1"))
_XEROX = _group("XEROX-HOST-RESOURCES-EXT-MIB", "1.3.6.1.4.1.253.8.53.3.2.1",  # xcmHrDevInfoEntry, hrDevice 1
                serial=("xcmHrDevInfoSerialNumber", "3.1"))
# Sharp: no private serial here. 2385.1.1.19.2.1.3.5.4.61, once listed as its serial, is a page
# counter (the black-and-white meter); Sharp's serial is read from prtGeneralSerialNumber.

# IANA enterprise number -> what to ask. Net-SNMP's entry is the Linux appliances that keep
# net-snmp's sysObjectID (Synology, QNAP, UniFi): still one GET, of all their scalars.
IDENTITY_OBJECTS: dict[int, tuple[Ident, ...]] = {
    318: _APC, 534: _EATON, 705: _EATON, 476: _VERTIV, 13742: _RARITAN, 1718: _SERVERTECH, 9: _CISCO,
    2636: _JUNIPER, 12356: _FORTINET, 25461: _PALO_ALTO, 6574: _SYNOLOGY, 24681: _QNAP, 55062: _QNAP, 789: _NETAPP,
    674: _DELL, 232: _HPE, 11: _HP, 41112: _UBIQUITI + _DOT11, 39165: _HIKVISION, 641: _LEXMARK, 253: _XEROX,
    NET_SNMP: _SYNOLOGY + _QNAP + _UBIQUITI,
}


def identity_oids(enterprise: int | None, column: bool = False) -> list[str]:
    """The instances to GET for this maker (``column``: the columns to GETNEXT); empty: nothing to ask."""
    idents = IDENTITY_OBJECTS.get(enterprise, ()) if enterprise is not None else ()
    return [ident.oid for ident in idents if ident.column == column]


async def read_vendor_identity(walker, enterprise: int | None) -> list[Row]:
    """The maker's scalars in one GET, and its tables' first rows in one GETNEXT (each only if any)."""
    rows = []
    for column, ask in ((False, walker.get), (True, walker.next)):
        oids = identity_oids(enterprise, column)
        rows += await ask(oids) if oids else []
    return rows


def _answer(ident: Ident, answers: dict[str, object]) -> object:
    if not ident.column:
        return answers.get(ident.oid)
    return next((value for oid, value in answers.items() if oid.startswith(ident.oid + ".")), None)


def _usable(field: str, value: object) -> str | None:
    """The value as text, or None for an empty or placeholder one ("Unknown", "<private>", "0000")."""
    cleaned = text(value)
    if cleaned is None or field == "serial":
        return normalize_serial(cleaned)
    return None if len(cleaned) >= 3 and is_junk_serial(cleaned) else cleaned


def parse_vendor_identity(rows: Iterable[Row], enterprise: int | None) -> dict[str, Found]:
    """``{field: Found(value, "MIB::object")}`` from the GET's answers, first usable value per field."""
    answers = dict(rows)
    found: dict[str, Found] = {}
    for ident in IDENTITY_OBJECTS.get(enterprise, ()) if enterprise is not None else ():
        value = _usable(ident.field, _answer(ident, answers))
        if value and ident.field not in found:
            found[ident.field] = Found(value, ident.source)
    return found
