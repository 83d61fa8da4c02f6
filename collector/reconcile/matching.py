"""Identification: which CI an observed subject is, by ordered rules over indexed identifiers.

Weak identity keys are what make other tools merge or duplicate machines, so identifiers
that the fleet itself shows to be unreliable are removed before any rule runs: a UUID or
serial reported by several distinct machines (cloned VMs, re-used boards), and MACs seen on
many machines (docking stations, USB NICs). Junk values never reach here (common.identity
turns them into None at ingest and import).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from collector.reconcile.records import CiRecord, Subject, serial_key, vendor_key
from collector.reconcile.rules import ReconcileRules

__all__ = ["CiIndex", "FleetFacts", "Identification", "identify"]

RULE_NUMBER = {"vendor_serial": 1, "smbios_uuid": 2, "mac_overlap": 3, "hostname": 4}
_STRONG = ("vendor_serial", "smbios_uuid", "mac_overlap")


class CiIndex:
    """CIs by each identifier the rules look up."""

    def __init__(self, cis: list[CiRecord]) -> None:
        self.by_id = {ci.id: ci for ci in cis}
        self.serial: dict[str, list[CiRecord]] = defaultdict(list)
        self.uuid: dict[str, list[CiRecord]] = defaultdict(list)
        self.mac: dict[str, list[CiRecord]] = defaultdict(list)
        self.hostname: dict[str, list[CiRecord]] = defaultdict(list)
        for ci in sorted(cis, key=lambda c: c.id):
            if ci.serial:
                self.serial[serial_key(ci.serial)].append(ci)
            if ci.uuid:
                self.uuid[ci.uuid].append(ci)
            for mac in ci.macs:
                self.mac[mac].append(ci)
            for name in {ci.hostname, ci.fqdn} - {None}:
                self.hostname[name].append(ci)


@dataclass
class FleetFacts:
    """What the observations as a whole say about identifiers: which are shared or cloned."""

    shared_macs: frozenset[str]
    cloned_uuids: dict[str, list[Subject]] = field(default_factory=dict)
    cloned_serials: dict[str, list[Subject]] = field(default_factory=dict)

    @classmethod
    def of(cls, subjects: list[Subject], rules: ReconcileRules) -> "FleetFacts":
        machines_per_mac: dict[str, set] = defaultdict(set)
        by_uuid: dict[str, list[Subject]] = defaultdict(list)
        by_serial: dict[str, list[Subject]] = defaultdict(list)
        for subject in subjects:
            for mac in subject.macs:
                machines_per_mac[mac].add(subject.key)
            if subject.uuid:
                by_uuid[subject.uuid].append(subject)
            if subject.serial:
                by_serial[serial_key(subject.serial)].append(subject)
        shared = {mac for mac, machines in machines_per_mac.items() if len(machines) >= rules.shared_mac_min_hosts}
        shared |= rules.known_shared_macs
        facts = cls(frozenset(shared))
        for uuid, group in by_uuid.items():
            if len(group) > 1 and _distinct_machines(group, facts.shared_macs, same=lambda a, b: _same_serial(a, b)):
                facts.cloned_uuids[uuid] = sorted(group, key=lambda s: s.key)
        for serial, group in by_serial.items():
            if len(group) > 1 and _distinct_machines(group, facts.shared_macs, same=lambda a, b: a.uuid == b.uuid):
                facts.cloned_serials[serial] = sorted(group, key=lambda s: s.key)
        return facts


def _same_serial(a: Subject, b: Subject) -> bool:
    return bool(a.serial and b.serial and serial_key(a.serial) == serial_key(b.serial))


def _distinct_machines(group: list[Subject], shared: frozenset[str], same) -> bool:
    """More than one machine in ``group``: subjects are one machine when they share another strong
    identifier (``same``) or an unshared MAC; a reinstalled agent on the same box is not a clone.
    Subjects that say too little to tell (no other identifier) are not counted as distinct."""
    clusters: list[list[Subject]] = []
    for subject in group:
        if not subject.macs - shared and not (subject.serial or subject.uuid):
            continue
        for cluster in clusters:
            if any(same(subject, other) or (subject.macs & other.macs) - shared for other in cluster):
                cluster.append(subject)
                break
        else:
            clusters.append([subject])
    if sum(1 for cluster in clusters if any(s.macs - shared or s.serial for s in cluster)) > 1:
        return True
    bare = [s for s in group if not s.macs - shared and not s.serial]
    return any(_side_by_side(a, b) for a in bare for b in group if b is not a)


def _side_by_side(a: Subject, b: Subject) -> bool:
    """Two machines with no physical MAC or serial to compare (a cloned VM: placeholder serial,
    hypervisor MACs only): distinct agents whose reporting periods overlap (a reinstalled agent
    starts after the old one stopped) and whose host names or hardware facts differ (a dual-boot
    machine's two agents share the hardware)."""
    if not (a.agent and b.agent and a.agent != b.agent and a.first_seen_at and b.first_seen_at):
        return False
    if a.first_seen_at > b.last_seen_at or b.first_seen_at > a.last_seen_at:
        return False
    names = a.hostname and b.hostname and a.hostname != b.hostname
    hardware = a.hardware and b.hardware and a.hardware != b.hardware
    return bool(names or hardware)


@dataclass(frozen=True)
class Identification:
    outcome: str  # "matched", "unmanaged" or "duplicate"
    ci: CiRecord | None
    rule: str | None
    explanation: str
    duplicates: tuple[CiRecord, ...] = ()  # several CIs claim the deciding identifier
    conflicts: tuple[tuple[str, CiRecord], ...] = ()  # another strong rule points at another CI


def _vendors_agree(a: str | None, b: str | None) -> bool:
    ka, kb = vendor_key(a), vendor_key(b)
    return ka is None or kb is None or ka == kb


def _candidates(rule: str, subject: Subject, index: CiIndex, facts: FleetFacts) -> tuple[list[CiRecord], str]:
    if rule == "vendor_serial":
        key = serial_key(subject.serial)
        if not key or key in facts.cloned_serials:
            return [], ""
        found = [ci for ci in index.serial.get(key, ()) if _vendors_agree(subject.vendor, ci.vendor)]
        vendor = f" (vendor {subject.vendor})" if subject.vendor else ""
        return found, f"serial {subject.serial}{vendor}"
    if rule == "smbios_uuid":
        if not subject.uuid or subject.uuid in facts.cloned_uuids:
            return [], ""
        return list(index.uuid.get(subject.uuid, ())), f"SMBIOS UUID {subject.uuid}"
    if rule == "mac_overlap":
        usable = sorted(subject.macs - facts.shared_macs)
        found: dict[int, CiRecord] = {}
        hits: list[str] = []
        for mac in usable:
            for ci in index.mac.get(mac, ()):
                found.setdefault(ci.id, ci)
                hits.append(mac)
        return sorted(found.values(), key=lambda c: c.id), "MAC " + ", ".join(sorted(set(hits)))
    names = [name for name in (subject.fqdn, subject.hostname) if name]
    for name in names:
        found = [ci for ci in index.hostname.get(name, ()) if not _strongly_different(subject, ci)]
        if found:
            return found, f"host name {name}"
    return [], ""


def _strongly_different(subject: Subject, ci: CiRecord) -> bool:
    """Both sides carry a serial or a UUID and they differ: two machines that share a name stay two."""
    if subject.serial and ci.serial and serial_key(subject.serial) != serial_key(ci.serial):
        return True
    return bool(subject.uuid and ci.uuid and subject.uuid != ci.uuid)


def identify(subject: Subject, index: CiIndex, facts: FleetFacts, rules: ReconcileRules) -> Identification:
    """The first rule (in the configured order) that finds any CI decides; several CIs for it is a
    duplicate, and a strong rule pointing elsewhere is a conflict."""
    for rule in rules.order:
        found, what = _candidates(rule, subject, index, facts)
        if not found:
            continue
        number = RULE_NUMBER[rule]
        cited = f"rule {number} ({rule}), {what}, from {subject.evidence}"
        if len(found) > 1:
            labels = ", ".join(ci.label for ci in found)
            return Identification("duplicate", None, rule, f"{labels} all match by {cited}", tuple(found))
        ci = found[0]
        conflicts = []
        for other in _STRONG:
            if other == rule or other not in rules.order:
                continue
            elsewhere, other_what = _candidates(other, subject, index, facts)
            if elsewhere and ci not in elsewhere:
                conflicts.extend((f"rule {RULE_NUMBER[other]} ({other}), {other_what}", c) for c in elsewhere)
        return Identification("matched", ci, rule, f"{ci.label} by {cited}", conflicts=tuple(conflicts))
    hint = ""
    if subject.ip:
        hint = f"; IP {subject.ip} is only a hint and never identifies"
    return Identification("unmanaged", None, None, f"no rule found a CI for {subject.evidence}{hint}")
