"""Inventory ingest throughput through the production server command, over loopback.

Realistic reports (1,500 packages each, drawn from a shared pool so most repeat across
hosts) are POSTed gzip-compressed to gunicorn serving a fresh database:
  first-time  each agent's first report (asset, catalogue links, NICs, disks created);
  unchanged   the same content again under a new report id (timestamps only);
  changed     20 packages differ from the agent's last report (set difference applied).
Prints reports/s per phase and p50/p99 latency over all requests; the last line is JSON.

    python bench/ingest.py --db sqlite|postgresql [--quick]

Anchor (not run here; measured once on this machine before Stocktake existed): the Debian
OCS Inventory server (Apache/mod_perl + MariaDB) took ~1.4 s per inventory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Collector, post_all, prepare_database, wait_facts_drained  # noqa: E402
from tests.factories import ReportFactory  # noqa: E402

def _enroll_agents(url: str, count: int) -> list[tuple[str, str]]:
    from collector.access.enrollment import create_enrollment_secret, enroll_agent
    from collector.db import Database
    from collector.migrate import upgrade
    from common.schema import EnrollRequest

    db = Database(url)
    upgrade(db.engine)
    agents = []
    with db.write() as session:
        secret = create_enrollment_secret(session, "bench").secret
        for n in range(count):
            enrolled = enroll_agent(session, EnrollRequest(enroll_secret=secret, hostname=f"bench-{n}"))
            agents.append((enrolled.agent_id, enrolled.node_key))
    db.dispose()
    return agents


def _bodies(agents, software: int, changed_packages: int, rounds: int):
    """Pre-built gzip bodies per phase, so the client spends no CPU on JSON during the run."""
    factory = ReportFactory(seed=11, pool_size=max(6000, software * 4))
    first, unchanged, changed = [], [], []
    for n, (agent_id, key) in enumerate(agents):
        report = factory.report(agent_id, software_count=software, host_seed=n)
        first.append((key, gzip.compress(json.dumps(report).encode(), 6)))
        for _ in range(rounds):
            again = {**report, "report_id": str(uuid.uuid4())}
            unchanged.append((key, gzip.compress(json.dumps(again).encode(), 6)))
        upgraded = json.loads(json.dumps(report))
        upgraded["report_id"] = str(uuid.uuid4())
        for package in upgraded["software"][:changed_packages]:
            package["version"] += "+b1"
        changed.append((key, gzip.compress(json.dumps(upgraded).encode(), 6)))
    return first, unchanged, changed


def _run_phase(port: int, bodies, clients: int, expect: str) -> tuple[float, list[float]]:
    """Send every body once from `clients` keep-alive connections; return the wall time (until the
    reconciliation the reports caused has run too: it is batched after the answers) and latencies."""
    requests = [("/api/v1/inventory", {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                       "Content-Encoding": "gzip"}, body) for key, body in bodies]
    wall, latencies = post_all(port, requests, clients,
                               lambda _request, status, payload: status == 201 and json.loads(payload)["status"] == expect)
    return wall + wait_facts_drained(port), latencies


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="fewer agents, for CI and a first look")
    parser.add_argument("--agents", type=int, help="simulated agents (default 400, quick 60)")
    parser.add_argument("--software", type=int, default=1500, help="packages per report")
    parser.add_argument("--changed-packages", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=3, help="threads per gunicorn worker")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client connections")
    args = parser.parse_args()
    agents_count = args.agents or (60 if args.quick else 400)
    rounds = 2 if args.quick else 3

    with tempfile.TemporaryDirectory(prefix="stocktake-bench-") as tmp:
        workdir = Path(tmp)
        url, cleanup = prepare_database(args.db, workdir)
        try:
            agents = _enroll_agents(url, agents_count)
            print(f"preparing {agents_count} agents x {args.software} packages ...", flush=True)
            first, unchanged, changed = _bodies(agents, args.software, args.changed_packages, rounds)
            # Shedding off: this bench measures what ingest sustains, and counts any refusal as a failure.
            server = Collector(url, workdir, args.workers, args.threads, extra_env={"STOCKTAKE_SHED_QUEUE_WAIT_MS": "0"})
            try:
                first_wall, first_lat = _run_phase(server.port, first, args.clients, "stored")
                unchanged_wall, unchanged_lat = _run_phase(server.port, unchanged, args.clients, "unchanged")
                changed_wall, changed_lat = _run_phase(server.port, changed, args.clients, "stored")
            finally:
                server.stop()
        finally:
            cleanup()

    all_latencies = first_lat + unchanged_lat + changed_lat
    figures = {
        "db": args.db,
        "agents": agents_count,
        "software_per_report": args.software,
        "body_kib": round(statistics.mean(len(b) for _, b in first) / 1024, 1),
        "first_rps": round(len(first) / first_wall, 1),
        "unchanged_rps": round(len(unchanged) / unchanged_wall, 1),
        "changed_rps": round(len(changed) / changed_wall, 1),
        "p50_ms": round(_percentile(all_latencies, 0.50) * 1000, 1),
        "p99_ms": round(_percentile(all_latencies, 0.99) * 1000, 1),
        "first_p99_ms": round(_percentile(first_lat, 0.99) * 1000, 1),
        "unchanged_p99_ms": round(_percentile(unchanged_lat, 0.99) * 1000, 1),
        "changed_p99_ms": round(_percentile(changed_lat, 0.99) * 1000, 1),
        "server": f"gunicorn gthread {args.workers}x{args.threads}",
        "clients": args.clients,
        "ocs_server_s_per_inventory_recorded": 1.4,
    }
    print(f"first-time : {figures['first_rps']:>7} reports/s   (p99 {figures['first_p99_ms']} ms)")
    print(f"unchanged  : {figures['unchanged_rps']:>7} reports/s   (p99 {figures['unchanged_p99_ms']} ms)")
    print(f"changed    : {figures['changed_rps']:>7} reports/s   (p99 {figures['changed_p99_ms']} ms)")
    print(f"latency    : p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms over {len(all_latencies)} requests")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
