"""HOST-RESOURCES-MIB (RFC 2790): what a host says it has — devices, storage areas, installed software.

Servers, NAS boxes and many printers implement it. hrDeviceType and hrStorageType are
OIDs under registration subtrees; the last arc names the kind. Lists are bounded like
the schema's (a host may list thousands of packages).
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.discovery.mibs.rows import Row, index_arcs, table, text

__all__ = ["DEVICE_ROOTS", "MAX_HOST_DEVICES", "MAX_SOFTWARE", "MAX_STORAGE", "SOFTWARE_ROOTS", "STORAGE_ROOTS",
           "parse_host_devices", "parse_software", "parse_storage"]

HR_DEVICE_ENTRY = "1.3.6.1.2.1.25.3.2.1"
HR_STORAGE_ENTRY = "1.3.6.1.2.1.25.2.3.1"
HR_SW_INSTALLED_ENTRY = "1.3.6.1.2.1.25.6.3.1"
HR_DEVICE_TYPES = "1.3.6.1.2.1.25.3.1."
HR_STORAGE_TYPES = "1.3.6.1.2.1.25.2.1."
# Probe column first (hrDeviceType, hrStorageType, hrSWInstalledName).
DEVICE_ROOTS = (f"{HR_DEVICE_ENTRY}.2", f"{HR_DEVICE_ENTRY}.3")
STORAGE_ROOTS = (f"{HR_STORAGE_ENTRY}.2", f"{HR_STORAGE_ENTRY}.3", f"{HR_STORAGE_ENTRY}.4", f"{HR_STORAGE_ENTRY}.5")
SOFTWARE_ROOTS = (f"{HR_SW_INSTALLED_ENTRY}.2",)
# Bounds of common.schema.DiscoveredDevice.
MAX_HOST_DEVICES, MAX_STORAGE, MAX_SOFTWARE = 1024, 1024, 10_000

DEVICE_TYPES = {1: "other", 2: "unknown", 3: "processor", 4: "network", 5: "printer", 6: "disk_storage",
                10: "video", 11: "audio", 12: "coprocessor", 13: "keyboard", 14: "modem", 15: "parallel_port",
                16: "pointing", 17: "serial_port", 18: "tape", 19: "clock", 20: "volatile_memory",
                21: "non_volatile_memory"}
STORAGE_TYPES = {1: "other", 2: "ram", 3: "virtual_memory", 4: "fixed_disk", 5: "removable_disk", 6: "floppy_disk",
                 7: "compact_disc", 8: "ram_disk", 9: "flash_memory", 10: "network_disk"}


def _kind(value: object, registry: str, names: dict[int, str]) -> str | None:
    """The name of a registered type OID; a vendor's own type OID stays unnamed."""
    if not isinstance(value, str) or not value.startswith(registry):
        return None
    last = value[len(registry):]
    return names.get(int(last)) if last.isdigit() else None


def _ordered(entries: dict[str, dict[int, object]]) -> list[dict[int, object]]:
    return [entries[index] for index in sorted(entries, key=index_arcs)]


def parse_host_devices(rows: Iterable[Row]) -> list[dict]:
    """hrDeviceTable: ``{"type", "descr"}`` per device, in index order."""
    devices = []
    for entry in _ordered(table(rows, HR_DEVICE_ENTRY))[:MAX_HOST_DEVICES]:
        device = {"type": _kind(entry.get(2), HR_DEVICE_TYPES, DEVICE_TYPES), "descr": text(entry.get(3))}
        if any(device.values()):
            devices.append({key: value for key, value in device.items() if value})
    return devices


def parse_storage(rows: Iterable[Row]) -> list[dict]:
    """hrStorageTable: ``{"descr", "type", "size_bytes"}`` per area (size = hrStorageSize x allocation units)."""
    areas = []
    for entry in _ordered(table(rows, HR_STORAGE_ENTRY)):
        descr = text(entry.get(3))
        if descr is None:
            continue
        units, size = entry.get(4), entry.get(5)
        known = isinstance(units, int) and isinstance(size, int) and units > 0 and size >= 0
        size_bytes = units * size if known else None
        area = {"descr": descr, "type": _kind(entry.get(2), HR_STORAGE_TYPES, STORAGE_TYPES), "size_bytes": size_bytes}
        areas.append({key: value for key, value in area.items() if value is not None})
        if len(areas) == MAX_STORAGE:
            break
    return areas


def parse_software(rows: Iterable[Row]) -> list[str]:
    """hrSWInstalledName of every installed package, in index order, without repeats."""
    names: dict[str, None] = {}
    for entry in _ordered(table(rows, HR_SW_INSTALLED_ENTRY)):
        name = text(entry.get(2))
        if name:
            names[name] = None
            if len(names) == MAX_SOFTWARE:
                break
    return list(names)
