"""Profile a bulk acknowledge in-process: the service call alone, without the web layer.

    python bench/bulk_profile.py [--db sqlite|postgresql] [--count 10000] [--profile] [--sort tottime]

Adds ``count`` open "missing" exceptions (no workflow yet) to an empty database, then times
``bulk_triage(… "acknowledge", everything matching …)`` in one transaction: wall and CPU
seconds and the load average as JSON, and with ``--profile`` the cProfile table (45 rows).
The audit chain is verified afterwards. bench/web.py's ``--only bulk`` measures the same
through the web route.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import NOW, PASSWORD, _batched, _prepare_database  # noqa: E402


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(url: str, count: int, profile: cProfile.Profile | None) -> dict:
    from collector.access.audit_log import Actor, verify_chain
    from collector.access.users import create_user
    from collector.db import Database
    from collector.migrate import upgrade
    from collector.models import AuditException
    from collector.workflows.bulk_triage import QueueFilter, Selection, bulk_triage
    from collector.workflows.triage_workflow import templates_or_shipped

    db = Database(url)
    upgrade(db.engine)
    with db.write() as session:
        user_id = create_user(session, "operator", "operator", PASSWORD).id
        _batched(session, AuditException, [
            {"kind": "missing", "status": "open", "open_key": f"missing:bench:{n}", "summary": f"CI {n} not seen",
             "evidence": {}, "fingerprint": "", "opened_at": NOW + timedelta(seconds=n), "updated_at": NOW}
            for n in range(count)])
    templates = templates_or_shipped(None)
    selection = Selection(matching=QueueFilter(kind="missing", status="open"), confirmed=count)
    cpu, start = _cpu_s(), time.perf_counter()
    if profile:
        profile.enable()
    with db.write() as session:
        result = bulk_triage(session, "acknowledge", selection, Actor(user_id, "operator", "bench"),
                             note="bench: known and planned", templates=templates)
    if profile:
        profile.disable()
    elapsed, cpu = time.perf_counter() - start, _cpu_s() - cpu
    with db.session() as session:
        assert result.changed == count and verify_chain(session).ok
    db.dispose()
    return {"count": count, "bulk_ack_s": round(elapsed, 2), "bulk_ack_cpu_s": round(cpu, 2),
            "load_avg": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as workdir:
        url, drop = _prepare_database(args.db, Path(workdir))
        try:
            print(json.dumps({"db": args.db, **run(url, args.count, profile)}))
        finally:
            drop()
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(45)


if __name__ == "__main__":
    main()
