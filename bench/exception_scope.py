"""The exception scope on a campus's worth of discovered MACs: what a full run raises and what it costs.

A campus scanner learns most MACs from switches' forwarding tables and routers' ARP caches. This
stores N devices (by default 50,000: 90% switch_fdb-only, 5% router_arp-only, 4% ARP-swept, 1%
SNMP-polled; 2% of the swept ones on hypervisor MACs) and no CIs, then runs a full reconciliation
without the scope (every unmatched device raises, the old behaviour) and with the default
unmanaged policy (a fresh database each), and once more with the policy (nothing changed).

    python bench/exception_scope.py [--devices N] [--db sqlite|postgresql]

The last line is JSON: devices, unscoped_unmanaged, scoped_unmanaged, quieted, unscoped_s, scoped_s,
scoped_again_s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reconcile import NOW, _prepare_database  # noqa: E402


def generate(url: str, devices: int, seed: int = 3) -> None:
    from sqlalchemy import insert

    from collector.db import Database
    from collector.migrate import upgrade
    from collector.models import Device

    rng, db = random.Random(seed), Database(url)
    upgrade(db.engine)
    rows = []
    for n in range(devices):
        draw = rng.random()
        methods = (["switch_fdb"] if draw < 0.90 else ["router_arp"] if draw < 0.95
                   else ["arp"] if draw < 0.99 else ["snmp"])
        oui = "00:50:56" if methods == ["arp"] and rng.random() < 0.02 else "3c:52:82"
        mac = f"{oui}:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"
        rows.append({"id": n + 1, "mac": mac, "ip": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
                     "found_by": methods, "first_seen_at": NOW, "last_seen_at": NOW})
    with db.write() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Device), rows[start:start + 5000])
    db.dispose()


def run(url: str, scoped: bool, times: int = 1) -> tuple[float, dict, float]:
    """(last run's seconds, its counts, first run's seconds)."""
    from collector.db import Database
    from collector.reconcile.engine import reconcile_full
    from collector.reconcile.policy import parse_policy
    from collector.reconcile.rules import load_rules
    from collector.reconcile.scoping import load_scope

    rules, db, seconds, counts = load_rules(), Database(url), [], {}
    for _ in range(times):
        started = time.perf_counter()
        with db.write() as session:
            scope = load_scope(session, parse_policy({})[0], NOW) if scoped else None
            counts = reconcile_full(session, rules, NOW, exception_scope=scope).counts
        seconds.append(time.perf_counter() - started)
    db.dispose()
    return seconds[-1], counts, seconds[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    result = {"db": args.db, "devices": args.devices}
    with tempfile.TemporaryDirectory() as workdir:
        for scoped in (False, True):
            (Path(workdir) / ("scoped" if scoped else "unscoped")).mkdir()
            url, drop = _prepare_database(args.db, Path(workdir) / ("scoped" if scoped else "unscoped"))
            try:
                generate(url, args.devices)
                again, counts, first = run(url, scoped, times=2)
            finally:
                drop()
            name = "scoped" if scoped else "unscoped"
            result[f"{name}_unmanaged"] = counts.get("exceptions.unmanaged", 0)
            result[f"{name}_s"] = round(first, 2)
            if scoped:
                result["quieted"] = counts.get("quieted.policy", 0)
                result["scoped_again_s"] = round(again, 2)
            print(f"{name:<9} first run {first:6.2f} s, again {again:6.2f} s: {counts}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
