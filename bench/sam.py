"""Software licence compliance at fleet scale (issue 12): normalise, positions, ELP export.

The fleet: 5,000 devices x ~1,500 installs (7.5M ``asset_software`` links) over 50,000
distinct raw titles as agents report them (bench/sam_titles.py: dpkg and rpm packages with
their versions and maintainers, Windows registry/MSI DisplayNames with runtimes, drivers and
KB updates, macOS applications and receipts), the audited families on known shares of the
hosts (bench/sam_families.py: Office on ~60%, SQL Server on ~3% (Windows servers, mostly
VMs), Acrobat Pro ~20%, JetBrains ~5%, Java SE ~30%, ... and their free look-alikes), ~20%
VMware VMs, CIs matched to 97% of the assets, VM CIs running on ESXi host CIs, per-asset
program usage in the latest observation. Generated in memory and stored by COPY
(bench/sam_fleet.py, bench/sam_load.py). Then, in a fresh process so that its peak RSS is
the SAM steps' own:
  normalise      collector.sam.normalise.normalise(full=True) over every title;
  normalise new  500 titles an ingest brings (catalogue rows + links on 20 hosts each),
                 then normalise() again: only the new titles;
  entitlements   one to three purchases per licensable product found (not timed);
  positions      collector.sam.positions.compute_positions(), then once more (the hourly
                 job's steady state: the previous run's evidence replaced);
  ELP export     collector.sam.elp.export_elp() of the publisher with the most evidence
                 rows (Microsoft), XLSX and CSV.
A step whose module is not built yet is reported as such; the others still run.

    python bench/sam.py [--db postgresql|sqlite] [--quick]

``--quick``: 500 devices x 300 installs, 5,000 titles. The last line is JSON with devices,
installs, titles, normalise_s, normalise_new_s, positions_s, peak_rss_mb, elp_export_s and
``met`` (each target: true, false, or null when not measured). Targets (PostgreSQL): normalise
all <= 5 s, positions <= 10 s, ELP export <= 30 s, peak RSS <= 1 GiB. Only the local
PostgreSQL (STOCKTAKE_BENCH_PG_URL, default 127.0.0.1:5432) is used.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import prepare_database  # noqa: E402

TARGETS = {"normalise_s": 5.0, "positions_s": 10.0, "elp_export_s": 30.0, "peak_rss_mb": 1024.0}


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _generate(url: str, args, workdir: Path) -> tuple[dict, Path]:
    """Build and store the fleet; the plan file tells the measuring process the new titles and hosts."""
    from collector.db import Database
    from bench.sam_fleet import build_catalogue, build_fleet
    from bench.sam_load import load_fleet

    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    catalogue = build_catalogue(args.titles, args.installs, args.new_titles)
    fleet = build_fleet(catalogue, args.devices, args.installs, now)
    generated = time.perf_counter()
    db = Database(url)
    try:
        load_fleet(db, fleet, now)
        sizes = _table_sizes(db)
    finally:
        db.dispose()
    loaded = time.perf_counter()
    plan = workdir / "plan.json"
    plan.write_text(json.dumps({"now": now.isoformat(), "new": [list(t.__dict__.values()) for t in catalogue.new],
                                "hosts": [[h.id, h.platform] for h in fleet.hosts]}))
    return {"installs": fleet.links, "titles": len(catalogue.titles),
            "generate_s": round(generated - started, 1), "load_s": round(loaded - generated, 1),
            "generator_peak_rss_mb": _rss_mb(), "table_mb": sizes}, plan


def _table_sizes(db) -> dict:
    """Size on disk of the big tables, indexes included (PostgreSQL only)."""
    if db.is_sqlite:
        return {}
    with db.engine.connect() as connection:
        return {table: round(connection.exec_driver_sql(f"SELECT pg_total_relation_size('{table}')").scalar() / 2**20)
                for table in ("asset_software", "software", "observations")}


def _run_child(url: str, plan: Path, db_kind: str) -> dict:
    """The SAM steps in a fresh process; its progress lines are passed through, its last line is JSON."""
    child = subprocess.Popen([sys.executable, __file__, "--measure", url, "--plan", str(plan), "--db", db_kind],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    last = ""
    try:
        for line in child.stdout:
            last = line.strip()
            if not last.startswith("{"):
                print(f"  {last}", flush=True)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode != 0 or not last.startswith("{"):
        raise SystemExit(f"bench: the measuring process failed (exit {child.returncode})")
    return json.loads(last)


def _report(result: dict) -> None:
    def seconds(key: str) -> str:
        value = result.get(key)
        if isinstance(value, (int, float)):
            return f"{value:8.2f} s"
        return f"{'FAILED' if key in result.get('errors', {}) else 'not built':>10}"

    rows = [("normalise all titles", "normalise_s", "<= 5 s"), ("normalise new titles only", "normalise_new_s", ""),
            ("compute positions", "positions_s", "<= 10 s"), ("compute positions again", "positions_again_s", ""),
            (f"ELP export {result.get('elp_publisher') or ''} (xlsx)", "elp_export_s", "<= 30 s"),
            ("ELP export (csv)", "elp_export_csv_s", "")]
    print(f"\n{result['devices']:,} devices, {result['installs']:,} installs, {result['titles']:,} titles "
          f"({result['db']}); generated in {result['generate_s']} s, stored in {result['load_s']} s")
    for label, key, target in rows:
        met = result["met"].get(key)
        print(f"{label:<40} {seconds(key)}  {target:<8} {'' if met is None else ('met' if met else 'NOT MET')}")
    met = result["met"]["peak_rss_mb"]
    verdict = "" if met is None else ("met" if met else "NOT MET")
    print(f"{'peak RSS of the SAM steps':<40} {result['peak_rss_mb']:8.1f} MB <= 1 GiB {verdict}")
    for step, error in result.get("errors", {}).items():
        print(f"error in {step}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--quick", action="store_true", help="500 devices x 300 installs, 5,000 titles")
    parser.add_argument("--devices", type=int)
    parser.add_argument("--installs", type=int, help="installs per device")
    parser.add_argument("--titles", type=int, help="distinct raw titles")
    parser.add_argument("--new-titles", type=int, default=500, help="titles a later ingest brings")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the measuring process
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        from bench.sam_measure import measure

        print(json.dumps(measure(args.measure, Path(args.plan))), flush=True)
        return
    args.devices = args.devices or (500 if args.quick else 5000)
    args.installs = args.installs or (300 if args.quick else 1500)
    args.titles = args.titles or (5000 if args.quick else 50_000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the schema is dropped on kill too
    load_start = round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory(prefix="stocktake-bench-") as tmp:
        url, drop = prepare_database(args.db, Path(tmp))
        try:
            print(f"sam: generating {args.devices:,} devices x {args.installs:,} installs, {args.titles:,} titles "
                  f"({args.db}: {url.rsplit('@', 1)[-1]}) ...", flush=True)
            generated, plan = _generate(url, args, Path(tmp))
            print(f"sam: generated in {generated['generate_s']} s, stored in {generated['load_s']} s "
                  f"({generated['installs']:,} links); measuring in a fresh process ...", flush=True)
            figures = _run_child(url, plan, args.db)
        finally:
            drop()
    result = {"db": args.db, "devices": args.devices, **generated, **figures,
              "load_avg_start": load_start, "load_avg_end": round(os.getloadavg()[0], 1)}
    result["met"] = {key: (result[key] <= limit if isinstance(result.get(key), (int, float)) else None)
                     for key, limit in TARGETS.items()}
    for key in result.get("errors", {}):
        if key in TARGETS:
            result["met"][key] = False  # a step that failed did not meet its target
    if all(result.get(key) is None for key in TARGETS if key != "peak_rss_mb"):
        result["met"]["peak_rss_mb"] = None  # no SAM step ran: the process's RSS says nothing
    _report(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
