"""Memory modules from the SMBIOS "Memory Device" (Type 17) structures Linux exposes in sysfs.

The kernel's dmi-sysfs driver publishes each SMBIOS structure as
``/sys/firmware/dmi/entries/<type>-<instance>/raw``: the formatted area (``length`` bytes,
starting with type, length and handle) followed by the string-set, each string
NUL-terminated and the set ended by one more NUL. Fields in the formatted area name a string
by its 1-based number, 0 meaning none. Offsets and encodings follow DMTF DSP0134 (SMBIOS
3.x), 7.18 "Memory Device (Type 17)"; the structure grew with each version (0x15 bytes in
2.1, 0x1B in 2.3, 0x22 in 2.7, 0x54 in 3.2, 0x5C in 3.3), so a field is read only when the
structure's length covers it. The ``raw`` files are root-only (mode 0400): an unprivileged
agent, or a VM without SMBIOS, reports memory without modules.
"""

from __future__ import annotations

import os
import re
import struct

from agent.probes.base import Fragment
from common.identity import normalize_serial

__all__ = ["ENTRIES", "MEMORY_DEVICE", "MEMORY_TYPES", "parse_memory_device", "read_memory_modules"]

ENTRIES = "/sys/firmware/dmi/entries"
MEMORY_DEVICE = 17

_MAX_NAME = 255  # common.schema.Name
_SIZE_UNKNOWN = 0xFFFF
_SIZE_EXTENDED = 0x7FFF  # 32 GiB - 1 MiB or more: the size is in Extended Size (0x1C)
_SIZE_IN_KB = 0x8000  # granularity bit: set = KiB, clear = MiB
_SPEED_EXTENDED = 0xFFFF  # 65535 MT/s or more: the speed is in Extended Speed (0x54)
# DSP0134 7.18.2 "Memory Device — Type"; 0x01 Other, 0x02 Unknown and reserved codes give None.
MEMORY_TYPES = {
    0x03: "DRAM", 0x04: "EDRAM", 0x05: "VRAM", 0x06: "SRAM", 0x07: "RAM", 0x08: "ROM", 0x09: "Flash",
    0x0A: "EEPROM", 0x0B: "FEPROM", 0x0C: "EPROM", 0x0D: "CDRAM", 0x0E: "3DRAM", 0x0F: "SDRAM",
    0x10: "SGRAM", 0x11: "RDRAM", 0x12: "DDR", 0x13: "DDR2", 0x14: "DDR2 FB-DIMM", 0x18: "DDR3",
    0x19: "FBD2", 0x1A: "DDR4", 0x1B: "LPDDR", 0x1C: "LPDDR2", 0x1D: "LPDDR3", 0x1E: "LPDDR4",
    0x1F: "Logical non-volatile device", 0x20: "HBM", 0x21: "HBM2", 0x22: "DDR5", 0x23: "LPDDR5",
    0x24: "HBM3",
}
# What firmware writes in the string fields of empty or unprogrammed slots (dmidecode output
# seen in the field): "NO DIMM", "Undefined", "[Empty]", and numbered templates such as
# "Manufacturer0", "SerNum01", "PartNum3", "Array1_PartNumber0", "ModulePartNumber00".
_PLACEHOLDERS = frozenset({
    "no dimm", "undefined", "[empty]", "empty", "unknown", "not specified", "not available", "none",
    "n/a", "na", "default string", "to be filled by o.e.m.", "module manufacturer", "dimm manufacturer",
    "module part number", "dimm part number", "part number", "manufacturer", "serial number",
})
_NUMBERED_PLACEHOLDER = re.compile(
    r"^(?:array\d+_)?(?:dimm_?|module_?)?(?:manufacturer|sernum|serial ?num(?:ber)?|partnum|part ?num(?:ber)?)\d*$"
)
_REPEATED_CHAR = re.compile(r"^(.)\1*$")  # "0000000000000000", "FFFF"
_WHITESPACE = re.compile(r"\s+")
_ENTRY = re.compile(rf"^{MEMORY_DEVICE}-(\d+)$")


