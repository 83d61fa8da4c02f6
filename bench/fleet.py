"""Fleet simulator: N agents running the agent's own delivery code against one collector.

Every simulated agent has a state directory (identity file, spool) and uses the agent's real
code: ``Spool`` (reports on disk before they are sent), ``deliver_spool`` with its ``Backoff``
(Retry-After honoured, retries bounded), ``check_in`` and ``CollectorClient`` (urllib, gzip),
and ``agent/pacing.py`` for when a restarted daemon first reports. Only the clock is the
simulator's: where an agent would sleep (a backoff, a Retry-After) the simulator schedules
its next attempt instead of blocking a thread, so thousands can wait at once.

Phases (PostgreSQL by default; collector = gunicorn 3x3 with the project's gunicorn config):
  seed       N agents enrolled (bulk insert of ids and key hashes, as enrolment stores them);
  warm-up    the agents due to report in the window send a first report (not measured);
  steady     R5: hourly inventories (10% with changed packages) and 15-minute check-ins at
             each agent's random phase for --minutes; p50/p95/p99, 5xx, memory growth;
  herd       R4: the collector is stopped, --herd agents spool a report during the outage,
             the collector comes back and every one of them restarts at once (a site's power
             returning); requests in the first minute against the steady rate of that many;
  burst      the same agents all sending at once, ignoring pacing (run --once pushed to every
             host): the collector must shed with 503 + Retry-After, agents must honour it;
  pair       two collectors behind one address (SO_REUSEPORT), a short steady run.
After each phase: lost (reports made but neither stored nor still spooled) and duplicated
(stored twice) from the database.

    python bench/fleet.py --agents 100000 --minutes 10 [--db postgresql|sqlite] [--quick]

The last line is one JSON object with agents, reports, p95_ms, errors_5xx, lost, duplicated,
rss_growth_pct, herd_first_minute_ratio and the rest. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.config import AgentConfig  # noqa: E402
from agent.delivery import Backoff, KeyKeeper, deliver_spool  # noqa: E402
from agent.errors import TransportError  # noqa: E402
from agent.pacing import first_checkin_delay, first_inventory_delay  # noqa: E402
from agent.spool import Spool, SpoolError  # noqa: E402
from agent.state import AgentIdentity, save_identity  # noqa: E402
from agent.transport import CollectorClient  # noqa: E402
from bench.harness import Collector, percentile, prepare_database  # noqa: E402
from tests.factories import ReportFactory  # noqa: E402

INVENTORY_S, CHECKIN_S, SPLAY_S = 3600, 900, 600
BOOTED_AT = "2026-12-01T07:30:00+00:00"


# --- what the collector answered -----------------------------------------------------------

@dataclass
class Answer:
    at: float
    agent: int
    path: str
    status: int | None  # None: no connection
    latency_s: float
    retry_after: float | None = None


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[Answer] = []

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def take(self) -> list[Answer]:
        with self.lock:
            answers, self.answers = self.answers, []
        return answers


class TimedClient(CollectorClient):
    """The agent's transport, with each request's status and latency recorded."""

    def __init__(self, base_url: str, recorder: Recorder, agent: int) -> None:
        super().__init__(base_url, None, 30)
        self.recorder, self.agent = recorder, agent

    def _post(self, path, raw, bearer, compressed=False):
        started = time.monotonic()
        try:
            answer = super()._post(path, raw, bearer, compressed)
        except TransportError as exc:
            self.recorder.add(Answer(started, self.agent, path, exc.status, time.monotonic() - started, exc.retry_after))
            raise
        self.recorder.add(Answer(started, self.agent, path, 200, time.monotonic() - started))
        return answer


class Deferred(Exception):
    """Raised by the simulator's sleep: the agent would wait this long, so its attempt is rescheduled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def _defer(seconds: float) -> None:
    raise Deferred(seconds)


# --- the simulated agents ------------------------------------------------------------------

