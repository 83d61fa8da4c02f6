"""Device classification: what a discovered device is, from what it says about itself.

Evidence, strongest first: the sysObjectID (an IANA private enterprise number, often
with a product subtree), patterns in sysDescr, the chassis model from ENTITY-MIB, the
MIBs a device answers (Printer-MIB, UPS-MIB, BRIDGE-MIB), sysServices (RFC 3418: layer
bits 2 = datalink/bridge, 4 = internet/router, 64 = applications), and last the OUI
vendor of its MAC. The vendor comes from the enterprise number, else from the chassis
manufacturer (ENTITY-MIB), else from the OUI. Rules are data: an ordered table
of (conditions -> device type, vendor), first full match wins, so a new device family
is a new row with a test, not new code.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["DEVICE_TYPES", "ENTERPRISES", "Classification", "DeviceFacts", "RULES", "Rule", "classify",
           "enterprise_number"]

DEVICE_TYPES = ("router", "switch", "firewall", "wireless_ap", "printer", "ups", "ip_phone", "server",
                "workstation", "storage", "iot", "unknown")

# IANA Private Enterprise Numbers (https://www.iana.org/assignments/enterprise-numbers).
ENTERPRISES = {
    2: "IBM", 9: "Cisco", 11: "HP", 42: "Oracle", 171: "D-Link", 236: "Samsung", 253: "Xerox", 311: "Microsoft",
    318: "APC", 367: "Ricoh", 368: "Axis", 534: "Eaton", 641: "Lexmark", 674: "Dell", 789: "NetApp", 890: "Zyxel",
    1248: "Epson", 1347: "Kyocera", 1602: "Canon", 1916: "Extreme Networks", 2011: "Huawei", 2385: "Sharp",
    2435: "Brother", 2620: "Check Point", 2636: "Juniper", 3375: "F5", 4526: "Netgear", 6486: "Alcatel-Lucent",
    6574: "Synology", 6876: "VMware", 6889: "Avaya", 8072: "Net-SNMP", 8741: "SonicWall", 10876: "Supermicro",
    11863: "TP-Link", 12356: "Fortinet", 13885: "Polycom", 14179: "Cisco", 14823: "Aruba", 14988: "MikroTik",
    18334: "Konica Minolta", 19046: "Lenovo", 24681: "QNAP", 25461: "Palo Alto Networks", 30065: "Arista",
    39165: "Hikvision", 41112: "Ubiquiti",
}
_ENTERPRISE_PREFIX = "1.3.6.1.4.1."

# sysServices layer bits (RFC 3418 sysServices: 2^(layer-1)).
DATALINK, INTERNET, APPLICATIONS = 2, 4, 64


class DeviceFacts(NamedTuple):
    """What a scanner learnt about one device (any field may be unknown)."""

    sys_object_id: str | None = None
    sys_descr: str | None = None
    sys_services: int | None = None
    oui_vendor: str | None = None
    has_printer_mib: bool = False
    has_ups_mib: bool = False
    has_bridge_mib: bool = False
    manufacturer: str | None = None  # ENTITY-MIB entPhysicalMfgName of the chassis
    model: str | None = None  # ENTITY-MIB entPhysicalModelName of the chassis


class Classification(NamedTuple):
    device_type: str
    vendor: str | None
    rule: str  # which rule decided, for the "why" in reports


class Rule(NamedTuple):
    name: str
    device_type: str
    enterprises: frozenset[int] = frozenset()  # sysObjectID under one of these
    object_id_prefix: str | None = None  # or under this exact subtree
    descr: re.Pattern | None = None  # sysDescr matches
    model: re.Pattern | None = None  # or the chassis model matches
    mib: str | None = None  # "printer", "ups", "bridge"
    services_all: int = 0  # sysServices has all these bits
    services_none: int = 0  # ... and none of these
    oui: re.Pattern | None = None  # OUI organisation matches


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# Ordered: specific product evidence before generic evidence.
RULES: tuple[Rule, ...] = (
    Rule("printer-mib", "printer", mib="printer"),
    Rule("ups-mib", "ups", mib="ups"),
    Rule("hp-jetdirect", "printer", object_id_prefix="1.3.6.1.4.1.11.2.3.9.1"),
    Rule("printer-vendor", "printer", enterprises=frozenset({253, 367, 641, 1248, 1347, 1602, 2385, 2435, 18334})),
    Rule("printer-descr", "printer", descr=_re(r"jetdirect|laserjet|officejet|imagerunner|workcentre|aficio|"
                                              r"bizhub|ecosys|\bprinter\b")),
    Rule("ups-vendor", "ups", enterprises=frozenset({318, 534})),
    Rule("ups-descr", "ups", descr=_re(r"\bups\b|smart-ups|powerware|network management card")),
    Rule("firewall-vendor", "firewall", enterprises=frozenset({2620, 8741, 12356, 25461})),
    Rule("firewall-descr", "firewall", descr=_re(r"fortigate|pan-os|adaptive security appliance|\basa\b|sonicos|"
                                                r"check point|pfsense|opnsense")),
    Rule("wlc-airespace", "wireless_ap", enterprises=frozenset({14179})),
    Rule("ap-descr", "wireless_ap", descr=_re(r"access point|aironet|\bunifi ap\b|\buap\b|arubaos.*\bap\b|"
                                             r"instant on ap|\bwap\d")),
    # Ubiquiti (UBNT-MIB): airMAX/AirOS radios and UniFi access points, Linux underneath.
    Rule("ubiquiti-airmax", "wireless_ap", object_id_prefix="1.3.6.1.4.1.41112.1.4"),
    Rule("ubiquiti-unifi", "wireless_ap", object_id_prefix="1.3.6.1.4.1.41112.1.6"),
    Rule("phone-vendor", "ip_phone", enterprises=frozenset({13885, 6889})),
    Rule("phone-descr", "ip_phone", descr=_re(r"ip phone|\bsip-t\d|yealink|polycom|grandstream gxp|snom")),
    Rule("storage-vendor", "storage", enterprises=frozenset({789, 6574, 24681})),
    Rule("storage-descr", "storage", descr=_re(r"data ontap|synology|diskstation|qnap|\bnas\b")),
    Rule("camera", "iot", enterprises=frozenset({368, 39165})),
    Rule("iot-descr", "iot", descr=_re(r"camera|\bnvr\b|thermostat|\bplc\b|building automation|bacnet")),
    Rule("switch-descr", "switch", descr=_re(r"\bswitch\b|catalyst|\bc29\d\d|\bc3[68]\d\d|\bc9[23]00|nexus|"
                                            r"procurve|aruba \d{4}|comware|powerconnect|\bex\d{4}\b|"
                                            r"\bsg\d{3}\b|\bgs\d{3}|cloud router switch|edgeswitch")),
    Rule("router-descr", "router", descr=_re(r"\brouter\b|\bisr\d*|\bc(19|29|39|43|44)\d\d|routeros|junos.*\b(mx|srx)|"
                                            r"edgerouter|\basr\d")),
    # Chassis model numbers (ENTITY-MIB) of product lines that are one kind of device only.
    Rule("wireless-model", "wireless_ap", model=_re(r"^air-(ct|cap|ap|lap)\d")),
    Rule("switch-model", "switch", model=_re(r"^(dcs-7\d{2,3}|ws-c\d|c9[235]00|n[3579]k-|ex\d{4}|qfx\d|ucs-fi-)|"
                                             r"\bswitch\b")),
    Rule("router-model", "router", model=_re(r"^(isr\d|asr\d|cisco\d{4}|c8[235]\d\d|mx\d{2,4}\b|ccr\d)")),
    Rule("firewall-model", "firewall", model=_re(r"^(pa-\d|fg-?\d|fortigate|asa\d)")),
    Rule("switch-bridge-only", "switch", mib="bridge", services_none=INTERNET),
    Rule("switch-services", "switch", services_all=DATALINK, services_none=INTERNET),
    Rule("router-services", "router", services_all=INTERNET, services_none=APPLICATIONS),
    # Microsoft's sysObjectID says the role: ...3.1.1 workstation, .2 server, .3 domain controller.
    Rule("windows-server-oid", "server", object_id_prefix="1.3.6.1.4.1.311.1.1.3.1.2"),
    Rule("windows-dc-oid", "server", object_id_prefix="1.3.6.1.4.1.311.1.1.3.1.3"),
    Rule("windows-server", "server", descr=_re(r"windows.*server")),
    Rule("windows", "workstation", descr=_re(r"\bwindows\b")),
    Rule("unix-server", "server", descr=_re(r"^linux\b|freebsd|sunos|\baix\b|vmware esxi|hp-ux")),
    Rule("host-software-enterprise", "server", enterprises=frozenset({311, 8072, 6876, 42, 2, 674, 10876, 19046})),
    Rule("oui-printer", "printer", oui=_re(r"brother|kyocera|lexmark|ricoh|xerox|canon|epson|konica|sharp")),
    Rule("oui-phone", "ip_phone", oui=_re(r"polycom|yealink|avaya|grandstream|snom|mitel")),
    Rule("oui-camera", "iot", oui=_re(r"hikvision|axis communications|dahua|espressif|tuya|sonos|nest labs|ring")),
    Rule("oui-network", "switch", oui=_re(r"cisco|juniper|arista|ubiquiti|mikrotik|netgear|tp-link|d-link|zyxel")),
)


def enterprise_number(sys_object_id: str | None) -> int | None:
    """The IANA private enterprise number a sysObjectID sits under (1.3.6.1.4.1.N...), if any."""
    if not sys_object_id:
        return None
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith(_ENTERPRISE_PREFIX):
        return None
    number = oid[len(_ENTERPRISE_PREFIX):].split(".", 1)[0]
    return int(number) if number.isdigit() else None


def _matches(rule: Rule, facts: DeviceFacts, enterprise: int | None) -> bool:
    if rule.enterprises and enterprise not in rule.enterprises:
        return False
    if rule.object_id_prefix and not (facts.sys_object_id or "").lstrip(".").startswith(rule.object_id_prefix):
        return False
    if rule.descr and not (facts.sys_descr and rule.descr.search(facts.sys_descr)):
        return False
    if rule.model and not (facts.model and rule.model.search(facts.model)):
        return False
    if rule.mib and not {"printer": facts.has_printer_mib, "ups": facts.has_ups_mib, "bridge": facts.has_bridge_mib}[rule.mib]:
        return False
    if rule.services_all or rule.services_none:
        if facts.sys_services is None:
            return False
        if facts.sys_services & rule.services_all != rule.services_all or facts.sys_services & rule.services_none:
            return False
    if rule.oui and not (facts.oui_vendor and rule.oui.search(facts.oui_vendor)):
        return False
    return True


def classify(facts: DeviceFacts, rules: tuple[Rule, ...] = RULES) -> Classification:
    """The first rule all of whose conditions hold; the vendor from the enterprise number, else the
    chassis manufacturer, else the OUI (Net-SNMP names the agent software, not the maker)."""
    enterprise = enterprise_number(facts.sys_object_id)
    vendor = ENTERPRISES.get(enterprise) if enterprise is not None else None
    if vendor in (None, "Net-SNMP"):
        vendor = facts.manufacturer or facts.oui_vendor or vendor
    for rule in rules:
        if _matches(rule, facts, enterprise):
            return Classification(rule.device_type, vendor, rule.name)
    return Classification("unknown", vendor, "no rule matched")
