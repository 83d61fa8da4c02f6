"""MAC address -> vendor, from the IEEE registries as Debian's ``ieee-data`` ships them.

The registry is read from the installed package, never fetched at run time (scanners sit
in networks without Internet access). Assignments come in three sizes: MA-L (24-bit
prefix), MA-M (28-bit) and MA-S (36-bit, and the older IAB blocks); the longest match
wins, since a small block inside a large one belongs to a different organisation.
Locally administered addresses (randomised phones, VMs, containers) have no vendor.
"""

from __future__ import annotations

import csv
import os
from functools import lru_cache

from common.identity import classify_mac

__all__ = ["IEEE_DATA", "OuiRegistry", "OuiRegistryMissing", "default_registry"]

IEEE_DATA = "/usr/share/ieee-data"
# (file, prefix length in hex digits)
_REGISTRIES = (("oui36.csv", 9), ("iab.csv", 9), ("mam.csv", 7), ("oui.csv", 6))
_PLACEHOLDERS = frozenset({"private", "ieee registration authority"})


class OuiRegistryMissing(RuntimeError):
    """The IEEE registry files are not installed."""


class OuiRegistry:
    def __init__(self, blocks: dict[int, dict[str, str]]) -> None:
        # {prefix length: {upper-case hex prefix: organisation}}
        self._blocks = {length: blocks[length] for length in sorted(blocks, reverse=True)}

    @classmethod
    def load(cls, directory: str = IEEE_DATA) -> "OuiRegistry":
        blocks: dict[int, dict[str, str]] = {}
        found = False
        for name, length in _REGISTRIES:
            path = os.path.join(directory, name)
            try:
                with open(path, newline="", encoding="utf-8", errors="replace") as handle:
                    entries = _parse(handle, length)
            except FileNotFoundError:
                continue
            found = True
            blocks.setdefault(length, {}).update(entries)
        if not found:
            raise OuiRegistryMissing(
                f"no IEEE OUI registry in {directory}: install the ieee-data package (apt-get install ieee-data)"
            )
        return cls(blocks)

    def vendor(self, mac: str | None) -> str | None:
        """The organisation the MAC's block is assigned to, or None (unknown, random or invalid)."""
        info = classify_mac(mac)
        if info is None or info.locally_administered or info.multicast:
            return None
        digits = info.mac.replace(":", "").upper()
        for length, table in self._blocks.items():
            organisation = table.get(digits[:length])
            if organisation:
                return organisation
        return None

    def __len__(self) -> int:
        return sum(len(table) for table in self._blocks.values())


def _parse(handle, length: int) -> dict[str, str]:
    entries = {}
    reader = csv.reader(handle)
    next(reader, None)  # Registry,Assignment,Organization Name,Organization Address
    for row in reader:
        if len(row) < 3 or len(row[1]) != length:
            continue
        organisation = row[2].strip()
        if organisation and organisation.lower() not in _PLACEHOLDERS:
            entries[row[1].upper()] = organisation
    return entries


@lru_cache(maxsize=1)
def default_registry() -> OuiRegistry:
    """The installed registry, loaded once per process."""
    return OuiRegistry.load()
