"""sysObjectID enterprise number -> maker, from the IANA registry as Debian's ``libwireshark-data`` ships it.

The IANA Private Enterprise Number registry (https://www.iana.org/assignments/enterprise-numbers)
names ~60,000 organisations; Wireshark packages it as ``enterprises.tsv`` (``<number><tab><name>``,
``#`` comments). Like the OUI registry (agent.discovery.oui) it is read from the installed package,
never fetched. Registry names are legal names ("ciscoSystems", "American Power Conversion Corp.");
a short table gives the display name people use. Some numbers name SNMP agent software, not a
maker (net-snmp's 8072, UCD-SNMP's 2021, SNMP Research's 99): those never stand as the vendor.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

__all__ = ["AGENT_SOFTWARE", "DISPLAY_NAMES", "ENTERPRISES_TSV", "EnterpriseRegistry", "EnterpriseRegistryMissing",
           "default_registry", "maker"]

ENTERPRISES_TSV = "/usr/share/wireshark/enterprises.tsv"
# Enterprise numbers of SNMP agent software (the sysObjectID says which agent answered, not who made the box).
AGENT_SOFTWARE = frozenset({99, 2021, 8072})
# Display names for makers whose registry name is not what their customers call them.
DISPLAY_NAMES = {
    2: "IBM", 9: "Cisco", 11: "HP", 42: "Oracle", 43: "3Com", 171: "D-Link", 232: "HPE", 236: "Samsung",
    244: "Lantronix", 253: "Xerox", 311: "Microsoft", 318: "APC", 367: "Ricoh", 368: "Axis", 476: "Vertiv",
    534: "Eaton", 641: "Lexmark", 674: "Dell", 705: "Eaton", 789: "NetApp", 890: "Zyxel", 1139: "Dell EMC",
    1248: "Epson", 1347: "Kyocera", 1588: "Brocade", 1602: "Canon", 1718: "Server Technology",
    1916: "Extreme Networks", 1991: "Brocade", 2011: "Huawei", 2385: "Sharp", 2435: "Brother",
    2620: "Check Point", 2636: "Juniper", 2699: "Printer Working Group", 3076: "Cisco", 3224: "Juniper",
    3375: "F5", 3808: "CyberPower", 3854: "AKCP", 4413: "Broadcom", 4526: "Netgear", 5528: "APC",
    5951: "Citrix", 6027: "Dell", 6486: "Alcatel-Lucent", 6574: "Synology", 6876: "VMware", 6889: "Avaya",
    7779: "Infoblox", 8691: "Moxa", 8741: "SonicWall", 8744: "Colubris", 9148: "Acme Packet", 10418: "Avocent",
    10876: "Supermicro", 11256: "Stormshield", 11863: "TP-Link", 12124: "Isilon", 12356: "Fortinet",
    13742: "Raritan", 13885: "Polycom", 14179: "Cisco", 14525: "Trapeze", 14823: "Aruba", 14988: "MikroTik",
    17163: "Riverbed", 18334: "Konica Minolta", 19046: "Lenovo", 21239: "Vertiv", 22610: "A10 Networks",
    24681: "QNAP", 25049: "Opengear", 25053: "Ruckus", 25461: "Palo Alto Networks", 25506: "H3C", 26543: "IBM",
    30065: "Arista", 30803: "Vyatta", 36849: "Hanwha Vision", 39165: "Hikvision", 41112: "Ubiquiti",
    50536: "iXsystems",
}
_NOISE = re.compile(r"\s*\(?\s*https?://[^)]*\)?|\s*\(formerly.*$|\s+#.*$", re.IGNORECASE)


class EnterpriseRegistryMissing(RuntimeError):
    """The IANA enterprise registry file is not installed."""


class EnterpriseRegistry:
    def __init__(self, names: dict[int, str]) -> None:
        self._names = names

    @classmethod
    def load(cls, path: str = ENTERPRISES_TSV) -> "EnterpriseRegistry":
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return cls(_parse(handle))
        except FileNotFoundError:
            raise EnterpriseRegistryMissing(
                f"no IANA enterprise registry at {path}: install the libwireshark-data package "
                "(apt-get install libwireshark-data)") from None

    def name(self, number: int | None) -> str | None:
        """The registered organisation (display name when the short table has one), or None."""
        if number is None:
            return None
        return DISPLAY_NAMES.get(number) or self._names.get(number)

    def __len__(self) -> int:
        return len(self._names)


def _parse(handle) -> dict[int, str]:
    names = {}
    for line in handle:
        number, _, name = line.partition("\t")
        if not number.isdigit():
            continue
        name = _NOISE.sub("", name.split("\t#")[0]).strip()
        if name and name.lower() not in ("reserved", "unassigned"):
            names[int(number)] = name
    return names


@lru_cache(maxsize=1)
def default_registry() -> EnterpriseRegistry:
    """The installed registry, loaded once per process; without it only the display-name table answers."""
    try:
        return EnterpriseRegistry.load()
    except EnterpriseRegistryMissing as exc:
        logging.getLogger(__name__).warning("%s; makers come from the short display-name table only", exc)
        return EnterpriseRegistry({})


def maker(number: int | None, chassis_maker: str | None = None) -> str | None:
    """The maker an enterprise number names, None for agent software (net-snmp) and unknown numbers.

    A well-known number's display name wins; for the rest of the registry the ENTITY-MIB chassis
    maker (``chassis_maker``), when the device names one, is the more specific (a chassis built
    on another company's SNMP stack keeps that company's number)."""
    if number is None or number in AGENT_SOFTWARE:
        return chassis_maker
    return DISPLAY_NAMES.get(number) or chassis_maker or default_registry().name(number)