@dataclass
class SimAgent:
    index: int
    agent_id: str
    node_key: str
    state_dir: Path
    generation: int = 0
    made: list[str] = field(default_factory=list)

    def config(self, url: str) -> AgentConfig:
        return AgentConfig(server_url=url, state_dir=str(self.state_dir), spool_max_reports=50, delivery_budget_s=120)

    def ensure_state(self) -> None:
        if not (self.state_dir / "identity.json").exists():
            save_identity(self.state_dir, AgentIdentity(self.agent_id, self.node_key))


class ReportEncoder:
    """Each simulated host's inventory as the agent's spool stores it (compact JSON, gzip),
    made in microseconds so that the machine's cores measure the collector, not the inventory
    work 100,000 fleet machines would each do on their own CPU.

    Hosts run one of ``PROFILES`` software images (a fleet is built from a few); a host's
    generation N upgrades 20 packages of its image. The compressor state after an image's
    package list is kept per (image, generation) and copied for each report, so only the
    host's own fields and the per-report values (id, time) are compressed each time. The
    body is what the agent would send, keys in another order (JSON objects are unordered);
    a host's boot time is fixed, as it is between reports of a machine that did not reboot.
    """

    PROFILES = 32

    def __init__(self, factory: ReportFactory, software: int) -> None:
        self.factory, self.software = factory, software
        self._images: dict[tuple[int, int], tuple[bytes, object]] = {}
        self._lock = threading.Lock()

    def _image(self, profile: int, generation: int) -> tuple[bytes, object]:
        with self._lock:
            cached = self._images.get((profile, generation))
            if cached is None:
                packages = [dict(package) for package in self.factory.software(self.software, profile)]
                for package in packages[: 20 if generation else 0]:
                    package["version"] += f"+sim{generation}"
                compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
                head = compressor.compress(b'{"software":' + json.dumps(packages, separators=(",", ":")).encode())
                cached = self._images[(profile, generation)] = (head, compressor)
            return cached

    def encode(self, agent: SimAgent) -> tuple[str, bytes]:
        head, compressor = self._image(agent.index % self.PROFILES, agent.generation)
        host = self.factory.report(agent.agent_id, software_count=0, host_seed=agent.index)
        for volatile in ("software", "report_id", "collected_at"):
            del host[volatile]
        host["os"]["boot_time"] = BOOTED_AT
        report_id = str(uuid.uuid4())
        tail = json.dumps(host, separators=(",", ":"))[1:-1] + "," + json.dumps(
            {"report_id": report_id, "collected_at": datetime.now(timezone.utc).isoformat()}, separators=(",", ":"))[1:]
        copy = compressor.copy()
        return report_id, head + copy.compress(b"," + tail.encode()) + copy.flush()



class Fleet:
    def __init__(self, url: str, agents: list[SimAgent], factory: ReportFactory, software: int,
                 changed_share: float, rng: random.Random) -> None:
        self.url, self.agents = url, agents
        self.encoder = ReportEncoder(factory, software)
        self.changed_share, self.rng = changed_share, rng
        self.recorder = Recorder()
        self.made_lock = threading.Lock()

    def report(self, agent: SimAgent, change: bool) -> tuple[str, bytes]:
        """The agent's next inventory (report id, gzip body): the same host every hour, a few
        packages upgraded now and then."""
        if change:
            agent.generation += 1
        report_id, body = self.encoder.encode(agent)
        with self.made_lock:
            agent.made.append(report_id)
        return report_id, body

    def spool(self, agent: SimAgent) -> Spool:
        config = agent.config(self.url)
        return Spool(Path(config.state_dir) / "spool", config.spool_max_bytes, config.spool_max_reports)

    def inventory(self, agent: SimAgent, new_report: bool, change: bool | None = None) -> float | None:
        """One inventory cycle as agent/cycle.py runs it; returns a delay when the agent must come back."""
        agent.ensure_state()
        spool = self.spool(agent)
        if new_report:
            change = self.rng.random() < self.changed_share if change is None else change
            try:
                spool.put_encoded(*self.report(agent, change))
            except SpoolError as exc:
                print(f"fleet: agent {agent.index} cannot spool: {exc}", file=sys.stderr)
        return self.deliver(agent, spool)

    def deliver(self, agent: SimAgent, spool: Spool) -> float | None:
        client = TimedClient(self.url, self.recorder, agent.index)
        keys = KeyKeeper(AgentIdentity(agent.agent_id, agent.node_key), _no_enrolment)
        try:
            deliver_spool(spool, client, keys, budget_s=120, backoff=Backoff(), sleep=_defer)
        except Deferred as wait:
            return wait.seconds
        return None

    def checkin(self, agent: SimAgent) -> None:
        from agent.checkin import check_in

        agent.ensure_state()
        check_in(agent.config(self.url), TimedClient(self.url, self.recorder, agent.index))