def read_memory_modules(root: str = ENTRIES) -> list[Fragment]:
    """Every installed memory module, in SMBIOS instance order, or [] when SMBIOS is unreadable.

    All or nothing: the ``raw`` files share one mode, so one unreadable entry means the agent
    lacks privilege, and a partial list would read as missing modules.
    """
    try:
        entries = sorted((int(m.group(1)), m.group(0)) for m in map(_ENTRY.match, os.listdir(root)) if m)
    except OSError:  # no SMBIOS (VMs, many ARM boards) or no sysfs
        return []
    modules = []
    for _, entry in entries:
        path = os.path.join(root, entry, "raw")
        try:
            with open(path, "rb") as raw:
                data = raw.read()
        except OSError:  # PermissionError for an unprivileged agent
            return []
        try:
            module = parse_memory_device(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if module is not None:
            modules.append(module)
    return modules


def parse_memory_device(raw: bytes) -> Fragment | None:
    """One memory module from a Type 17 structure, or None for an empty slot (Size 0)."""
    length, strings = _structure(raw)
    if length < 0x15:
        raise ValueError(f"memory device structure is {length:#04x} bytes, shorter than SMBIOS 2.1's 0x15")
    size = _word(raw, 0x0C)
    if size == 0:
        return None  # "No Memory Device installed in the socket"
    module = {
        "slot": _string(raw, strings, 0x10, length),
        "size_bytes": _size_bytes(raw, length, size),
        "type": MEMORY_TYPES.get(raw[0x12]),
        "speed_mhz": _speed(raw, length),
        "manufacturer": _label(_string(raw, strings, 0x17, length)),
        "serial": _label(normalize_serial(_string(raw, strings, 0x18, length))),
        "part_number": _label(_string(raw, strings, 0x1A, length)),
    }
    return {k: v for k, v in module.items() if v is not None}


def _structure(raw: bytes) -> tuple[int, list[bytes]]:
    """Check the header and split off the string-set (DSP0134 6.1.3 "Text strings")."""
    if len(raw) < 2:
        raise ValueError(f"SMBIOS structure is {len(raw)} bytes, too short for a header")
    if raw[0] != MEMORY_DEVICE:
        raise ValueError(f"SMBIOS structure type is {raw[0]}, not {MEMORY_DEVICE} (Memory Device)")
    length = raw[1]
    if length > len(raw):
        raise ValueError(f"SMBIOS structure length {length:#04x} exceeds the {len(raw)} bytes read")
    end = raw.find(b"\x00\x00", length)
    if end < 0:
        raise ValueError(f"SMBIOS string-set after offset {length:#04x} is not terminated by a double NUL")
    # An empty set is the double NUL alone; otherwise the set's last string supplies the first NUL.
    return length, raw[length:end].split(b"\x00") if end > length else []


def _word(raw: bytes, offset: int) -> int:
    return struct.unpack_from("<H", raw, offset)[0]


def _dword(raw: bytes, offset: int) -> int:
    return struct.unpack_from("<I", raw, offset)[0]


def _size_bytes(raw: bytes, length: int, size: int) -> int | None:
    if size == _SIZE_UNKNOWN:
        return None
    if size == _SIZE_EXTENDED and length >= 0x20:  # before 2.7, 0x7FFF simply meant 32767 MiB
        return (_dword(raw, 0x1C) & 0x7FFFFFFF) * 1024 * 1024 or None  # bit 31 reserved
    unit = 1024 if size & _SIZE_IN_KB else 1024 * 1024
    return (size & 0x7FFF) * unit


def _speed(raw: bytes, length: int) -> int | None:
    """Speed in MT/s (MHz before SMBIOS 3.1); 0 means unknown."""
    if length < 0x17:
        return None
    speed = _word(raw, 0x15)
    if speed == _SPEED_EXTENDED:
        speed = _dword(raw, 0x54) & 0x7FFFFFFF if length >= 0x58 else 0  # bit 31 reserved
    return speed or None


def _string(raw: bytes, strings: list[bytes], offset: int, length: int) -> str | None:
    """The string a field names by number, stripped; None for string 0 or a field past the length."""
    if offset >= length:
        return None
    number = raw[offset]
    if number == 0:
        return None
    if number > len(strings):
        raise ValueError(f"field at offset {offset:#04x} names string {number}, but the set holds {len(strings)}")
    text = _WHITESPACE.sub(" ", strings[number - 1].decode("utf-8", "replace")).strip()
    return text[:_MAX_NAME] or None


def _label(value: str | None) -> str | None:
    """Drop what firmware writes in empty or unprogrammed slots (see _PLACEHOLDERS)."""
    if value is None:
        return None
    folded = value.casefold()
    if folded in _PLACEHOLDERS or _NUMBERED_PLACEHOLDER.match(folded) or _REPEATED_CHAR.match(folded):
        return None
    return value
