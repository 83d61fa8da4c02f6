"""Hardware: SMBIOS identity (``/sys/class/dmi/id``), CPU, memory and disks on Linux.

Most DMI files are world-readable; ``product_serial``, ``product_uuid``, ``board_serial``
and ``chassis_serial`` are root-only (mode 0400), so an unprivileged agent reports no
serial or UUID rather than failing. Disks come from ``lsblk --json``.
"""

from __future__ import annotations

import json
import os
import sys

from agent.probes.base import CommandError, Fragment, run_command
from agent.probes.smbios import ENTRIES as SMBIOS_ENTRIES, read_memory_modules
from common.identity import normalize_serial, normalize_uuid

__all__ = ["HardwareProbe", "parse_cpuinfo", "parse_lsblk"]

DMI = "/sys/class/dmi/id"
# SMBIOS 3.x, 7.4.1 "System Enclosure or Chassis Types".
CHASSIS_TYPES = {
    1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 5: "Pizza Box", 6: "Mini Tower",
    7: "Tower", 8: "Portable", 9: "Laptop", 10: "Notebook", 11: "Hand Held", 12: "Docking Station",
    13: "All in One", 14: "Sub Notebook", 15: "Space-saving", 16: "Lunch Box", 17: "Main Server Chassis",
    18: "Expansion Chassis", 19: "SubChassis", 20: "Bus Expansion Chassis", 21: "Peripheral Chassis",
    22: "RAID Chassis", 23: "Rack Mount Chassis", 24: "Sealed-case PC", 25: "Multi-system chassis",
    26: "Compact PCI", 27: "Advanced TCA", 28: "Blade", 29: "Blade Enclosure", 30: "Tablet",
    31: "Convertible", 32: "Detachable", 33: "IoT Gateway", 34: "Embedded PC", 35: "Mini PC", 36: "Stick PC",
}
# Virtual block devices are not hardware.
_SKIP_DISK_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "nbd", "sr")


class HardwareProbe:
    name = "hardware"

    def __init__(self, dmi_root: str | os.PathLike[str] = DMI, proc_root: str | os.PathLike[str] = "/proc",
                 smbios_entries: str | os.PathLike[str] = SMBIOS_ENTRIES) -> None:
        self.dmi_root = os.fspath(dmi_root)
        self.proc_root = os.fspath(proc_root)
        self.smbios_entries = os.fspath(smbios_entries)

    def supported(self) -> bool:
        return sys.platform.startswith("linux")

    def collect(self) -> Fragment:
        fragment: Fragment = {"host": self._smbios(), "cpu": self._cpu(), "memory": self._memory()}
        try:
            fragment["disks"] = parse_lsblk(run_command(["lsblk", "--json", "--bytes", "--nodeps",
                                                         "--output", "NAME,MODEL,SERIAL,SIZE,ROTA,TRAN,TYPE"]))
        except CommandError as exc:
            fragment.setdefault("probe_errors", []).append({"probe": "hardware.disks", "error": str(exc)})
        try:
            # SMBIOS type 17 entries are root-only: an unprivileged agent reports the total only.
            modules = read_memory_modules(self.smbios_entries)
        except ValueError as exc:  # firmware with a broken structure costs the modules, not the probe
            fragment.setdefault("probe_errors", []).append({"probe": "hardware.memory_modules", "error": str(exc)})
        else:
            if modules:
                fragment["memory"]["modules"] = modules
        return fragment

    def _dmi(self, field: str) -> str | None:
        try:
            with open(os.path.join(self.dmi_root, field), errors="replace") as handle:
                value = handle.read().strip()
        except OSError:  # absent (no SMBIOS, e.g. some VMs and ARM boards) or root-only
            return None
        return value or None

    def _smbios(self) -> Fragment:
        chassis = self._dmi("chassis_type")
        return {
            key: value
            for key, value in {
                "vendor": self._dmi("sys_vendor"),
                "model": self._dmi("product_name"),
                "serial": normalize_serial(self._dmi("product_serial")),
                "smbios_uuid": normalize_uuid(self._dmi("product_uuid")),
                "asset_tag": normalize_serial(self._dmi("chassis_asset_tag")),
                "chassis_type": CHASSIS_TYPES.get(int(chassis)) if chassis and chassis.isdigit() else None,
                "bios_vendor": self._dmi("bios_vendor"),
                "bios_version": self._dmi("bios_version"),
                "bios_date": self._dmi("bios_date"),
            }.items()
            if value is not None
        }

    def _cpu(self) -> Fragment:
        with open(os.path.join(self.proc_root, "cpuinfo"), errors="replace") as handle:
            cpu = parse_cpuinfo(handle.read())
        cpu.setdefault("threads", os.cpu_count())
        return cpu

    def _memory(self) -> Fragment:
        with open(os.path.join(self.proc_root, "meminfo")) as handle:
            meminfo = handle.read()
        for line in meminfo.splitlines():
            if line.startswith("MemTotal:"):
                return {"total_bytes": int(line.split()[1]) * 1024}
        raise ValueError("MemTotal missing from /proc/meminfo")


def parse_cpuinfo(text: str) -> Fragment:
    """Model, sockets, cores and threads from /proc/cpuinfo (x86 and ARM layouts)."""
    model = None
    threads = 0
    cores_per_socket: dict[str, set[str]] = {}
    physical_id = "0"
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "processor":
            threads += 1
        elif key in ("model name", "Model", "cpu model") and model is None:
            model = value
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores_per_socket.setdefault(physical_id, set()).add(value)
    result: Fragment = {"model": model}
    if threads:
        result["threads"] = threads
    if cores_per_socket:
        result["sockets"] = len(cores_per_socket)
        result["cores"] = sum(len(cores) for cores in cores_per_socket.values())
    return {k: v for k, v in result.items() if v is not None}


def parse_lsblk(text: str) -> list[Fragment]:
    devices = json.loads(text).get("blockdevices", [])
    disks = []
    for device in devices:
        name = device.get("name") or ""
        if device.get("type") != "disk" or name.startswith(_SKIP_DISK_PREFIXES) or not device.get("size"):
            continue
        transport = (device.get("tran") or "").lower()
        rotational = device.get("rota") in (True, "1", 1)
        kind = "nvme" if transport == "nvme" or name.startswith("nvme") else ("hdd" if rotational else "ssd")
        if transport == "usb":
            kind = "usb"
        disks.append({
            key: value
            for key, value in {
                "name": name,
                "model": (device.get("model") or "").strip() or None,
                "serial": normalize_serial(device.get("serial")),
                "size_bytes": int(device["size"]),
                "type": kind,
            }.items()
            if value is not None
        })
    return disks