def _no_enrolment(_previous):
    raise TransportError("simulated agents do not re-enrol")


def seed_agents(url: str, count: int, workdir: Path) -> list[SimAgent]:
    """Enrolled agents as enrolment stores them (id, SHA-256 of the node key), in one bulk insert."""
    from sqlalchemy import insert

    from collector.access.credentials import NODE_KEY_PREFIX, generate, hash_credential
    from collector.db import Database
    from collector.models import Agent, utcnow

    agents, rows, now = [], [], utcnow()
    for index in range(count):
        agent_id, key = str(uuid.uuid4()), generate(NODE_KEY_PREFIX)
        agents.append(SimAgent(index, agent_id, key, workdir / "agents" / f"{index:06d}"))
        rows.append({"id": agent_id, "node_key_hash": hash_credential(key), "hostname": f"host-{index:05d}",
                     "platform": "linux", "enrolled_at": now, "key_issued_at": now, "reports_dropped": 0})
    db = Database(url)
    with db.write() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Agent), rows[start:start + 5000])
    db.dispose()
    return agents


# --- the event loop ------------------------------------------------------------------------

class Simulation:
    """Events at simulated agents' times, run by a thread pool; late starts are measured, not hidden."""

    def __init__(self, fleet: Fleet, clients: int) -> None:
        self.fleet = fleet
        self.pool = ThreadPoolExecutor(max_workers=clients)
        self.heap: list = []
        self.seq = itertools.count()
        self.lock = threading.Lock()
        self.lateness: list[float] = []
        self.pending = 0
        self.idle = threading.Condition(self.lock)

    def at(self, when: float, action, *args) -> None:
        with self.lock:
            heapq.heappush(self.heap, (when, next(self.seq), action, args))

    def run_until(self, end: float, on_tick=None) -> None:
        while True:
            now = time.monotonic()
            with self.lock:
                due = []
                while self.heap and self.heap[0][0] <= now and self.heap[0][0] < end:
                    due.append(heapq.heappop(self.heap))
                next_at = self.heap[0][0] if self.heap else end
            for when, _, action, args in due:
                with self.lock:
                    self.pending += 1
                self.pool.submit(self._run, when, action, args)
            if now >= end:
                break
            if on_tick:
                on_tick(now)
            time.sleep(max(0.0, min(0.05, next_at - time.monotonic(), end - time.monotonic())))
        with self.lock:  # let what started finish (each request has a 30 s timeout)
            self.idle.wait_for(lambda: self.pending == 0, timeout=120)

    def _run(self, when: float, action, args) -> None:
        started = time.monotonic()
        self.lateness.append(started - when)
        try:
            action(*args)
        except Exception as exc:  # noqa: BLE001 - one agent's failure is counted, never fatal
            print(f"fleet: {action.__name__} failed: {exc!r}", file=sys.stderr)
        finally:
            with self.lock:
                self.pending -= 1
                self.idle.notify_all()

    def clear(self) -> None:
        with self.lock:
            self.heap.clear()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def schedule_inventory(sim: Simulation, agent: SimAgent, when: float, new_report: bool = True, change=None) -> None:
    def cycle(agent=agent, new_report=new_report, change=change):
        wait = sim.fleet.inventory(agent, new_report, change)
        if wait is not None:  # the agent's backoff or Retry-After: it comes back then, with what is spooled
            schedule_inventory(sim, agent, time.monotonic() + wait, new_report=False)

    cycle.__name__ = "inventory"
    sim.at(when, cycle)


