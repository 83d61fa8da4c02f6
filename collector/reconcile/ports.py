"""A location observed from the network: the switch port a subject was last seen on.

A switch's forwarding table places a MAC on a port (collector/ingest/locations.py); the
switch's own CI says where the switch is. Together they are where the machine is — the
switch CI's location plus the port, as Netdisco shows a node's location — a source of the
``location`` attribute ("switchport" in the precedence rules) that the register can drift
from: a laptop registered on the 3rd floor, seen on a 2nd-floor access switch.
"""

from __future__ import annotations

from dataclasses import replace

from collector.reconcile.records import CiRecord, Subject

__all__ = ["SOURCE", "located", "port_location", "switch_ids"]

SOURCE = "switchport"
_PORT = ", port "


def switch_ids(subjects: list[Subject]) -> set[int]:
    """The devices (switches) whose forwarding tables placed these subjects."""
    return {s.port[0] for s in subjects if s.port}


def port_location(switch: CiRecord, port: str) -> str | None:
    """``"HQ 2nd floor, port Gi1/0/5 of sw-2f"``; None when the switch CI says nowhere."""
    if not switch.location:
        return None
    return f"{switch.location}{_PORT}{port} of {switch.hostname or switch.name or switch.label}"


def same_place(register: str, observed: str) -> bool:
    """The register names the switch's location: the port is a detail, not a difference."""
    return observed == register or observed.startswith(register + _PORT)


def located(subjects: list[Subject], switch_cis: dict[int, CiRecord]) -> list[Subject]:
    """``subjects`` with the switch-port location filled in where the switch's CI is known."""
    result = []
    for subject in subjects:
        switch = switch_cis.get(subject.port[0]) if subject.port else None
        where = port_location(switch, subject.port[1]) if switch is not None else None
        result.append(replace(subject, location=where, location_source=SOURCE) if where else subject)
    return result
