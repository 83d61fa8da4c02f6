"""Identification of the device corpus through the real poll: type, maker, model and serial per class.

Every recording of tests/fixtures/snmp/devices (hand-written from vendor MIBs, and snmpsim-data's)
is served by one snmpsim process on 127.0.0.1 (the community picks the device) and polled by
``snmp_scan_report``, the scanner's own path: system group, full poll with the vendor-MIB
probes, classification. What it reports is compared with the manifest. Printed: each class's
type and maker accuracy, the misses, and a last JSON line with devices, type_accuracy,
vendor_accuracy, model_fill and serial_fill (share of all devices reported with one),
model_accuracy and serial_accuracy (of the devices whose manifest expects one, how many got
exactly it), ms_per_device (wall time of the polls over the devices, polled one at a time).

The rules were written alongside this corpus, so its accuracy says the rules and the poll do
what the manifest records, not how they fare on devices never seen (LibreNMS's recordings,
held out, are the acceptance test for that).

    python bench/classify.py [--quick]

--quick: the first device of each class only. Traffic stays on 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.device_corpus import corpus_subtrees, load_manifest, poll_corpus  # noqa: E402
from tests.snmpsim import free_udp_port, start_snmpsim  # noqa: E402


def _select(quick: bool):
    devices = load_manifest()
    if not quick:
        return devices
    first = {}
    for device in devices:
        first.setdefault(device.device_type, device)
    return list(first.values())


def _score(devices, found) -> tuple[dict, list[str], dict]:
    per_class = defaultdict(lambda: {"devices": 0, "type": 0, "vendor": 0})
    misses, fill = [], {"model": [0, 0], "serial": [0, 0]}
    for device in devices:
        got = found.get(device.name, {})
        counts = per_class[device.device_type]
        counts["devices"] += 1
        counts["type"] += got.get("device_type") == device.device_type
        counts["vendor"] += got.get("vendor") == device.vendor
        for key, expected in (("model", device.model), ("serial", device.serial)):
            if expected is not None:
                fill[key][0] += 1
                fill[key][1] += got.get(key) == expected
        if (got.get("device_type"), got.get("vendor")) != (device.device_type, device.vendor):
            misses.append(f"{device.name}: got {got.get('device_type')}/{got.get('vendor')}, "
                          f"expected {device.device_type}/{device.vendor}")
    return per_class, misses, fill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one device per class")
    args = parser.parse_args()
    devices = _select(args.quick)
    port = free_udp_port()
    sim = start_snmpsim({d.community: d.recording for d in devices}, [("127.0.0.1", port)], corpus_subtrees())
    try:
        found, wall = poll_corpus(devices, "127.0.0.1", port)
    finally:
        sim.stop()
    per_class, misses, fill = _score(devices, found)
    for name in sorted(per_class):
        counts = per_class[name]
        print(f"{name:22} {counts['devices']:3} devices  type {counts['type'] / counts['devices']:6.1%}  "
              f"maker {counts['vendor'] / counts['devices']:6.1%}")
    for miss in misses:
        print("miss:", miss)
    total = len(devices)
    figures = {
        "devices": total,
        "classes": len(per_class),
        "makers": len({d.vendor for d in devices if d.vendor}),
        "type_accuracy": round(sum(c["type"] for c in per_class.values()) / total, 4),
        "vendor_accuracy": round(sum(c["vendor"] for c in per_class.values()) / total, 4),
        "model_fill": round(sum(1 for d in devices if found.get(d.name, {}).get("model")) / total, 4),
        "serial_fill": round(sum(1 for d in devices if found.get(d.name, {}).get("serial")) / total, 4),
        "model_accuracy": round(fill["model"][1] / fill["model"][0], 4) if fill["model"][0] else None,
        "serial_accuracy": round(fill["serial"][1] / fill["serial"][0], 4) if fill["serial"][0] else None,
        "ms_per_device": round(wall / total * 1000, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
