"""Batteries: identity and wear, from the kernel's power-supply class.

Each supply is a directory of ``/sys/class/power_supply`` with one file per property
(Documentation/ABI/testing/sysfs-class-power). Only ``type`` = ``Battery`` with
``scope`` other than ``Device`` is a system battery: ``Device`` marks the batteries of
peripherals (wireless mice, keyboards, headsets) that report through HID. A drive bay with
no battery in it says ``present`` = 0.

Capacities are in µWh (``energy_*``), or in µAh (``charge_*``) for gauges that only count
charge; then energy is charge × ``voltage_min_design`` (µV), the nominal voltage. Design
against full capacity is the battery's wear.
"""

from __future__ import annotations

import os
import sys

from agent.probes.base import Fragment
from common.identity import normalize_serial

__all__ = ["BatteryProbe", "POWER_SUPPLY", "read_battery"]

POWER_SUPPLY = "/sys/class/power_supply"
_MAX_WH = 100_000  # common.schema.Battery bound; larger is a firmware fault


class BatteryProbe:
    name = "battery"

    def __init__(self, root: str | os.PathLike[str] = POWER_SUPPLY) -> None:
        self.root = os.fspath(root)

    def supported(self) -> bool:
        return sys.platform.startswith("linux") and os.path.isdir(self.root)

    def collect(self) -> Fragment:
        batteries = [read_battery(os.path.join(self.root, name)) for name in sorted(os.listdir(self.root))]
        return {"batteries": [battery for battery in batteries if battery is not None]}


def read_battery(supply: str | os.PathLike[str]) -> Fragment | None:
    """A ``common.schema.Battery`` dict for one power-supply directory, None if not a system battery."""
    supply = os.fspath(supply)
    if _read(supply, "type") != "Battery" or _read(supply, "scope") == "Device" or _read(supply, "present") == "0":
        return None
    technology = _read(supply, "technology")
    battery = {
        "name": os.path.basename(os.path.normpath(supply)),
        "manufacturer": _read(supply, "manufacturer"),
        "model": _read(supply, "model_name"),
        "serial": normalize_serial(_read(supply, "serial_number")),
        "technology": None if technology == "Unknown" else technology,
        "design_capacity_wh": _energy_wh(supply, "full_design"),
        "full_capacity_wh": _energy_wh(supply, "full"),
        "cycle_count": _number(supply, "cycle_count"),
    }
    return {k: v for k, v in battery.items() if v is not None}


def _energy_wh(supply: str, which: str) -> float | None:
    energy = _number(supply, f"energy_{which}")  # µWh
    if energy is None:
        charge, voltage = _number(supply, f"charge_{which}"), _number(supply, "voltage_min_design")  # µAh, µV
        energy = charge * voltage / 1e6 if charge and voltage else None
    if not energy:
        return None
    watt_hours = round(energy / 1e6, 2)
    return watt_hours if watt_hours <= _MAX_WH else None


def _number(supply: str, name: str) -> int | None:
    text = _read(supply, name)
    return int(text) if text and text.isdigit() else None


def _read(supply: str, name: str) -> str | None:
    try:
        with open(os.path.join(supply, name), errors="replace") as handle:
            value = handle.read().strip()
    except OSError:  # absent, or ENODATA/ENODEV from a driver that cannot tell now
        return None
    return value.replace("\x00", "") or None
