"""Device classification: what a discovered device is and who made it, from what it says about itself.

Evidence, strongest first: the vendor-MIB probes a device answered (agent.discovery.ruleset),
the sysObjectID (an IANA private enterprise number, often with a product subtree), markers in
sysDescr, the standard MIBs it answers (Printer-MIB RFC 3805, UPS-MIB RFC 1628, BRIDGE-MIB),
the chassis model and maker (ENTITY-MIB), sysServices (RFC 3418 layer bits), and last, only for
devices SNMP did not answer, the OUI vendor of its MAC. The rules are data
(agent/discovery/rules/*.toml); the first whose conditions all hold wins, and its id is the "why".

The maker: the rule's own vendor when it names one (a UniFi radio whose sysObjectID is net-snmp's),
else the enterprise number's organisation (the IANA registry; never agent software such as
net-snmp), else the ENTITY-MIB chassis maker, else the OUI.
"""

from __future__ import annotations

from typing import NamedTuple

from agent.discovery.enterprises import maker
from agent.discovery.ruleset import Probe, Rule, RuleSet, default_ruleset
from common.device_types import DEVICE_TYPES

__all__ = ["DEVICE_TYPES", "Classification", "DeviceFacts", "classify", "enterprise_number", "probes_for"]

_ENTERPRISE_PREFIX = "1.3.6.1.4.1."


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
    probes: frozenset[str] = frozenset()  # ids of the vendor-MIB probes the device answered


class Classification(NamedTuple):
    device_type: str
    vendor: str | None
    rule: str  # the id of the rule that decided, for the "why" in reports
    model: str | None = None  # a model hint from sysDescr when the rule's marker names one


def enterprise_number(sys_object_id: str | None) -> int | None:
    """The IANA private enterprise number a sysObjectID sits under (1.3.6.1.4.1.N...), if any."""
    if not sys_object_id:
        return None
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith(_ENTERPRISE_PREFIX):
        return None
    number = oid[len(_ENTERPRISE_PREFIX):].split(".", 1)[0]
    return int(number) if number.isdigit() else None


def probes_for(sys_object_id: str | None, sys_descr: str | None, ruleset: RuleSet | None = None) -> tuple[Probe, ...]:
    """The vendor-MIB probes worth one GETNEXT for a device with this system group."""
    ruleset = ruleset or default_ruleset()
    enterprise, descr = enterprise_number(sys_object_id), sys_descr or ""
    return tuple(probe for probe in ruleset.probes
                 if (not probe.enterprise or enterprise in probe.enterprise)
                 and (probe.descr is None or probe.descr.search(descr))
                 and (probe.not_descr is None or not probe.not_descr.search(descr)))


def _answered(facts: DeviceFacts) -> bool:
    return bool(facts.sys_object_id or facts.sys_descr or facts.sys_services is not None)


def _matches(rule: Rule, facts: DeviceFacts, enterprise: int | None, oid: str):
    """False, or the sysDescr match (True when the rule has no descr condition)."""
    mibs = {"printer": facts.has_printer_mib, "ups": facts.has_ups_mib, "bridge": facts.has_bridge_mib}
    checks = (
        not rule.enterprise or enterprise in rule.enterprise,
        not rule.oid or oid.startswith(rule.oid),
        not rule.probe or bool(rule.probe & facts.probes),
        rule.mib is None or mibs[rule.mib],
        not rule.model or bool(facts.model and rule.model.search(facts.model)),
        not rule.manufacturer or bool(facts.manufacturer and rule.manufacturer.search(facts.manufacturer)),
        not rule.not_descr or not (facts.sys_descr and rule.not_descr.search(facts.sys_descr)),
        not (rule.services_all or rule.services_none) or _services(rule, facts.sys_services),
        # The OUI names who made the network card, not what the box is: only for silent devices.
        not rule.oui or bool(not _answered(facts) and facts.oui_vendor and rule.oui.search(facts.oui_vendor)),
    )
    if not all(checks):
        return False
    if rule.descr is None:
        return True
    return (facts.sys_descr and rule.descr.search(facts.sys_descr)) or False


def _services(rule: Rule, services: int | None) -> bool:
    if services is None:
        return False
    return services & rule.services_all == rule.services_all and not services & rule.services_none


def _model_hint(match) -> str | None:
    if match is True or "model" not in match.re.groupindex:
        return None
    return (match.group("model") or "").strip(" ,;:") or None


def classify(facts: DeviceFacts, ruleset: RuleSet | None = None) -> Classification:
    """The first rule all of whose conditions hold (``unknown`` when none does), with the maker."""
    ruleset = ruleset or default_ruleset()
    enterprise = enterprise_number(facts.sys_object_id)
    oid = (facts.sys_object_id or "").strip().lstrip(".") + "."
    vendor = maker(enterprise, facts.manufacturer) or facts.oui_vendor
    for rule in ruleset.rules:
        match = _matches(rule, facts, enterprise, oid)
        if match:
            return Classification(rule.device_type, rule.vendor or vendor, rule.id, _model_hint(match))
    return Classification("unknown", vendor, "no rule matched")
