"""The web UI at fleet scale: 100,000 assets, each matched to a CI in the register.

Measured in-process through Flask's test client (server time: routing, queries, templates;
no network), signed in as an auditor:
  list      the assets page, first page (p95 of N requests);
  filtered  the assets page with filters: class + status, a location substring, a host-name
            search, each sorted differently (p95 of N, rotating through them);
  detail    one asset with 1,500 packages, NICs, observations, match and exceptions (p95 of N);
  csv       the asset register export: time to the first byte, and to the last;
  xlsx      the asset register as XLSX (openpyxl write-only) in a fresh process, with its peak RSS;
  search    the global search (/search?q=) over 100,000 assets, 100,000 CIs (10,000 of them CI-only
            hosts) and 100,000 discovered devices, rotating through identifier types: CI tag, serial
            (as stored and lower-cased), MAC in four notations, device IP, IP prefix, host-name
            prefix, user, software title (p95 of N). Device MACs and IPs are synthetic (198.18.0.0/15);
            nothing is sent anywhere.
  ci page   one CI (/cis/<id>): register, authoritative attributes, match, relationships,
            exceptions, workflows, history (p95 of N over CIs with state, a relationship and a drift).
  sorted    the big lists (assets, exceptions and, once seeded, devices), first page sorted by
            each sortable column both ways (p95 over all of them; issue 14).
Exceptions are topped up to one per asset (100,000: drift, missing, duplicate; open or
acknowledged; assigned to one of five operators or to nobody) so the queue is as long as the fleet.
Only the assets opened in detail get software links (1,500 each); the list and the exports do
not read software, so the other assets' links would only cost generation time.

  bulk      acknowledge 10,000 exceptions as an operator through the exceptions page's bulk
            form, "everything matching this filter" (measure_bulk_ack).

    python bench/web.py [--db sqlite|postgresql] [--quick] [--only bulk]

The last line is JSON with assets, list_p95_ms, filtered_p95_ms, detail_p95_ms,
csv_first_byte_s, csv_total_s, xlsx_s, xlsx_peak_rss_mb, search_p95_ms (and search_miss_p95_ms,
search_p95_cpu_ms), ci_page_p95_ms, sorted_list_p95_ms (and sorted_list_per_list_p95_ms: the same per list),
bulk_ack_confirm_ms, bulk_ack_10000_s.
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
    _analyze(db)
    db.dispose()


def generate_search_records(url: str, assets: int, seed: int = 7) -> None:
    """What the global search needs on top of the register: as many devices as assets, CI-only
    hosts up to as many CIs as assets, and a user on every asset."""
    from sqlalchemy import String, cast, update

    from collector.db import Database
    from collector.models import Asset, Device
    from collector.models.cmdb import ConfigurationItem

    rng = random.Random(seed)
    db = Database(url)
    with db.write() as session:
        session.execute(update(Asset).values(primary_user="user" + cast(Asset.id, String)))
        cis = [{"id": assets + i, "asset_tag": f"CI-{i:07d}", "name": f"CI-only host {i}", "hostname": f"cionly-{i:06d}",
                "ci_class": rng.choice(CLASSES), "status": "deployed", "assigned_user": f"person{i}",
                "ip": _device_ip(assets + i), "source": "import", "created_at": NOW, "updated_at": NOW}
               for i in range(1, assets // 10 + 1)]
        _batched(session, ConfigurationItem, cis)
        devices = [{"id": i, "mac": _device_mac(i), "ip": _device_ip(i), "sys_name": f"dev-{i:06d}" if i % 3 else None,
                    "serial": f"DS{i:08d}" if i % 4 == 0 else None, "vendor": rng.choice(["Cisco", "HP", "Brother", None]),
                    "device_type": rng.choice(["switch", "printer", "phone", None]), "found_by": ["arp"],
                    "first_seen_at": NOW, "last_seen_at": NOW}
                   for i in range(1, assets + 1)]
        _batched(session, Device, devices)
    _analyze(db)
    db.dispose()


def _device_mac(i: int) -> str:
    return f"02:5e:{i >> 24 & 255:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"


def _device_ip(i: int) -> str:
    return f"198.{18 + (i >> 16 & 1)}.{i >> 8 & 255}.{i & 255}"


def _search_queries(assets: int, count: int) -> list[str]:
    """A rotating mix of identifier types, each aimed at a different record."""
    rng = random.Random(11)
    queries = []
    for n in range(count):
        i = rng.randint(1, assets)
        mac = f"3c5282{i >> 16 & 255:02x}{i >> 8 & 255:02x}{i & 255:02x}"
        queries.append([
            f"AT-{i - i % 10 + 1:07d}", f"SN{i:09d}", f"sn{i:09d}", ":".join(mac[k:k + 2] for k in range(0, 12, 2)),
            "-".join(mac[k:k + 2] for k in range(0, 12, 2)).upper(), ".".join(mac[k:k + 4] for k in range(0, 12, 4)),
            mac.upper(), _device_ip(i), _device_ip(i).rsplit(".", 1)[0] + ".", f"lt-{i // 100:04d}", f"user{i}",
            f"package-{i % 300 + 1}", f"CI-{max(1, i // 10):07d}", f"cionly-{max(1, i // 10):06d}", f"dev-{i if i % 3 else i - 1:06d}",
        ][n % 15])
    return queries


def measure_search(url: str, assets: int, requests: int) -> dict:
    from urllib.parse import quote

    client = _client(url)
    client.get("/search?q=warm")
    queries = _search_queries(assets, max(requests, 150))
    samples, cpu = [], []
    for query in queries:
        cpu_started = time.process_time()
        samples += _timed(client, [f"/search?q={quote(query)}"])
        cpu.append(time.process_time() - cpu_started)
    # Text that matches nothing whole or by its start: the substring fallback scans the name fields.
    misses = _timed(client, [f"/search?q=nowhere-{n}" for n in range(20)])
    # This process's CPU time per search: on SQLite that includes the queries, and unlike the
    # wall time it does not grow with other work on a shared machine.
    return {"search_p95_ms": _p95(samples), "search_requests": len(samples), "search_miss_p95_ms": _p95(misses),
            "search_p95_cpu_ms": _p95(cpu)}


def generate_exceptions(url: str, assets: int, seed: int = 11) -> None:
    """Top the exception queue up to one per asset, with the variety the sort keys read."""
    from sqlalchemy import func, select

    from collector.access.users import create_user
    from collector.db import Database
    from collector.models.reconcile import AuditException

    rng = random.Random(seed)
    db = Database(url)
    with db.write() as session:
        operators = [create_user(session, f"operator{n}", "operator", PASSWORD).id for n in range(5)]
        have = session.scalar(select(func.count()).select_from(AuditException)) or 0
        rows = []
        for i in range(1, assets + 1):
            if i % 10 == 0 or len(rows) + have >= assets:
                continue  # the unregistered tenth has its "unmanaged" exception already
            kind = rng.choice(("drift", "drift", "missing", "duplicate"))
            acknowledged = rng.random() < 0.3
            rows.append({"kind": kind, "status": "acknowledged" if acknowledged else "open",
                         "open_key": f"{kind}:{i}", "ci_id": i, "subject_type": "asset", "subject_id": i,
                         "summary": f"{kind} on CI AT-{i:07d}: {rng.choice(('hostname', 'serial', 'location'))} differs",
                         "evidence": {}, "fingerprint": "", "assignee_id": rng.choice([*operators, None, None]),
                         "opened_at": NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 90)), "updated_at": NOW})
        _batched(session, AuditException, rows)
    _analyze(db)
    db.dispose()


def _analyze(db) -> None:
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with db.autocommit() as connection:
            connection.exec_driver_sql("ANALYZE")


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


# Each list's sortable columns (the page's own sort keys, so a key added there is measured here).
def _sorted_paths(name: str, keys, extra: str = "") -> list[str]:
    return [f"/{name}?{extra}sort={'-' if descending else ''}{key}" for key in keys for descending in (False, True)]


def sorted_asset_paths() -> list[str]:
    from collector.queries.asset_register import SORTS

    return _sorted_paths("assets", SORTS)


def sorted_exception_paths() -> list[str]:
    from collector.workflows.triage import QUEUE_SORTS

    return _sorted_paths("exceptions", QUEUE_SORTS, "status=all&")


def sorted_device_paths(url: str) -> list[str]:
    """Hook for the devices list: measured once the bench seeds discovered devices (helper B's
    100,000); with none seeded its timings would say nothing, so it is left out."""
    from sqlalchemy import func, select

    from collector.db import Database
    from collector.models import Device
    from collector.queries.devices import DEVICE_SORTS

    db = Database(url)
    with db.session() as session:
        devices = session.scalar(select(func.count()).select_from(Device)) or 0
    db.dispose()
    return _sorted_paths("devices", DEVICE_SORTS) if devices else []


def measure_sorted_lists(url: str, requests: int) -> dict:
    """p95 of first pages sorted by every column both ways, over the big lists together and each."""
    client = _client(url)
    lists = {"assets": sorted_asset_paths(), "exceptions": sorted_exception_paths(),
             "devices": sorted_device_paths(url)}
    per_list, everything = {}, []
    for name, paths in lists.items():
        if not paths:
            continue
        _timed(client, paths)  # warm each statement once
        rounds = max(1, requests // len(paths))
        samples = _timed(client, paths * rounds)
        per_list[name] = _p95(samples)
        everything += samples
    return {"sorted_list_p95_ms": _p95(everything), "sorted_list_per_list_p95_ms": per_list,
            "sorted_list_requests": len(everything)}


def measure_xlsx(url: str) -> dict:
    """In its own process, so that the peak RSS is this export's."""
    client = _client(url)
    start = time.perf_counter()
    response = client.get("/exports/assets.xlsx")
    elapsed = time.perf_counter() - start
    assert response.status_code == 200 and response.data[:2] == b"PK"
    return {"xlsx_s": round(elapsed, 1), "xlsx_bytes": len(response.data),
            "xlsx_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def seed_ci_pages(url: str, assets: int) -> list[int]:
    """What a CI page shows beyond the register row, for the CIs the page measure opens: the
    authoritative state a run stores, a runs_on relationship and an open drift."""
    from collector.db import Database
    from collector.models.cmdb import CiRelationship
    from collector.models.reconcile import AuditException, CiState

    ids = [i for i in _detailed(assets) if i % 10] or [1]
    seen = NOW.isoformat(timespec="seconds")
    db = Database(url)
    with db.write() as session:
        _batched(session, CiState, [{"ci_id": i, "fingerprint": "", "last_seen_at": NOW, "observed": {
            "hostname": [f"host-{i}", "agent", seen], "serial": [f"SN{i:09d}", "agent", seen],
            "location": ["Leeds floor 3", "cmdb", None]}} for i in ids])
        _batched(session, CiRelationship, [{"ci_id": i, "kind": "runs_on", "target_ci_id": ids[0], "source": "import",
                                            "created_at": NOW} for i in ids if i != ids[0]])
        _batched(session, AuditException, [{
            "kind": "drift", "status": "open", "open_key": f"drift:ci:{i}", "ci_id": i,
            "summary": f"CI {i} (AT-{i:07d}): the register differs from what was observed (hostname)",
            "evidence": {"differences": [{"attribute": "hostname", "cmdb": f"old-{i}", "observed": f"host-{i}",
                                          "source": "agent", "from": f"agent report at {seen}"}]},
            "fingerprint": "", "opened_at": NOW, "updated_at": NOW} for i in ids])
    db.dispose()
    return ids


def measure_ci_page(url: str, ci_ids: list[int], requests: int) -> dict:
    client = _client(url)
    client.get(f"/cis/{ci_ids[0]}")  # warm the template
    samples = _timed(client, [f"/cis/{ci_ids[n % len(ci_ids)]}" for n in range(requests)])
    return {"ci_page_p95_ms": _p95(samples)}


BULK_EXCEPTIONS = 10_000


def measure_bulk_ack(url: str, count: int = BULK_EXCEPTIONS) -> dict:
    """Acknowledge ``count`` exceptions through the web route as an operator: "everything matching
    this filter" (kind=conflict, which no other seeding step raises), the confirmation page with its count, then the confirmed post.
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
            {"kind": "conflict", "status": "open", "open_key": f"conflict:bench:{n}", "summary": f"bench conflict {n}",
             "evidence": {}, "fingerprint": "", "opened_at": NOW + timedelta(seconds=n), "updated_at": NOW}
            for n in range(count)])
    client = _client(url, "operator")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/exceptions").get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "scope": "matching", "action": "acknowledge", "note": "bench: known and planned"}
    target = "/exceptions/bulk?kind=conflict&status=open"
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
                                      .where(AuditException.kind == "conflict", AuditException.status == "acknowledged"))
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
            generate_exceptions(url, assets)
            print(f"generated {assets} assets in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            generate_search_records(url, assets)
            figures = measure(url, assets, requests)
            figures.update(measure_search(url, assets, requests))
            figures.update(measure_ci_page(url, seed_ci_pages(url, assets), requests))
            figures.update(measure_sorted_lists(url, requests))
            child = subprocess.run([sys.executable, __file__, "--xlsx", url], capture_output=True, text=True, check=True)
            figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
            figures.update(measure_bulk_ack(url))
        finally:
            drop()
    targets = {"list_p95_ms": 300, "filtered_p95_ms": 300, "detail_p95_ms": 200, "csv_first_byte_s": 1,
               "xlsx_s": 60, "xlsx_peak_rss_mb": 500, "search_p95_ms": 150, "ci_page_p95_ms": 200,
               "sorted_list_p95_ms": 300, "bulk_ack_10000_s": 10}
    figures["targets_met"] = all(figures[k] <= v for k, v in targets.items())
    print(json.dumps({"db": args.db, "assets": assets, "requests": requests, **figures}))


if __name__ == "__main__":
    main()
