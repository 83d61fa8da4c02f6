"""Licence positions at scale (issue 12 target: all positions ≤ 10 s, ≤ 1 GiB peak RSS on PostgreSQL).

The fleet is generated in the database (generate_series): 5,000 assets × 1,500 installs
(7.5M asset_software links) over 50,000 distinct titles, of which 2,000 map to 200 licensable
products (30 licensable installs per asset: 150,000 licensable installs) and 18,000 to free
products; one entitlement per licensable product across the metrics (a third per core with
minimums, a third per named user, the rest per device, some subscriptions ending soon or
expired); 4,000 assets matched to CIs, a third of the machines VMs (half of them with a
runs_on relationship); every asset's latest report a realistic payload (1,500 packages,
200 usage entries) for the reclaim step. Then one ``compute_positions`` in one transaction.

    python bench/sam_positions.py [--assets 5000] [--links 1500] [--profile]

The last line is JSON: devices, installs, titles, positions_s, peak_rss_mb, and the run's counts.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import prepare_database  # noqa: E402

TITLES, LICENSABLE_TITLES, FREE_TITLES, PRODUCTS, FREE_PRODUCTS = 50_000, 2_000, 18_000, 200, 100
LICENSABLE_PER_ASSET = 30
NOW = datetime.now(timezone.utc)


def _sql(assets: int, links: int) -> list[str]:
    other = links - LICENSABLE_PER_ASSET
    return [
        f"""INSERT INTO sam_products (publisher, name, edition, category, licensable, metrics, source, created_at)
            SELECT 'Publisher ' || (g % 40), 'Product ' || g, '', CASE WHEN g <= {PRODUCTS} THEN 'commercial' ELSE 'free' END,
                   g <= {PRODUCTS}, '[]', 'catalogue', now() FROM generate_series(1, {PRODUCTS + FREE_PRODUCTS}) g""",
        f"""INSERT INTO software (key, name, version, publisher, arch, source, first_seen_at)
            SELECT md5(g::text), 'title ' || g, (g % 20) || '.0.' || g, 'Publisher ' || (g % 40), 'x64', 'msi', now()
            FROM generate_series(1, {TITLES}) g""",
        f"""INSERT INTO sam_software_products (software_id, product_id, version, major_version, rule_id, ruleset, normalised_at)
            SELECT g, CASE WHEN g <= {LICENSABLE_TITLES} THEN 1 + (g % {PRODUCTS})
                           WHEN g <= {LICENSABLE_TITLES + FREE_TITLES} THEN {PRODUCTS} + 1 + (g % {FREE_PRODUCTS}) END,
                   (g % 20) || '.0.' || g, (g % 20)::text, 'bench', 'bench', now() FROM generate_series(1, {TITLES}) g""",
        f"""INSERT INTO sam_entitlements (product_id, metric, quantity, core_factor, min_cores_per_processor,
                                          min_cores_per_vm, term, start_date, end_date, unit_cost, currency,
                                          downgrade_rights, created_at, updated_at)
            SELECT g, CASE g % 3 WHEN 0 THEN 'processor_core' WHEN 1 THEN 'named_user' ELSE 'device' END,
                   400, CASE WHEN g % 3 = 0 THEN 0.5 END, CASE WHEN g % 3 = 0 THEN 4 END, CASE WHEN g % 3 = 0 THEN 4 END,
                   CASE WHEN g % 10 = 0 THEN 'subscription' ELSE 'perpetual' END,
                   CASE WHEN g % 10 = 0 THEN current_date - 300 END,
                   CASE WHEN g % 10 = 0 THEN current_date + (g % 120) - 20 END, 100 + g, 'EUR', g % 2 = 0, now(), now()
            FROM generate_series(1, {PRODUCTS}) g""",
        f"""INSERT INTO assets (hostname, vendor, model, cpu_cores, cpu_sockets, cpu_threads, primary_user,
                                software_count, first_seen_at, last_seen_at)
            SELECT 'host-' || g, CASE WHEN g % 3 = 0 THEN 'QEMU' ELSE 'Dell Inc.' END,
                   CASE WHEN g % 3 = 0 THEN 'Standard PC' ELSE 'PowerEdge R740' END, 4 + (g % 4) * 4, 1 + g % 2,
                   8 + (g % 4) * 8, CASE WHEN g % 5 = 0 THEN NULL ELSE 'user' || (g % 3000) END, {links},
                   now() - interval '300 days', now() - interval '1 hour'
            FROM generate_series(1, {assets}) g""",
        f"""INSERT INTO cis (ci_class, asset_tag, name, hostname, status, assigned_user, source, created_at, updated_at)
            SELECT CASE WHEN g % 3 = 0 THEN 'virtual_machine' ELSE 'server' END, 'TAG-' || g, 'HOST-' || g,
                   'host-' || g, 'deployed', CASE WHEN g % 7 = 0 THEN 'owner' || g END, 'import', now(), now()
            FROM generate_series(1, {assets * 4 // 5}) g""",
        f"""INSERT INTO ci_matches (subject_type, subject_id, ci_id, outcome, rule, explanation, updated_at)
            SELECT 'asset', g, g, 'matched', 'hostname', 'bench', now() FROM generate_series(1, {assets * 4 // 5}) g""",
        f"""INSERT INTO ci_relationships (ci_id, kind, target_ci_id, source, created_at)
            SELECT g, 'runs_on', g - 1, 'import', now() FROM generate_series(3, {assets * 4 // 5}, 6) g""",
        f"""INSERT INTO asset_software (asset_id, software_id, first_seen_at, observation_id)
            SELECT a, 1 + ((a + i * 67) % {LICENSABLE_TITLES}), now() - interval '100 days', a
            FROM generate_series(1, {assets}) a, generate_series(0, {LICENSABLE_PER_ASSET - 1}) i""",
        f"""INSERT INTO asset_software (asset_id, software_id, first_seen_at, observation_id)
            SELECT a, {LICENSABLE_TITLES + 1} + ((a * 5 + i) % {TITLES - LICENSABLE_TITLES}), now() - interval '100 days', a
            FROM generate_series(1, {assets}) a, generate_series(0, {other - 1}) i""",
    ]


def _payload() -> bytes:
    """A realistic latest report: 1,500 packages and 200 usage entries (the same bytes for every asset)."""
    import orjson

    software = [{"name": f"title {n}", "version": f"{n % 20}.0.{n}", "publisher": f"Publisher {n % 40}",
                 "source": "msi", "arch": "x64"} for n in range(1, 1501)]
    usage = [{"path": f"C:\\Program Files\\App{n}\\app{n}.exe", "package": f"title {n * 7}",
              "last_seen_running": (NOW - timedelta(days=n)).isoformat()} for n in range(1, 201)]
    return zlib.compress(orjson.dumps({"software": software, "usage": usage}))


def _observations(db, assets: int) -> None:
    from sqlalchemy import insert, text

    from collector.models import Observation

    payload = _payload()
    with db.write() as session:
        for start in range(1, assets + 1, 500):
            session.execute(insert(Observation.__table__), [
                {"id": a, "source": "agent", "kind": "inventory", "asset_id": a, "schema_version": 1,
                 "content_hash": "0" * 64, "report_id": f"r{a}", "collected_at": NOW, "received_at": NOW,
                 "last_report_id": f"r{a}", "last_collected_at": NOW, "last_received_at": NOW, "report_count": 1,
                 "payload": payload} for a in range(start, min(start + 500, assets + 1))])
        session.execute(text("UPDATE assets SET observation_id = id"))


def build(db, assets: int, links: int) -> None:
    from sqlalchemy import text

    with db.write() as session:
        for statement in _sql(assets, links):
            session.execute(text(statement))
    _observations(db, assets)
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def _profiler(wanted: bool):
    if not wanted:
        return None
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    return profile


def _report(profile) -> None:
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    # PostgreSQL only: the fleet is generated with generate_series, md5 and intervals.
    parser.add_argument("--db", choices=("postgresql",), default="postgresql")
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--links", type=int, default=1500)
    parser.add_argument("--profile", action="store_true", help="Print where the run's time went (cProfile).")
    args = parser.parse_args()
    from collector.db import Database
    from collector.sam.positions import compute_positions

    with tempfile.TemporaryDirectory() as workdir:
        url, drop = prepare_database(args.db, Path(workdir))
        db = Database(url)
        try:
            started = time.perf_counter()
            build(db, args.assets, args.links)
            build_s = time.perf_counter() - started
            profile = _profiler(args.profile)
            started = time.perf_counter()
            with db.write() as session:
                counts = compute_positions(session, as_of=NOW).counts
            positions_s = time.perf_counter() - started
            _report(profile)
        finally:
            db.dispose()
            drop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"devices": args.assets, "installs": args.assets * args.links, "titles": TITLES,
                      "licensable_installs": args.assets * LICENSABLE_PER_ASSET, "build_s": round(build_s, 1),
                      "positions_s": round(positions_s, 2), "peak_rss_mb": round(peak),
                      "counts": {k: v for k, v in counts.items() if k != "exceptions"},
                      "exceptions_opened": counts["exceptions"]["opened"]}))


if __name__ == "__main__":
    main()
