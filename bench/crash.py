"""R1: reports keep flowing while collector workers are SIGKILLed and PostgreSQL crashes.

200 agents (the agent's own spool and delivery code, one thread each) send 50 reports each
(10,000 in all; a third of them with changed packages) to gunicorn on a PostgreSQL of this
script's own (initdb in a temporary directory, its own port; the machine's shared server is
never touched). Meanwhile a chaos thread SIGKILLs a random gunicorn worker 5 times and crashes
PostgreSQL once (``pg_ctl stop -m immediate``: no checkpoint, recovery at restart) and starts
it again. Agents retry what failed, as they do in the field, until their spools are empty.

Then, from the database: lost (made, but neither stored nor still spooled), duplicated (stored
twice: observation report counts above receipts), and half-written rows (a receipt without its
observation, an agent with several assets or none, an asset whose software links differ from its
latest stored report's package list).

    python bench/crash.py [--agents 200 --reports 50 --kills 5] [--quick]

The last line is one JSON object. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.delivery import Backoff, KeyKeeper, deliver_spool  # noqa: E402
from agent.state import AgentIdentity  # noqa: E402
from bench.fleet import Fleet, SimAgent, TimedClient, _no_enrolment, account, seed_agents, summarise  # noqa: E402
from bench.harness import Collector  # noqa: E402
from tests.factories import ReportFactory  # noqa: E402


def private_postgres():
    """tests/pgserver.py's server, outside pytest (its skip becomes a clear exit)."""
    from tests.pgserver import PrivatePostgres

    try:
        server = PrivatePostgres.create()
    except BaseException as exc:  # pytest's Skipped derives from BaseException
        if type(exc).__name__ == "Skipped":
            raise SystemExit(f"crash bench: {exc}") from None
        raise
    server.start()
    return server


def run_agent(fleet: Fleet, agent: SimAgent, reports: int, deadline: float, rng: random.Random) -> None:
    """One agent: a report, spooled then delivered, 50 times; retries until its spool is empty."""
    agent.ensure_state()
    spool = fleet.spool(agent)
    keys = KeyKeeper(AgentIdentity(agent.agent_id, agent.node_key), _no_enrolment)
    client = TimedClient(fleet.url, fleet.recorder, agent.index)
    for _ in range(reports):
        spool.put_encoded(*fleet.report(agent, change=rng.random() < 0.3))
        deliver_spool(spool, client, keys, budget_s=30, backoff=Backoff(base_s=0.2, cap_s=5.0))
        time.sleep(rng.uniform(0, 0.05))
    while spool.pending() and time.monotonic() < deadline:  # the next cycles, as the daemon would run them
        time.sleep(rng.uniform(0.5, 2.0))
        deliver_spool(spool, client, keys, budget_s=30, backoff=Backoff(base_s=0.2, cap_s=5.0))


def _recorded(target, crashed: list[str]):
    """``target`` with any exception it raises appended to ``crashed`` (and its traceback on stderr)."""
    import traceback

    def run(*args):
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 - a bench figure, not error handling
            crashed.append(f"{type(exc).__name__}: {exc}"[:300])
            traceback.print_exc()

    return run


def chaos(collector: Collector, postgres, kills: int, every_s: float, stop: threading.Event, log: list) -> None:
    import psutil

    rng = random.Random(5)
    for n in range(kills):
        if stop.wait(every_s):
            return
        workers = psutil.Process(collector.process.pid).children()
        if workers:
            victim = rng.choice(workers)
            os.kill(victim.pid, signal.SIGKILL)
            log.append(f"SIGKILL worker {victim.pid}")
        if n == kills // 2:
            postgres.stop("immediate")
            log.append("PostgreSQL crashed (stop -m immediate)")
            stop.wait(3)
            postgres.start()
            log.append("PostgreSQL restarted")


def _payload(stored: bytes) -> dict:
    """An observation's stored report (gzip from the ingest path, zlib in older rows)."""
    return json.loads(gzip.decompress(stored) if stored[:2] == b"\x1f\x8b" else zlib.decompress(stored))


