"""Workflows at scale: the six KPIs over 10,000 instances and 200,000 events, a transition
through the HTTP API under gunicorn, and 5,000 exception workflows opened after a
reconciliation run.

The history is built with multi-row inserts (not through the engine): 10,000 instances over
the last 16 weeks, ~60% audit-exception resolution, ~30% HAM deployment, ~10% HAM
retirement, most closed and the rest stopped at a random stage, every transition, approval,
CMDB change and closure an event as the engine records it, plus comments, to 200,000 events.
Running instances of a shipped template carry a real engine state. Then:
  engine      per instance: SpiffWorkflow new workflow + serialise (the old path) against the
              copied first state, and the stored state's size with and without the process spec;
  kpis        compute_kpis (all six) over 12 weeks: the first run and the median of 5;
  open_5000   5,000 new audit exceptions (as a run stores them) opened by the exception
              trigger (triggers.open_exception_workflows, 200 per transaction, as after a
              reconciliation run); and, for comparison, the
              one-at-a-time path (open_exception_workflow) on a sample, scaled to 5,000;
  transition  complete_task (triage) on opened instances in this process (the service and the
              database alone), then POST /api/v1/workflows/<id>/tasks/triage on as many others,
              one after another, through gunicorn as the README runs it: p50/p95 latency.

    python bench/workflows.py --db sqlite|postgresql [--quick]

The last line is JSON with at least instances, events, kpi_s, transition_p95_ms, open_5000_s.
Targets (issue 11): kpi_s <= 1, transition_p95_ms <= 20, open_5000_s <= 10.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Collector, percentile, prepare_database  # noqa: E402

STAGES = ("Initiation", "Authorization", "Execution", "Documentation", "Validation", "Closure")
# template -> share of instances, and its path as (stage, event kind, task, kpi property)
PATHS = {
    "exception_resolution": (0.6, [
        ("Initiation", "task_completed", "triage", None), ("Authorization", "approved", "approve_fix", None),
        ("Execution", "task_completed", "fix", None), ("Documentation", "task_completed", "document", None),
        ("Validation", "task_completed", "validate", None), ("Closure", "task_completed", "close", None)]),
    "ham_deployment": (0.3, [
        ("Initiation", "task_completed", "request", None), ("Authorization", "approved", "approve_cost", None),
        ("Execution", "task_completed", "deploy", "delivered"), ("Documentation", "task_completed", "document", None),
        ("Validation", "task_completed", "validate", None), ("Closure", "task_completed", "close", None)]),
    "ham_retirement": (0.1, [
        ("Initiation", "task_completed", "request", None),
        ("Authorization", "approved", "approve_retirement", "retirement_approved"),
        ("Execution", "task_completed", "dispose", "disposed"), ("Documentation", "task_completed", "document", None),
        ("Validation", "task_completed", "validate", None), ("Closure", "task_completed", "close", None)]),
}
CHUNK = 5000


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class _History:
    """Instances and their events, generated in memory, then inserted in chunks."""

    def __init__(self, instances: int, events: int, now: datetime, seed: int = 11) -> None:
        self.rng, self.now = random.Random(seed), now
        self.target_events = events
        self.instances = [self._instance(n) for n in range(instances)]

    def _instance(self, n: int) -> dict:
        rng = self.rng
        roll, template = rng.random(), "ham_retirement"
        for name, (share, _path) in PATHS.items():
            if roll < share:
                template = name
                break
            roll -= share
        at = self.now - timedelta(weeks=16) + timedelta(seconds=rng.uniform(0, 16 * 7 * 86400))
        need_by = (at + timedelta(days=rng.uniform(2, 14))).date() if template == "ham_deployment" else None
        events = [("started", at, "Initiation", None, None, None), ("stage_entered", at, "Initiation", None, None, None)]
        ready, stage, closed_at = at, "Initiation", None
        for task_stage, kind, task, kpi in PATHS[template][1]:
            done = ready + timedelta(hours=rng.expovariate(1 / 10))
            if done >= self.now or rng.random() < 0.04:  # still waiting here
                break
            if kind == "approved" and rng.random() < 0.1:
                kind = "rejected"  # then resubmitted and approved again
                events.append((kind, done, task_stage, task, kpi, ready))
                ready = done + timedelta(hours=rng.expovariate(1 / 4))
                events.append(("resubmitted", ready, "Initiation", "resubmit", None, done))
                done = ready + timedelta(hours=rng.expovariate(1 / 6))
                kind = "approved"
            if task_stage == "Execution":
                events.append(("cmdb_change", done, task_stage, task, None, None))
            events.append((kind, done, task_stage, task, kpi, ready))
            ready = done
            if task == "close":
                events.append(("closed", done, "Closure", None, None, None))
                closed_at, stage = done, "Closure"
                break
            stage = STAGES[STAGES.index(task_stage) + 1]
            events.append(("stage_entered", done, stage, None, None, None))
        return {"n": n, "template": template, "created_at": at, "need_by": need_by, "stage": stage,
                "closed_at": closed_at, "updated_at": events[-1][1], "events": events}

    def pad_with_comments(self) -> None:
        """Comments, spread over the instances, until the history has the target number of events."""
        total = sum(len(i["events"]) for i in self.instances)
        for _ in range(max(0, self.target_events - total)):
            instance = self.rng.choice(self.instances)
            start = instance["created_at"]
            end = instance["closed_at"] or self.now
            at = start + (end - start) * self.rng.random()
            instance["events"].append(("comment", at, instance["stage"], None, None, None))


def _seed(db, history: _History, templates) -> dict:
    """Exceptions, instances and events by multi-row inserts; returns counts."""
    from sqlalchemy import insert

    from collector.models import AuditException, WorkflowEvent, WorkflowInstance
    from collector.workflows import engine
    from collector.workflows.specs import ensure_spec

    with db.write() as session:
        for template in templates.templates.values():
            ensure_spec(session, template, history.now)
        exceptions = [{"kind": "drift", "status": "resolved" if i["closed_at"] else "open",
                       "open_key": None if i["closed_at"] else f"bench:{i['n']}", "summary": "bench", "evidence": {},
                       "fingerprint": "", "opened_at": i["created_at"], "updated_at": i["updated_at"],
                       "resolved_at": i["closed_at"]}
                      for i in history.instances if i["template"] == "exception_resolution"]
        exception_ids = []
        for start in range(0, len(exceptions), CHUNK):
            exception_ids += session.execute(insert(AuditException).returning(AuditException.id,
                                                                              sort_by_parameter_order=True),
                                             exceptions[start:start + CHUNK]).scalars().all()
    ids = iter(exception_ids)
    rows = []
    for i in history.instances:
        template = templates.get(i["template"])
        exception_id = next(ids) if i["template"] == "exception_resolution" else None
        state = engine.first_state(template, {"exception_id": exception_id}, i["created_at"])[0] if template else {}
        rows.append({"template": i["template"], "template_hash": template.sha256 if template else "0" * 64,
                     "ci_id": None, "exception_id": exception_id, "status": "closed" if i["closed_at"] else "running",
                     "stage": i["stage"], "initiator_id": None, "need_by": i["need_by"], "created_at": i["created_at"],
                     "updated_at": i["updated_at"], "closed_at": i["closed_at"], "state": state, "version": 1})
    events = 0
    with db.write() as session:
        instance_ids = []
        for start in range(0, len(rows), CHUNK):
            instance_ids += session.execute(insert(WorkflowInstance).returning(WorkflowInstance.id,
                                                                               sort_by_parameter_order=True),
                                            rows[start:start + CHUNK]).scalars().all()
        batch = []
        for instance_id, instance in zip(instance_ids, history.instances):
            for kind, at, stage, task, kpi, ready_at in sorted(instance["events"], key=lambda e: e[1]):
                batch.append({"instance_id": instance_id, "at": at, "actor_id": None, "actor": "bench",
                              "actor_role": "operator", "kind": kind, "stage": stage, "task": task, "detail": {},
                              "note": "bench comment" if kind == "comment" else None, "task_kpi": kpi,
                              "ready_at": ready_at})
            if len(batch) >= CHUNK:
                session.execute(insert(WorkflowEvent), batch)
                events += len(batch)
                batch = []
        if batch:
            session.execute(insert(WorkflowEvent), batch)
            events += len(batch)
    return {"instances": len(rows), "events": events}


def _analyze(db) -> None:
    """What autovacuum does after a bulk load; without it PostgreSQL plans on empty-table guesses."""
    from sqlalchemy import text

    if not db.is_sqlite:
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def _engine_figures(templates, samples: int) -> dict:
    """The measurement that chose the fixes: the old per-instance path against the copied first state."""
    from collector.workflows import engine

    template = templates.get("exception_resolution")
    seed = {"exception_id": 1, "exception_kind": "drift", "ci_id": 1, "ci_class": "computer", "asset_tag": "A-1"}
    started = time.perf_counter()
    for _ in range(samples):
        full = engine.serialize(engine.new_workflow(template, seed), with_spec=True)
    old_ms = (time.perf_counter() - started) * 1000 / samples
    now = _now()
    started = time.perf_counter()
    for _ in range(samples):
        state, _stage = engine.first_state(template, seed, now)
    new_ms = (time.perf_counter() - started) * 1000 / samples
    return {"new_workflow_serialize_ms": round(old_ms, 3), "first_state_copy_ms": round(new_ms, 3),
            "state_bytes_with_spec": len(json.dumps(full)), "state_bytes": len(json.dumps(state))}


def _time_kpis(db, runs: int) -> tuple[float, float]:
    from collector.reports.kpis import compute_kpis
    from collector.reports.required_fields import required_fields

    times = []
    for _ in range(runs):
        with db.session() as session:
            started = time.perf_counter()
            compute_kpis(session, _now(), 12, required_fields({}))
            times.append(time.perf_counter() - started)
    return times[0], statistics.median(times)


def _new_exceptions(db, count: int, tag: str) -> list[int]:
    """What a reconciliation run stores for ``count`` new exceptions (open rows with evidence)."""
    from sqlalchemy import insert

    from collector.models import AuditException

    now = _now()
    rows = [{"kind": random.choice(("drift", "missing", "unmanaged")), "status": "open",
             "open_key": f"{tag}:{n}", "summary": f"bench exception {n}", "evidence": {"field": "assigned_user"},
             "subject_type": "device", "subject_id": n,
             "fingerprint": "", "opened_at": now, "updated_at": now} for n in range(count)]
    with db.write() as session:
        return session.execute(insert(AuditException).returning(AuditException.id, sort_by_parameter_order=True),
                               rows).scalars().all()


def _time_open(db, templates, count: int) -> tuple[float, dict[int, int]]:
    """The exception trigger as a reconciliation run fires it (workflows/triggers.py: open or join,
    with trigger marks, BATCH exceptions per transaction)."""
    from sqlalchemy import select

    from collector.models import WorkflowInstance
    from collector.workflows.service import EXCEPTION_TEMPLATE
    from collector.workflows.triggers import BATCH, open_exception_workflows

    ids = _new_exceptions(db, count, "batch")
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(ids), BATCH):
        with db.write() as session:
            open_exception_workflows(session, templates, EXCEPTION_TEMPLATE, ids[start:start + BATCH])
    elapsed = time.perf_counter() - started
    print(f"open {count}: {time.process_time() - cpu:.2f} s of this process's CPU", flush=True)
    with db.session() as session:
        opened = dict(session.execute(select(WorkflowInstance.exception_id, WorkflowInstance.id)
                                      .where(WorkflowInstance.exception_id.in_(ids))).all())
    assert len(opened) == count, f"the trigger opened {len(opened)} workflows for {count} exceptions"
    return elapsed, opened


def _time_open_one_by_one(db, templates, sample: int) -> float:
    """The per-exception path, one transaction per exception as a caller looping over a run would."""
    from collector.workflows.service import open_exception_workflow

    ids = _new_exceptions(db, sample, "single")
    started = time.perf_counter()
    for exception_id in ids:
        with db.write() as session:
            open_exception_workflow(session, templates, exception_id)
    return time.perf_counter() - started


def _time_service_transitions(db, templates, instance_ids: list[int]) -> list[float]:
    """The same transition in this process, without HTTP: what the service and the database cost."""
    from collector.workflows.roles import WorkflowActor
    from collector.workflows.service import complete_task

    actor, latencies = WorkflowActor(None, "bench", "operator", "bench"), []
    for instance_id in instance_ids:
        started = time.perf_counter()
        with db.write() as session:
            complete_task(session, templates, instance_id, "triage", actor, {"plan": "check the register"}, 1)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _operator_token(db) -> str:
    from collector.access.api_tokens import create_api_token
    from collector.access.users import create_user

    with db.write() as session:
        create_user(session, "benchop", "operator", "bench password long enough")
        return create_api_token(session, "benchop", "operator").token


def _time_transitions(url: str, workdir: Path, token: str, instance_ids: list[int]) -> list[float]:
    server = Collector(url, workdir)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps({"data": {"plan": "check the register against the agent"}, "version": 1})
        latencies = []
        for n, instance_id in enumerate(instance_ids):
            started = time.perf_counter()
            connection.request("POST", f"/api/v1/workflows/{instance_id}/tasks/triage", body, headers)
            response = connection.getresponse()
            answer = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise SystemExit(f"bench: transition answered {response.status}: {answer[:300]!r}")
            if n >= 5:  # the first requests warm each worker's template and spec caches
                latencies.append(elapsed * 1000)
        connection.close()
        return latencies
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--quick", action="store_true", help="1,000 instances, 20,000 events, open 500")
    args = parser.parse_args()
    instances, events, to_open, transitions, single = (1000, 20_000, 500, 60, 50) if args.quick else \
        (10_000, 200_000, 5000, 300, 200)

    from collector.db import Database
    from collector.workflows.loading import SHIPPED_DIR, load_templates

    templates = load_templates([SHIPPED_DIR])
    with tempfile.TemporaryDirectory(prefix="stocktake-bench-") as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(args.db, workdir)
        db = Database(url)
        try:
            result = {"db": args.db, "load_avg_start": round(os.getloadavg()[0], 1), **_engine_figures(templates, 200)}
            history = _History(instances, events, _now())
            history.pad_with_comments()
            started = time.perf_counter()
            result.update(_seed(db, history, templates))
            _analyze(db)
            result["seed_s"] = round(time.perf_counter() - started, 1)
            print(f"seeded {result['instances']} instances, {result['events']} events in {result['seed_s']} s",
                  flush=True)
            first, median = _time_kpis(db, 5)
            result.update(kpi_first_s=round(first, 3), kpi_s=round(median, 3))
            print(f"kpis: first {first:.3f} s, median of 5 {median:.3f} s", flush=True)
            open_s, opened = _time_open(db, templates, to_open)
            result[f"open_{to_open}_s"] = round(open_s, 2)
            if to_open != 5000:
                result["open_5000_s"] = round(open_s * 5000 / to_open, 2)
                result["open_5000_scaled_from"] = to_open
            one_by_one = _time_open_one_by_one(db, templates, single)
            result["open_5000_one_by_one_s_est"] = round(one_by_one * 5000 / single, 1)
            print(f"open {to_open}: {open_s:.2f} s (one at a time: ~{result['open_5000_one_by_one_s_est']} s "
                  f"for 5,000)", flush=True)
            _analyze(db)
            ordered = sorted(opened.values())
            service = _time_service_transitions(db, templates, ordered[transitions:2 * transitions])
            result.update(transition_service_p50_ms=round(percentile(service, 0.5), 1),
                          transition_service_p95_ms=round(percentile(service, 0.95), 1))
            print(f"transitions in process: p50 {result['transition_service_p50_ms']} ms, "
                  f"p95 {result['transition_service_p95_ms']} ms", flush=True)
            token = _operator_token(db)
            db.dispose()
            latencies = _time_transitions(url, workdir, token, ordered[:transitions])
            result.update(transitions=len(latencies), transition_p50_ms=round(percentile(latencies, 0.5), 1),
                          transition_p95_ms=round(percentile(latencies, 0.95), 1))
            print(f"transitions: p50 {result['transition_p50_ms']} ms, p95 {result['transition_p95_ms']} ms",
                  flush=True)
        finally:
            db.dispose()
            drop()
    result["load_avg_end"] = round(os.getloadavg()[0], 1)  # 1-minute load on 2 cores: others' jobs show here
    print(json.dumps(result))


if __name__ == "__main__":
    main()
