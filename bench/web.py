"""The web UI at fleet scale: 100,000 assets, each matched to a CI in the register.

Measured in-process through Flask's test client (server time: routing, queries, templates;
no network), signed in as an auditor:
  list      the assets page, first page (p95 of N requests);
  filtered  the assets page with filters: class + status, a location substring, a host-name
            search, each sorted differently (p95 of N, rotating through them);
  detail    one asset with 1,500 packages, NICs, observations, match and exceptions (p95 of N);
  csv       the asset register export: time to the first byte, and to the last;
  xlsx      the asset register as XLSX (openpyxl write-only) in a fresh process, with its peak RSS.
Only the assets opened in detail get software links (1,500 each); the list and the exports do
not read software, so the other assets' links would only cost generation time.

  bulk      acknowledge 10,000 exceptions as an operator through the exceptions page's bulk
            form, "everything matching this filter" (measure_bulk_ack).

    python bench/web.py [--db sqlite|postgresql] [--quick] [--only bulk]

The last line is JSON with assets, list_p95_ms, filtered_p95_ms, detail_p95_ms,
csv_first_byte_s, csv_total_s, xlsx_s, xlsx_peak_rss_mb, bulk_ack_confirm_ms, bulk_ack_10000_s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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
PASSWORD = "bench password 1234"
LOCATIONS = [f"{site} floor {n}" for site in ("London HQ", "Leeds", "Paris", "Berlin", "Madrid") for n in range(1, 9)]
CLASSES = ["computer"] * 6 + ["server", "virtual_machine", "network_device", "printer"]
STATUSES = ["deployed"] * 8 + ["in_stock", "in_repair", "retired"]
DETAILED = 50
SOFTWARE_PER_DETAILED = 1500


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


def _batched(session, table, rows, size=5000) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), size):
        session.execute(insert(table), rows[start:start + size])


def generate(url: str, assets: int, seed: int = 5) -> None:
    from collector.access.users import create_user
    from collector.db import Database
    from collector.migrate import upgrade
    from collector.models import Asset, AssetNic, AssetSoftware, Observation, Software
    from collector.models.cmdb import ConfigurationItem
    from collector.models.reconcile import AuditException, CiMatch

    rng = random.Random(seed)
    db = Database(url)
    upgrade(db.engine)
    with db.write() as session:
        create_user(session, "auditor", "auditor", PASSWORD)
        observations, asset_rows, nics, cis, matches, exceptions = [], [], [], [], [], []
        for i in range(1, assets + 1):
            seen = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            observations.append({"id": i, "source": "agent", "kind": "inventory", "asset_id": None, "schema_version": 1,
                                 "content_hash": f"{i:064x}", "report_id": str(uuid.UUID(int=i)), "collected_at": seen,
                                 "received_at": seen, "last_report_id": str(uuid.UUID(int=i)),
                                 "last_collected_at": seen, "last_received_at": seen, "report_count": 1})
            asset_rows.append({"id": i, "hostname": f"{rng.choice(['lt', 'ws', 'srv', 'vm'])}-{i:06d}",
                               "serial": f"SN{i:09d}", "vendor": rng.choice(["Dell Inc.", "LENOVO", "HP"]),
                               "model": f"Model {rng.randint(100, 999)}", "os_name": "Debian GNU/Linux",
                               "os_version": "12", "first_seen_at": seen - timedelta(days=90), "last_seen_at": seen,
                               "observation_id": i, "software_count": 0})
            nics.append({"asset_id": i, "name": "eth0", "mac": f"3c:52:82:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
                         "ipv4": [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"], "ipv6": [], "observation_id": i})
            if i % 10:  # 90% registered
                cis.append({"id": i, "asset_tag": f"AT-{i:07d}", "ci_class": rng.choice(CLASSES),
                            "status": rng.choice(STATUSES), "location": rng.choice(LOCATIONS), "serial": f"SN{i:09d}",
                            "hostname": asset_rows[-1]["hostname"], "source": "import", "created_at": NOW, "updated_at": NOW})
                matches.append({"subject_type": "asset", "subject_id": i, "ci_id": i, "outcome": "matched",
                                "rule": "vendor_serial", "explanation": f"CI {i} by rule 1 (vendor_serial)", "updated_at": NOW})
            else:
                matches.append({"subject_type": "asset", "subject_id": i, "ci_id": None, "outcome": "unmanaged",
                                "rule": None, "explanation": "no CI", "updated_at": NOW})
                exceptions.append({"kind": "unmanaged", "status": "open", "open_key": f"unmanaged:asset:{i}",
                                   "subject_type": "asset", "subject_id": i, "summary": f"asset {i} is in no CI",
                                   "evidence": {}, "fingerprint": "", "opened_at": NOW, "updated_at": NOW})
        for table, rows in ((Observation, observations), (Asset, asset_rows), (AssetNic, nics),
                            (ConfigurationItem, cis), (CiMatch, matches), (AuditException, exceptions)):
            _batched(session, table, rows)
        software = [{"id": n, "key": f"{n:032x}", "name": f"package-{n}", "version": "1.0", "source": "dpkg",
                     "first_seen_at": NOW} for n in range(1, SOFTWARE_PER_DETAILED * 2)]
        _batched(session, Software, software)
        links = [{"asset_id": a, "software_id": s, "first_seen_at": NOW, "observation_id": a}
                 for a in _detailed(assets) for s in rng.sample(range(1, len(software)), SOFTWARE_PER_DETAILED)]
        _batched(session, AssetSoftware, links)
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with db.autocommit() as connection:
            connection.exec_driver_sql("ANALYZE")
    db.dispose()


def _detailed(assets: int) -> list[int]:
    return list(range(7, assets + 1, max(1, assets // DETAILED)))[:DETAILED]


def _client(url: str, username: str = "auditor"):
    from collector.app import create_app
    from collector.config import CollectorConfig

    app = create_app(CollectorConfig(data_dir=tempfile.mkdtemp(), database_url=url, log_format="text",
                                     log_level="WARNING", page_size_max=500))
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return client


def _p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18] * 1000, 1) if len(samples) >= 2 else round(samples[0] * 1000, 1)


def _timed(client, paths: list[str]) -> list[float]:
    samples = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def measure(url: str, assets: int, requests: int) -> dict:
    client = _client(url)
    client.get("/assets")  # warm templates and the statement cache
    listed = _timed(client, ["/assets"] * requests)
    filters = ["/assets?class=computer&status=deployed", "/assets?location=leeds+floor+3&sort=-last_seen",
               "/assets?q=lt-0001", "/assets?status=unregistered&sort=-hostname", "/assets?class=server&source=agent"]
    filtered = _timed(client, [filters[n % len(filters)] for n in range(requests)])
    detailed = _detailed(assets)
    detail = _timed(client, [f"/assets/{detailed[n % len(detailed)]}" for n in range(requests)])
    start = time.perf_counter()
    response = client.get("/exports/assets.csv", buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    first_byte = time.perf_counter() - start
    size = len(first) + sum(len(c) for c in chunks)
    response.close()
    csv_total = time.perf_counter() - start
    assert size > assets * 50
    return {"list_p95_ms": _p95(listed), "filtered_p95_ms": _p95(filtered), "detail_p95_ms": _p95(detail),
            "csv_first_byte_s": round(first_byte, 3), "csv_total_s": round(csv_total, 2)}


def measure_xlsx(url: str) -> dict:
    """In its own process, so that the peak RSS is this export's."""
    client = _client(url)
    start = time.perf_counter()
    response = client.get("/exports/assets.xlsx")
    elapsed = time.perf_counter() - start
    assert response.status_code == 200 and response.data[:2] == b"PK"
    return {"xlsx_s": round(elapsed, 1), "xlsx_bytes": len(response.data),
            "xlsx_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


BULK_EXCEPTIONS = 10_000


def measure_bulk_ack(url: str, count: int = BULK_EXCEPTIONS) -> dict:
    """Acknowledge ``count`` exceptions through the web route as an operator: "everything matching
    this filter" (kind=missing), the confirmation page with its count, then the confirmed post.
    The exceptions have no workflow yet, so the bulk action also opens ``count`` resolution
    workflows and completes their triage task: the most a bulk acknowledge does."""
    from sqlalchemy import func, select

    from collector.access.audit_log import verify_chain
    from collector.access.users import create_user
    from collector.db import Database
    from collector.models import AuditException

    db = Database(url)
    with db.write() as session:
        create_user(session, "operator", "operator", PASSWORD)
        _batched(session, AuditException, [
            {"kind": "missing", "status": "open", "open_key": f"missing:bench:{n}", "summary": f"CI {n} not seen",
             "evidence": {}, "fingerprint": "", "opened_at": NOW + timedelta(seconds=n), "updated_at": NOW}
            for n in range(count)])
    client = _client(url, "operator")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/exceptions").get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "scope": "matching", "action": "acknowledge", "note": "bench: known and planned"}
    target = "/exceptions/bulk?kind=missing&status=open"
    start = time.perf_counter()
    confirm = client.post(target, data=form)
    confirm_s = time.perf_counter() - start
    assert confirm.status_code == 200 and f'name="confirmed" value="{count}"' in confirm.get_data(as_text=True)
    cpu, start = _cpu_s(), time.perf_counter()
    done = client.post(target, data={**form, "confirmed": str(count)})
    elapsed, cpu = time.perf_counter() - start, _cpu_s() - cpu
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    with db.session() as session:
        acknowledged = session.scalar(select(func.count()).select_from(AuditException)
                                      .where(AuditException.kind == "missing", AuditException.status == "acknowledged"))
        assert acknowledged == count, acknowledged
        assert verify_chain(session).ok
    db.dispose()
    # The collector process's own CPU time: on a shared machine the wall time also counts waiting for a core.
    return {"bulk_ack_count": count, "bulk_ack_confirm_ms": round(confirm_s * 1000, 1),
            f"bulk_ack_{count}_s": round(elapsed, 2), f"bulk_ack_{count}_cpu_s": round(cpu, 2),
            "load_avg": round(os.getloadavg()[0], 1)}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="10,000 assets and 20 requests each, for a first look")
    parser.add_argument("--assets", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--xlsx", help=argparse.SUPPRESS)  # internal: the child process
    parser.add_argument("--only", choices=["bulk"], help="only this measure (on an empty register)")
    args = parser.parse_args()
    if args.xlsx:
        print(json.dumps(measure_xlsx(args.xlsx)))
        return
    assets = args.assets or (10_000 if args.quick else 100_000)
    requests = args.requests or (20 if args.quick else 50)
    with tempfile.TemporaryDirectory() as workdir:
        url, drop = _prepare_database(args.db, Path(workdir))
        try:
            if args.only == "bulk":
                from collector.db import Database
                from collector.migrate import upgrade

                upgrade(Database(url).engine)
                print(json.dumps({"db": args.db, **measure_bulk_ack(url)}))
                return
            started = time.perf_counter()
            generate(url, assets)
            print(f"generated {assets} assets in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            figures = measure(url, assets, requests)
            child = subprocess.run([sys.executable, __file__, "--xlsx", url], capture_output=True, text=True, check=True)
            figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
            figures.update(measure_bulk_ack(url))
        finally:
            drop()
    targets = {"list_p95_ms": 300, "filtered_p95_ms": 300, "detail_p95_ms": 200, "csv_first_byte_s": 1,
               "xlsx_s": 60, "xlsx_peak_rss_mb": 500, "bulk_ack_10000_s": 10}
    figures["targets_met"] = all(figures[k] <= v for k, v in targets.items())
    print(json.dumps({"db": args.db, "assets": assets, "requests": requests, **figures}))


if __name__ == "__main__":
    main()