def half_written(url: str, agents: list[SimAgent]) -> dict:
    """Rows that only part of a transaction could have left behind."""
    from sqlalchemy import func, select

    from collector.db import Database
    from collector.ingest.software import _raw_identity, software_key
    from collector.models import Asset, AssetSoftware, Observation, ReportReceipt, Software

    db = Database(url)
    problems = {"receipt_without_observation": 0, "agents_without_one_asset": 0, "software_links_differ": 0}
    with db.session() as session:
        problems["receipt_without_observation"] = session.scalar(
            select(func.count()).select_from(ReportReceipt)
            .where(ReportReceipt.outcome.in_(("stored", "unchanged")), ReportReceipt.observation_id.is_(None))) or 0
        for agent in agents:
            assets = session.scalars(select(Asset.id).where(Asset.agent_id == agent.agent_id)).all()
            if len(assets) != 1:
                problems["agents_without_one_asset"] += 1
                continue
            latest = session.scalars(select(Observation).where(Observation.asset_id == assets[0])
                                     .order_by(Observation.last_collected_at.desc()).limit(1)).first()
            payload = _payload(latest.payload) if latest is not None and latest.payload else {}
            linked = set(session.scalars(select(Software.key).join(AssetSoftware, AssetSoftware.software_id == Software.id)
                                         .where(AssetSoftware.asset_id == assets[0])))
            wanted = {software_key(_raw_identity(package)) for package in payload.get("software", [])}
            if linked != wanted:
                problems["software_links_differ"] += 1
    db.dispose()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--reports", type=int, default=50, help="reports per agent")
    parser.add_argument("--kills", type=int, default=5, help="worker SIGKILLs (PostgreSQL crashes at the middle one)")
    parser.add_argument("--software", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="50 agents x 20 reports, 3 kills")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.reports, args.kills = 50, 20, 3
    workdir = Path(tempfile.mkdtemp(prefix="stocktake-crash-"))
    postgres = private_postgres()
    collector = None
    try:
        from collector.db import Database
        from collector.migrate import upgrade

        database = Database(postgres.url)
        upgrade(database.engine)
        database.dispose()
        agents = seed_agents(postgres.url, args.agents, workdir)
        collector = Collector(postgres.url, workdir, 3, 3, extra_env={"STOCKTAKE_SHED_QUEUE_WAIT_MS": "0"})
        fleet = Fleet(collector.url, agents, ReportFactory(seed=3, pool_size=2000), args.software, 0.0, random.Random(1))
        expected_s = args.agents * args.reports / 150  # roughly the run's length at this machine's rate
        stop, events = threading.Event(), []
        chaos_thread = threading.Thread(target=chaos, args=(collector, postgres, args.kills,
                                                            max(2.0, expected_s / (args.kills + 1)), stop, events))
        started = time.monotonic()
        deadline = started + max(600, expected_s * 5)
        crashed: list[str] = []  # an agent thread that raised stops making reports: name why
        threads = [threading.Thread(target=_recorded(run_agent, crashed),
                                    args=(fleet, agent, args.reports, deadline, random.Random(agent.index)))
                   for agent in agents]
        chaos_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        chaos_thread.join()
        elapsed = time.monotonic() - started
        answers = summarise(fleet.recorder.take())
        figures = account(postgres.url, agents, fleet)
        figures.update(half_written(postgres.url, agents))
        for line in events:
            print(f"crash: {line}")
        print(f"crash: answers {json.dumps(answers)}")
        result = {"agents": args.agents, "reports": figures["made"], "stored": figures["stored"],
                  "still_spooled": figures["spooled"], "lost": figures["lost"], "duplicated": figures["duplicated"],
                  "half_written": sum(figures[k] for k in ("receipt_without_observation", "agents_without_one_asset",
                                                           "software_links_differ")),
                  **{k: figures[k] for k in ("receipt_without_observation", "agents_without_one_asset", "software_links_differ")},
                  "worker_kills": sum(e.startswith("SIGKILL") for e in events),
                  "postgres_crashes": sum(e.startswith("PostgreSQL crashed") for e in events),
                  "errors_5xx": answers["errors_5xx"], "refused_503": answers["shed"],
                  "no_connection": answers["no_connection"], "agent_threads_crashed": len(crashed),
                  "agent_thread_errors": sorted(set(crashed))[:5], "seconds": round(elapsed, 1)}
        print(json.dumps(result))
    finally:
        if collector is not None:
            collector.stop()
        postgres.remove()
        if not os.environ.get("STOCKTAKE_BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