def schedule_checkin(sim: Simulation, agent: SimAgent, when: float, every: float, end: float) -> None:
    def checkin(agent=agent):
        sim.fleet.checkin(agent)

    checkin.__name__ = "checkin"
    t = when
    while t < end:
        sim.at(t, checkin)
        t += every


# --- measurements --------------------------------------------------------------------------

def summarise(answers: list[Answer]) -> dict:
    latencies = [a.latency_s * 1000 for a in answers if a.status is not None]
    shed = [a for a in answers if a.status in (429, 503) and a.retry_after is not None]
    errors = [a for a in answers if a.status is not None and a.status >= 500 and a not in shed]
    by_path = Counter(a.path.rsplit("/", 1)[-1] for a in answers)
    return {
        "requests": len(answers), "by_route": dict(by_path),
        "p50_ms": round(percentile(latencies, 0.50), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "errors_5xx": len(errors), "shed": len(shed), "no_connection": sum(a.status is None for a in answers),
        "other_4xx": sum(a.status is not None and 400 <= a.status < 500 and a not in shed for a in answers),
    }


def account(url: str, agents: list[SimAgent], fleet: Fleet) -> dict:
    """Reports made vs stored vs still spooled; stored twice shows as report_count above receipts."""
    from sqlalchemy import func, select

    from collector.db import Database
    from collector.models import Observation, ReportReceipt

    made = {report_id for agent in agents for report_id in agent.made}
    spooled: set[str] = set()
    for agent in agents:
        spool = fleet.spool(agent)
        spooled.update(entry.report_id for entry in spool.pending())
        rejected = spool.directory / "rejected"
        if rejected.exists():
            spooled.update(p.name.split("-", 1)[1].removesuffix(".json.gz") for p in rejected.glob("*.json.gz"))
    db = Database(url)
    with db.session() as session:
        stored: set[str] = set()
        ids = sorted(made)
        for start in range(0, len(ids), 5000):
            stored.update(session.scalars(select(ReportReceipt.report_id).where(ReportReceipt.report_id.in_(ids[start:start + 5000]))))
        receipts = session.scalar(select(func.count()).select_from(ReportReceipt).where(ReportReceipt.outcome != "duplicate")) or 0
        counted = session.scalar(select(func.coalesce(func.sum(Observation.report_count), 0))) or 0
    db.dispose()
    return {"made": len(made), "stored": len(made & stored), "spooled": len(made & spooled - stored),
            "lost": len(made - stored - spooled), "duplicated": max(0, int(counted) - int(receipts))}


class MemoryWatch:
    def __init__(self, collector: Collector) -> None:
        self.collector, self.samples = collector, []
        self.next_at = 0.0

    def tick(self, now: float) -> None:
        if now >= self.next_at:
            self.samples.append((now, self.collector.rss_bytes()))
            self.next_at = now + 10

    def growth_pct(self, settle_s: float) -> float | None:
        """Growth from the first sample after the server settled (its caches filled) to the last."""
        if not self.samples:
            return None
        start = self.samples[0][0] + settle_s
        settled = [rss for t, rss in self.samples if t >= start] or [self.samples[-1][1]]
        return round(100.0 * (self.samples[-1][1] - settled[0]) / settled[0], 1) if settled[0] else None


# --- phases --------------------------------------------------------------------------------

def warm_up(fleet: Fleet, agents: list[SimAgent], clients: int) -> None:
    """Each agent that reports in the window sends its first report (retried until stored)."""
    def first(agent: SimAgent) -> None:
        fleet.inventory(agent, True, change=False)
        for _ in range(20):
            if not fleet.spool(agent).pending():
                return
            time.sleep(1)
            fleet.deliver(agent, fleet.spool(agent))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(first, agents))
    fleet.recorder.take()


