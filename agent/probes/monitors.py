"""Monitors: the displays attached to the host, identified by their EDID.

The kernel exposes each DRM connector's EDID at ``/sys/class/drm/card<N>-<connector>/edid``
(empty when nothing is plugged in); reading it returns the copy the driver cached at hotplug,
so no DDC transfer happens. The 128-byte base block (VESA E-EDID 1.4, section 3) holds:

- bytes 0-7, the fixed header ``00 FF FF FF FF FF FF 00``; byte 127, a checksum making the
  block's sum 0 mod 256;
- bytes 8-9, the manufacturer's PNP id, three 5-bit letters (1 = A) big-endian;
- bytes 10-11, the product code and 12-15, a serial number, both little-endian;
- byte 17, the year of manufacture (or model year) minus 1990;
- four 18-byte descriptors at 54, 72, 90 and 108: a display descriptor starts ``00 00 00``,
  then its tag (``FF`` serial number text, ``FC`` product name), then up to 13 characters
  ended by ``0A`` and padded with spaces.

The text serial is what is printed on the monitor's label; the numeric one is often 0 or a
placeholder, so it is only used when there is no text serial. Without a name descriptor the
model is the PNP id and product code, as Windows names the device (``DEL4065``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import NamedTuple

from agent.probes.base import Fragment
from common.identity import normalize_serial

__all__ = ["DRM", "Edid", "MonitorsProbe", "connector_name", "monitor_record", "parse_edid"]

DRM = "/sys/class/drm"
EDID_HEADER = bytes.fromhex("00ffffffffffff00")
EDID_BLOCK = 128
_DESCRIPTORS = (54, 72, 90, 108)
_TAG_SERIAL, _TAG_NAME = 0xFF, 0xFC
# Numeric serials that many panels ship with instead of a real one.
_PLACEHOLDER_SERIALS = {0, 0x01010101, 0xFFFFFFFF}


class Edid(NamedTuple):
    """What the base EDID block says about a display."""

    manufacturer: str | None  # PNP id, e.g. "DEL"
    product_code: int
    serial_number: int
    serial_text: str | None
    name: str | None
    year: int | None


class MonitorsProbe:
    name = "monitors"

    def __init__(self, drm_root: str | os.PathLike[str] = DRM) -> None:
        self.drm_root = os.fspath(drm_root)

    def supported(self) -> bool:
        return sys.platform.startswith("linux") and os.path.isdir(self.drm_root)

    def collect(self) -> Fragment:
        """Every connected display; a corrupt EDID is reported as an error, the others still count."""
        monitors, errors = [], []
        for directory in self._connectors():
            path = os.path.join(self.drm_root, directory, "edid")
            with open(path, "rb") as handle:
                data = handle.read()
            if not data:
                continue  # connector with nothing plugged in
            try:
                edid = parse_edid(data, path)
            except ValueError as exc:
                errors.append({"probe": self.name, "error": f"ValueError: {exc}"})
                continue
            monitors.append(monitor_record(edid, connector_name(directory)))
        fragment: Fragment = {"monitors": monitors}
        if errors:
            fragment["probe_errors"] = errors
        return fragment

    def _connectors(self) -> list[str]:
        """Sorted names of the ``card*-*`` entries of the DRM directory that hold an ``edid`` file."""
        try:
            names = os.listdir(self.drm_root)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return []
        return sorted(name for name in names if name.startswith("card") and "-" in name[4:]
                      and os.path.exists(os.path.join(self.drm_root, name, "edid")))


def connector_name(directory: str) -> str:
    """``card0-HDMI-A-1`` -> ``HDMI-A-1``."""
    return directory.split("-", 1)[1] if "-" in directory else directory


def parse_edid(data: bytes, origin: str = "EDID") -> Edid:
    """The base block of an EDID; ``origin`` (the file) is named in the ValueError of a bad one."""
    if len(data) < EDID_BLOCK:
        raise ValueError(f"{origin}: EDID is {len(data)} bytes, a base block is {EDID_BLOCK}")
    block = data[:EDID_BLOCK]
    if block[:8] != EDID_HEADER:
        raise ValueError(f"{origin}: not an EDID (header is {block[:8].hex(' ')})")
    if sum(block) % 256:
        raise ValueError(f"{origin}: EDID checksum mismatch (block sums to {sum(block) % 256:#04x}, not 0)")
    descriptors = dict(_descriptors(block))
    year = 1990 + block[17]
    return Edid(
        manufacturer=_pnp_id(int.from_bytes(block[8:10], "big")),
        product_code=int.from_bytes(block[10:12], "little"),
        serial_number=int.from_bytes(block[12:16], "little"),
        serial_text=descriptors.get(_TAG_SERIAL),
        name=descriptors.get(_TAG_NAME),
        year=year if block[17] and year <= 2100 else None,
    )


def monitor_record(edid: Edid, connector: str | None) -> Fragment:
    """A ``common.schema.Monitor`` dict for one display."""
    serial = normalize_serial(edid.serial_text)
    if serial is None and edid.serial_number not in _PLACEHOLDER_SERIALS:
        serial = str(edid.serial_number)
    model = edid.name or (f"{edid.manufacturer}{edid.product_code:04X}" if edid.manufacturer else None)
    record = {"vendor": edid.manufacturer, "model": model, "serial": serial,
              "manufactured_year": edid.year, "connector": connector}
    return {k: v for k, v in record.items() if v is not None}


def _pnp_id(value: int) -> str | None:
    letters = [(value >> shift) & 0x1F for shift in (10, 5, 0)]
    if value & 0x8000 or not all(1 <= letter <= 26 for letter in letters):
        return None  # reserved bit set or not letters: no usable manufacturer
    return "".join(chr(ord("A") - 1 + letter) for letter in letters)


def _descriptors(block: bytes) -> Iterator[tuple[int, str]]:
    """(tag, text) of the display descriptors that carry text."""
    for offset in _DESCRIPTORS:
        descriptor = block[offset:offset + 18]
        if descriptor[:3] == b"\x00\x00\x00" and descriptor[3] in (_TAG_SERIAL, _TAG_NAME):
            text = descriptor[5:].split(b"\x0a", 1)[0].decode("ascii", "replace").replace("\x00", "").strip()
            if text:
                yield descriptor[3], text
