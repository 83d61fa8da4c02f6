"""Reconciliation at fleet scale: a full run over 100,000 CIs and 100,000 observations, and the
incremental run after one report.

The data is generated with realistic noise (junk serials, typo'd serials, cloned VM UUIDs, a
docking-station MAC on many laptops, replaced NICs, renamed hosts, unregistered devices,
deployed CIs nobody sees) and stored as ingest and import would. Then, in a fresh process
so that its peak RSS is the run's own:
  full         reconcile_full over everything (first run: every match, state and exception written);
  full again   the same inputs again (nothing changes: a read and a diff);
  incremental  reconcile_subjects after one asset's report changed (median of N runs).

    python bench/reconcile.py --db sqlite|postgresql [--quick]

The last line is JSON with db, cis, observations, full_s, full_again_s, peak_rss_mb, incremental_ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("STOCKTAKE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
DOCK_MAC = "a0:ce:c8:00:d0:c1"


def _prepare_database(kind: str, workdir: Path):
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    import psycopg

    schema = f"stocktake_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')

    def drop():
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def _serial(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(10))


def _mac(rng: random.Random) -> str:
    return "3c:52:82:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3)) if rng.random() < 0.5 else \
        "f8:b4:6a:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def generate(url: str, cis: int, observations: int, seed: int = 11) -> None:
    """Store the noisy fleet: ~80% of observations are agent assets, the rest scanned devices."""
    from sqlalchemy import insert

    from collector.db import Database
    from collector.migrate import upgrade
    from collector.models import Asset, AssetNic, Device
    from collector.models.cmdb import CiMac, ConfigurationItem

    rng = random.Random(seed)
    db = Database(url)
    upgrade(db.engine)
    asset_count = int(observations * 0.8)
    device_count = observations - asset_count
    ci_rows, ci_macs, asset_rows, nic_rows, device_rows = [], [], [], [], []
    cloned_uuid = str(uuid.UUID(int=rng.getrandbits(128)))
    macs_seen: set[str] = set()

    def fresh_mac() -> str:
        while True:
            mac = _mac(rng)
            if mac not in macs_seen:
                macs_seen.add(mac)
                return mac

    for n in range(asset_count):
        serial, mac, host = _serial(rng), fresh_mac(), f"host-{n:06d}"
        smbios = cloned_uuid if rng.random() < 0.002 else str(uuid.UUID(int=rng.getrandbits(128)))
        seen = NOW - timedelta(days=rng.choice([0] * 9 + [45]))
        asset_rows.append({"id": n + 1, "hostname": host if rng.random() > 0.01 else f"renamed-{n}",
                           "serial": serial if rng.random() > 0.03 else None, "vendor": rng.choice(["HP", "Dell Inc.", "LENOVO"]),
                           "model": "Model", "smbios_uuid": smbios, "first_seen_at": seen, "last_seen_at": seen,
                           "primary_user": f"user{n % 5000}"})
        nic_rows.append({"asset_id": n + 1, "name": "eth0", "mac": mac if rng.random() > 0.01 else fresh_mac(),
                         "virtual": False, "locally_administered": False, "observation_id": 0})
        if rng.random() < 0.01:
            nic_rows.append({"asset_id": n + 1, "name": "usb0", "mac": DOCK_MAC, "virtual": False,
                             "locally_administered": False, "observation_id": 0})
        if n < cis * 0.97:  # the rest is unmanaged
            ci_serial = serial if rng.random() > 0.005 else serial[:-2] + serial[-1] + serial[-2]
            ci_rows.append({"id": len(ci_rows) + 1, "asset_tag": f"AT{len(ci_rows):07d}", "ci_class": "computer",
                            "serial": ci_serial, "vendor": asset_rows[-1]["vendor"], "model": "Model", "hostname": host,
                            "status": "deployed" if rng.random() > 0.02 else "retired", "assigned_user": f"user{n % 5000}",
                            "source": "import", "created_at": NOW, "updated_at": NOW})
            ci_macs.append({"ci_id": len(ci_rows), "mac": mac})
    for n in range(device_count):
        mac, serial = fresh_mac(), _serial(rng)
        device_rows.append({"id": n + 1, "mac": mac, "ip": f"198.18.{n // 250}.{n % 250 + 1}",
                            "serial": serial if rng.random() < 0.5 else None, "found_by": ["arp", "snmp"],
                            "sys_name": f"dev-{n:06d}", "first_seen_at": NOW, "last_seen_at": NOW})
        if len(ci_rows) < cis and rng.random() < 0.8:
            ci_rows.append({"id": len(ci_rows) + 1, "asset_tag": f"AT{len(ci_rows):07d}", "ci_class": "network_device",
                            "serial": serial, "vendor": None, "model": None, "hostname": f"dev-{n:06d}",
                            "status": "deployed", "source": "import", "created_at": NOW, "updated_at": NOW})
            ci_macs.append({"ci_id": len(ci_rows), "mac": mac})
    while len(ci_rows) < cis:  # registered, never seen: missing
        ci_rows.append({"id": len(ci_rows) + 1, "asset_tag": f"AT{len(ci_rows):07d}", "ci_class": "computer",
                        "serial": _serial(rng), "hostname": f"lost-{len(ci_rows)}", "status": "deployed",
                        "source": "import", "created_at": NOW, "updated_at": NOW})
    with db.write() as session:
        for model, rows in ((ConfigurationItem, ci_rows), (CiMac, ci_macs), (Asset, asset_rows), (AssetNic, nic_rows),
                            (Device, device_rows)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(model), rows[start:start + 5000])
    if not db.is_sqlite:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    db.dispose()


def measure(url: str, incremental_runs: int) -> dict:
    """Runs in a fresh process: the reconcile figures and this process's peak RSS."""
    from sqlalchemy import update

    from collector.db import Database
    from collector.models import Asset
    from collector.reconcile.engine import reconcile_full, reconcile_subjects
    from collector.reconcile.rules import load_rules

    rules, db = load_rules(), Database(url)
    started = time.perf_counter()
    with db.write() as session:
        first = reconcile_full(session, rules, NOW)
    full_s = time.perf_counter() - started
    started = time.perf_counter()
    with db.write() as session:
        reconcile_full(session, rules, NOW)
    full_again_s = time.perf_counter() - started
    rng, timings = random.Random(5), []
    for run in range(incremental_runs):
        asset_id = rng.randrange(1, 1000)
        with db.write() as session:  # the report: one asset renamed
            session.execute(update(Asset).where(Asset.id == asset_id).values(hostname=f"renamed-{run}"))
        started = time.perf_counter()
        with db.write() as session:
            reconcile_subjects(session, rules, NOW, asset_ids=[asset_id])
        timings.append((time.perf_counter() - started) * 1000)
    db.dispose()
    return {"full_s": round(full_s, 2), "full_again_s": round(full_again_s, 2),
            "incremental_ms": round(statistics.median(timings), 2),
            "incremental_p95_ms": round(sorted(timings)[int(len(timings) * 0.95) - 1], 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "counts": first.counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="10,000 + 10,000, for a first look")
    parser.add_argument("--cis", type=int)
    parser.add_argument("--observations", type=int)
    parser.add_argument("--incremental-runs", type=int, default=50)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.incremental_runs)))
        return
    cis = args.cis or (10_000 if args.quick else 100_000)
    observations = args.observations or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory(prefix="stocktake-bench-") as workdir:
        url, drop = _prepare_database(args.db, Path(workdir))
        try:
            started = time.perf_counter()
            generate(url, cis, observations)
            print(f"generated {cis:,} CIs and {observations:,} observations in {time.perf_counter() - started:.1f} s",
                  flush=True)
            child = subprocess.run([sys.executable, __file__, "--measure", url, "--incremental-runs",
                                    str(args.incremental_runs)], capture_output=True, text=True, check=True)
            figures = json.loads(child.stdout.strip().splitlines()[-1])
        finally:
            drop()
    print(f"full reconcile (first run)   {figures['full_s']:>8.2f} s   (target <= 20 s)")
    print(f"full reconcile (unchanged)   {figures['full_again_s']:>8.2f} s")
    print(f"incremental, median of {args.incremental_runs}  {figures['incremental_ms']:>8.2f} ms  (target <= 20 ms)")
    print(f"peak RSS of the run          {figures['peak_rss_mb']:>8.1f} MB  (target <= 1024 MB)")
    print(f"outcomes                     {figures['counts']}")
    print(json.dumps({"db": args.db, "cis": cis, "observations": observations, **figures}))


if __name__ == "__main__":
    main()