def steady(fleet: Fleet, agents: list[SimAgent], minutes: float, clients: int, collector: Collector,
           rng: random.Random, inventory_phase: dict[int, float]) -> dict:
    window = minutes * 60
    sim = Simulation(fleet, clients)
    start = time.monotonic() + 1
    end = start + window
    for agent in agents:
        if inventory_phase[agent.index] < window:
            schedule_inventory(sim, agent, start + inventory_phase[agent.index])
        schedule_checkin(sim, agent, start + rng.uniform(0, CHECKIN_S), CHECKIN_S, end)
    memory = MemoryWatch(collector)
    sim.run_until(end, memory.tick)
    memory.tick(float("inf"))
    sim.close()
    answers = fleet.recorder.take()
    result = summarise(answers)
    result.update(rss_growth_pct=memory.growth_pct(min(60.0, window / 4)),
                  rss_start_mib=round(memory.samples[0][1] / 2**20, 1), rss_end_mib=round(memory.samples[-1][1] / 2**20, 1),
                  client_late_p95_s=round(percentile(sim.lateness, 0.95), 3),
                  offered_per_s=round(len(answers) / window, 1))
    return result


def herd(fleet: Fleet, agents: list[SimAgent], collector_factory, clients: int, rng: random.Random,
         observe_s: float = 120) -> tuple[dict, Collector]:
    """R4: every agent restarts at once after an outage with a spooled report; pacing decides the rest."""
    for agent in agents:  # during the outage: each agent's inventory goes to its spool only
        agent.ensure_state()
        fleet.spool(agent).put_encoded(*fleet.report(agent, change=False))
    collector = collector_factory()
    sim = Simulation(fleet, clients)
    t0 = time.monotonic() + 1
    settings = _Schedule()
    for agent in agents:
        schedule_inventory(sim, agent, t0 + first_inventory_delay(settings, True, rng))
        schedule_checkin(sim, agent, t0 + first_checkin_delay(settings, True, rng), CHECKIN_S, t0 + observe_s)
    sim.run_until(t0 + observe_s)
    sim.close()
    answers = fleet.recorder.take()
    first_minute = sum(t0 <= a.at < t0 + 60 for a in answers)
    steady_per_minute = len(agents) * (60 / INVENTORY_S + 60 / CHECKIN_S)
    result = summarise(answers)
    result.update(agents=len(agents), first_minute_requests=first_minute,
                  steady_per_minute=round(steady_per_minute, 1),
                  first_minute_ratio=round(first_minute / steady_per_minute, 2))
    return result, collector


def burst(fleet: Fleet, agents: list[SimAgent], clients: int, rng: random.Random, observe_s: float) -> dict:
    """Every agent sends within 5 s, pacing ignored: the collector sheds; agents must honour Retry-After."""
    sim = Simulation(fleet, clients)
    t0 = time.monotonic() + 1
    for agent in agents:
        schedule_inventory(sim, agent, t0 + rng.uniform(0, 5))
    sim.run_until(t0 + observe_s)
    sim.close()
    answers = fleet.recorder.take()
    result = summarise(answers)
    result.update(retry_after_violations=_retry_after_violations(answers), agents=len(agents))
    return result


def _retry_after_violations(answers: list[Answer]) -> int:
    """Requests an agent sent before the Retry-After of its previous refusal had passed."""
    by_agent = defaultdict(list)
    for answer in sorted(answers, key=lambda a: a.at):
        by_agent[answer.agent].append(answer)
    violations = 0
    for sequence in by_agent.values():
        for previous, following in zip(sequence, sequence[1:]):
            if previous.retry_after is not None and following.at < previous.at + previous.latency_s + previous.retry_after - 0.5:
                violations += 1
    return violations


@dataclass(frozen=True)
class _Schedule:
    inventory_interval_s: int = INVENTORY_S
    splay_s: int = SPLAY_S
    checkin_interval_s: int = CHECKIN_S


