"""The device corpus (tests/fixtures/snmp/devices): recordings with the identification each must get.

``manifest.toml`` lists every device: its recording (a hand-written ``<class>/<name>.snmprec``
beside it, or ``source = "snmpsim-data:<path>"`` for one snmpsim-data ships) and the expected
``type``, ``vendor``, ``model`` and ``serial`` (absent: none expected). ``poll_corpus`` serves
them all from one snmpsim process on loopback (the community picks the device) and runs each
through the scanner's real path, ``snmp_scan_report``: system group, full poll with the
vendor-MIB probes, classification. Shared by tests/agent/discovery/test_corpus.py and
bench/classify.py.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import NamedTuple

from agent.discovery.mibs.printer import VENDOR_SERIAL_OIDS
from agent.discovery.ruleset import default_ruleset
from tests.snmpsim import POLL_SUBTREES, recording

__all__ = ["CORPUS", "Expected", "corpus_subtrees", "load_manifest", "poll_corpus"]

CORPUS = Path(__file__).resolve().parent / "fixtures" / "snmp" / "devices"
_FIELDS = {"name", "source", "type", "vendor", "model", "serial"}


class Expected(NamedTuple):
    name: str  # <class>/<name>
    recording: Path
    device_type: str
    vendor: str | None
    model: str | None
    serial: str | None

    @property
    def community(self) -> str:
        return self.name.replace("/", "__")


def load_manifest(directory: Path = CORPUS) -> list[Expected]:
    """Every device of the manifest; ValueError naming the first bad entry."""
    document = tomllib.loads((directory / "manifest.toml").read_text(encoding="utf-8"))
    devices, names = [], set()
    for entry in document.get("device", []):
        unknown = set(entry) - _FIELDS
        if unknown or not {"name", "type"} <= set(entry) or entry["name"] in names:
            raise ValueError(f"manifest entry {entry.get('name')!r}: bad or duplicate (unknown fields {unknown})")
        names.add(entry["name"])
        source = entry.get("source", "")
        path = recording(source.removeprefix("snmpsim-data:")) if source else directory / f"{entry['name']}.snmprec"
        if not path.exists():
            raise ValueError(f"manifest entry {entry['name']!r}: no recording {path}")
        devices.append(Expected(entry["name"], path, entry["type"], entry.get("vendor"), entry.get("model"),
                                entry.get("serial")))
    return devices


def corpus_subtrees() -> tuple[str, ...]:
    """What the poll reads: the standard tables, the vendor-MIB probes, makers' printer serials."""
    probes = tuple(probe.oid + "." for probe in default_ruleset().probes)
    serials = tuple(oid.rsplit(".", 1)[0] + "." for oid in VENDOR_SERIAL_OIDS.values())
    return POLL_SUBTREES + probes + serials


def poll_corpus(devices: list[Expected], host: str, port: int) -> tuple[dict[str, dict], float]:
    """``{name: the reported device}`` for each device polled through snmp_scan_report, and the wall time."""
    from agent.discovery.scan import snmp_scan_report
    from agent.discovery.snmp import SnmpCredential

    found, started = {}, time.perf_counter()
    for device in devices:
        credential = SnmpCredential(device.community, "2c", community=device.community)
        report = snmp_scan_report("corpus", [(host, port)], [credential])
        found[device.name] = report["devices"][0] if report["devices"] else {}
    return found, time.perf_counter() - started
