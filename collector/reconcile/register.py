"""Duplicates the register shows by itself: CIs that claim one machine's identifier.

Observation-time duplicates (a subject matching several CIs) only show up when something
reports; two register rows with one vendor + serial, one SMBIOS UUID or one MAC are a
duplicate whether or not the machine is on the network (a retired laptop entered twice).
The groups come straight from the CI index the rules already built: no extra pass.
"""

from __future__ import annotations

import hashlib

from collector.reconcile.matching import CiIndex, FleetFacts
from collector.reconcile.outcomes import ExceptionSpec, Outcomes
from collector.reconcile.records import CiRecord, vendor_key

__all__ = ["register_duplicates"]

_LABEL = {"serial": "serial", "uuid": "SMBIOS UUID", "mac": "MAC"}


def register_duplicates(index: CiIndex, facts: FleetFacts, outcomes: Outcomes) -> None:
    """Add one ``duplicate`` exception per group of CIs sharing an identifier, unless a subject's
    duplicate already names every CI of the group (that one carries the observation too)."""
    covered = [set(spec.evidence.get("ci_ids", ())) for spec in outcomes.exceptions.values()
               if spec.kind == "duplicate"]
    groups: dict[frozenset[int], tuple[str, str, list[CiRecord]]] = {}
    for identifier, cis in index.serial.items():
        for group in _by_vendor(cis):
            groups.setdefault(frozenset(ci.id for ci in group), ("serial", identifier, group))
    for identifier, cis in index.uuid.items():
        if len(cis) > 1:
            groups.setdefault(frozenset(ci.id for ci in cis), ("uuid", identifier, cis))
    for identifier, cis in index.mac.items():
        if len(cis) > 1 and identifier not in facts.shared_macs:
            groups.setdefault(frozenset(ci.id for ci in cis), ("mac", identifier, cis))
    for ids, (kind, identifier, cis) in sorted(groups.items(), key=lambda item: min(item[0])):
        if any(ids <= seen for seen in covered):
            continue
        labels = ", ".join(ci.label for ci in cis)
        outcomes.add(ExceptionSpec(
            _key(kind, identifier), "duplicate", cis[0].id, None,
            f"{len(cis)} CIs in the register share {_LABEL[kind]} {identifier}: {labels}",
            {"ci_ids": [ci.id for ci in cis], "identifier": identifier, "kind": kind, "found_by": "register"}))
    outcomes.exceptions = dict(sorted(outcomes.exceptions.items()))


def _by_vendor(cis: list[CiRecord]) -> list[list[CiRecord]]:
    """CIs with one serial, split by maker (the serial rule's own test): a CI naming no maker
    joins every group; two makers may use one serial for two machines."""
    if len(cis) < 2:
        return []
    makers = sorted({key for ci in cis if (key := vendor_key(ci.vendor))})
    if not makers:
        return [cis]
    groups = [[ci for ci in cis if vendor_key(ci.vendor) in (maker, None)] for maker in makers]
    return [group for group in groups if len(group) > 1]


def _key(kind: str, identifier: str) -> str:
    key = f"duplicate:register:{kind}:{identifier}"  # open_key is VARCHAR(255); a serial may be as long
    return key if len(key) <= 255 else f"duplicate:register:{kind}:" + hashlib.blake2b(key.encode()).hexdigest()
