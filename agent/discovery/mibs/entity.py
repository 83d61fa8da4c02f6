"""ENTITY-MIB (RFC 6933) entPhysicalTable: the serial number, model and maker of the box itself.

A chassis switch lists hundreds of entities (slots, modules, fans, sensors, ports), each
with its own serial. The device's identity is the chassis: entPhysicalClass chassis(3),
lowest index when a stack lists several. Devices that name no chassis get the top of the
containment tree (entPhysicalContainedIn 0), and failing that the lowest-indexed entity
that has a serial at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, table, text
from common.identity import normalize_serial

__all__ = ["CHASSIS", "CHOICE_ROOTS", "DETAIL_ROOTS", "ENT_PHYSICAL_ENTRY", "ROOTS", "SERIAL_ROOTS", "chassis_index",
           "detail_oids", "parse_entity"]

ENT_PHYSICAL_ENTRY = "1.3.6.1.2.1.47.1.1.1.1"
CONTAINED_IN, CLASS, FIRMWARE_REV, SOFTWARE_REV, SERIAL, MFG_NAME, MODEL_NAME = 4, 5, 9, 10, 11, 12, 13
CHASSIS, MODULE = 3, 9  # PhysicalClass chassis(3), module(9)
# entPhysicalClass first: a device without it has no entity table and the other columns are skipped.
ROOTS = tuple(f"{ENT_PHYSICAL_ENTRY}.{column}" for column in (CLASS, CONTAINED_IN, FIRMWARE_REV, SOFTWARE_REV,
                                                                 SERIAL, MFG_NAME, MODEL_NAME))


# What picks the chassis (walked for every entity), and what is read of the chassis alone.
CHOICE_ROOTS, DETAIL_ROOTS = ROOTS[:2], ROOTS[2:]
# Walked only when the chassis has no serial: which other chassis or module carries one.
SERIAL_ROOTS = (f"{ENT_PHYSICAL_ENTRY}.{CLASS}", f"{ENT_PHYSICAL_ENTRY}.{SERIAL}")


def detail_oids(index: str) -> list[str]:
    """The OIDs of one entity's revisions, serial, maker and model (asked by GET)."""
    return [f"{root}.{index}" for root in DETAIL_ROOTS]


def chassis_index(rows: Iterable[Row]) -> str | None:
    """The index of the chassis entity by class or containment alone (None: only a serial can tell)."""
    entities = table(rows, ENT_PHYSICAL_ENTRY)
    ordered = sorted(entities, key=_index)
    for wanted in (lambda e: e.get(CLASS) == CHASSIS, lambda e: e.get(CONTAINED_IN) == 0):
        chosen = next((index for index in ordered if wanted(entities[index])), None)
        if chosen is not None:
            return chosen
    return None


def _index(index: str) -> int:
    return int(index) if index.isdigit() else 2**63


def _chassis(entities: dict[str, dict[int, object]]) -> dict[int, object] | None:
    ordered = sorted(entities, key=_index)
    for wanted in (lambda e: e.get(CLASS) == CHASSIS, lambda e: e.get(CONTAINED_IN) == 0,
                   lambda e: normalize_serial(text(e.get(SERIAL)))):
        chosen = next((entities[index] for index in ordered if wanted(entities[index])), None)
        if chosen is not None:
            return chosen
    return None


def _first_serial(entities: dict[str, dict[int, object]]) -> str | None:
    """A blank chassis's fallback: the first chassis, else the first module, with a usable serial
    (stack members and supervisor modules carry the serial the chassis row leaves blank)."""
    for wanted in (CHASSIS, MODULE):
        for index in sorted(entities, key=_index):
            serial = normalize_serial(text(entities[index].get(SERIAL))) if entities[index].get(CLASS) == wanted else None
            if serial:
                return serial
    return None


def parse_entity(rows: Iterable[Row]) -> dict:
    """``serial``, ``model``, ``manufacturer`` and ``firmware`` of the chassis entity (keys only when known).

    firmware is the software the box runs (entPhysicalSoftwareRev), else its firmware
    revision: for switches and routers that is the OS version people upgrade."""
    entities = table(rows, ENT_PHYSICAL_ENTRY)
    chassis = _chassis(entities)
    if chassis is None:
        return {}
    found = {
        "serial": normalize_serial(text(chassis.get(SERIAL))) or _first_serial(entities),
        "model": text(chassis.get(MODEL_NAME)),
        "manufacturer": text(chassis.get(MFG_NAME)),
        "firmware": text(chassis.get(SOFTWARE_REV)) or text(chassis.get(FIRMWARE_REV)),
    }
    return {key: value for key, value in found.items() if value}