# --- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--herd", type=int, default=10_000, help="agents in the herd and burst phases (0: skip)")
    parser.add_argument("--software", type=int, default=1500, help="packages per report")
    parser.add_argument("--changed-share", type=float, default=0.1, help="share of hourly reports with changes")
    parser.add_argument("--clients", type=int, default=64, help="client threads (agents in flight at once)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--skip-pair", action="store_true", help="skip the two-collector phase")
    parser.add_argument("--quick", action="store_true", help="2,000 agents, 2 minutes, herd 1,000")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.minutes, args.herd, args.software = 2000, 2, 1000, 300
    rng = random.Random(20261206)
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None  # agents' spools off the measured disk
    workdir = Path(tempfile.mkdtemp(prefix="stocktake-fleet-", dir=base))
    url, drop = prepare_database(args.db, workdir)
    collectors: list[Collector] = []
    try:
        print(f"fleet: {args.agents} agents, {args.minutes} min steady, {args.db}, gunicorn {args.workers}x{args.threads}",
              flush=True)
        agents = seed_agents(url, args.agents, workdir)
        factory = ReportFactory(seed=11, pool_size=max(6000, args.software * 4))
        fleet = Fleet(url="", agents=agents, factory=factory, software=args.software,
                      changed_share=args.changed_share, rng=random.Random(7))

        def start_collector(**kwargs) -> Collector:
            collector = Collector(url, workdir, args.workers, args.threads, **kwargs)
            collectors.append(collector)
            fleet.url = collector.url
            return collector

        collector = start_collector()
        window = args.minutes * 60
        phase = {agent.index: rng.uniform(0, INVENTORY_S) for agent in agents}
        reporting = [agent for agent in agents if phase[agent.index] < window]
        started = time.monotonic()
        warm_up(fleet, reporting, 8)  # first reports are the expensive kind: 8 at a time, as bench/ingest.py
        print(f"fleet: warm-up: {len(reporting)} first reports in {time.monotonic() - started:.0f} s", flush=True)
        for agent in reporting:
            agent.made.clear()  # warm-up reports are not part of the measured run
        result = steady(fleet, agents, args.minutes, args.clients, collector, rng, phase)
        result.update(account(url, agents, fleet))
        print(f"fleet: steady: {json.dumps(result)}", flush=True)
        figures = {"agents": args.agents, "minutes": args.minutes, "db": args.db,
                   "reports": result["made"], "requests": result["requests"], "per_s": result["offered_per_s"],
                   "p50_ms": result["p50_ms"], "p95_ms": result["p95_ms"], "p99_ms": result["p99_ms"],
                   "errors_5xx": result["errors_5xx"], "shed": result["shed"], "lost": result["lost"],
                   "duplicated": result["duplicated"], "rss_growth_pct": result["rss_growth_pct"],
                   "client_late_p95_s": result["client_late_p95_s"]}
        if args.herd:
            herd_agents = agents[: args.herd]
            for agent in herd_agents:
                agent.made.clear()
            collector.stop()  # the outage
            herd_result, collector = herd(fleet, herd_agents, start_collector, args.clients, rng)
            herd_result.update(account(url, herd_agents, fleet))
            print(f"fleet: herd: {json.dumps(herd_result)}", flush=True)
            burst_result = burst(fleet, herd_agents, max(args.clients, 128), rng, observe_s=90)
            burst_result.update(account(url, herd_agents, fleet))
            print(f"fleet: burst: {json.dumps(burst_result)}", flush=True)
            figures.update(herd_first_minute_ratio=herd_result["first_minute_ratio"],
                           herd_errors_5xx=herd_result["errors_5xx"], herd_lost=herd_result["lost"],
                           burst_shed=burst_result["shed"], burst_errors_5xx=burst_result["errors_5xx"],
                           burst_retry_after_violations=burst_result["retry_after_violations"],
                           burst_lost=burst_result["lost"], burst_duplicated=burst_result["duplicated"])
        if not args.skip_pair:
            collector.stop()
            port = collector.port
            pair = [start_collector(port=port, reuse_port=True, name=f"collector-{n}") for n in (1, 2)]
            pair_result = steady(fleet, agents, min(args.minutes, 2), args.clients, pair[0], rng, phase)
            served = [c.rss_bytes() > 0 and c.process.poll() is None for c in pair]
            print(f"fleet: pair: {json.dumps(pair_result)}", flush=True)
            figures.update(pair_p95_ms=pair_result["p95_ms"], pair_errors_5xx=pair_result["errors_5xx"],
                           pair_both_up=all(served))
        print(json.dumps(figures))
    finally:
        for collector in collectors:
            collector.stop()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
