"""Scan tasks on the agent: checked like the collector checks them, run per range, spooled, scheduled.

No network is touched: the scan function is a stand-in (the namespace end-to-end test runs
the real one), and the collector is a stand-in client.
"""

import gzip
import json
import logging
import random
import stat
from datetime import datetime, timedelta, timezone

import pytest

from agent.config import AgentConfig
from agent.daemon import _Daemon
from agent.discovery.schedule import ScanRuns
from agent.discovery.tasks import ScanTask, TaskError, parse_task, parse_tasks, run_scan_task
from agent.scan_cycle import deliver_discovery, discovery_spool_for, run_due_scans, run_scan
from agent.state import AgentIdentity, save_identity
from agent.transport import TransportError

COMMUNITY, AUTH, PRIV = "agent-c0mmunity", "agent-auth-key", "agent-priv-key"
TASK = {"type": "scan", "profile_id": 7, "profile": "lab", "ranges": ["198.18.0.0/24", "198.18.1.0/28"],
        "interface": "eth0", "allow_public": False, "max_addresses": 4096, "interval_s": 900,
        "credentials": [{"name": "credential-1", "version": "2c", "community": COMMUNITY},
                        {"name": "v3", "version": "3", "user": "scanner", "auth_key": AUTH, "priv_key": PRIV}]}


def test_a_task_becomes_snmp_credentials_and_hides_them():
    task = parse_task(TASK)
    assert task.ranges == ("198.18.0.0/24", "198.18.1.0/28") and task.interval_s == 900
    assert [(c.name, c.version) for c in task.credentials] == [("credential-1", "2c"), ("v3", "3")]
    assert task.credentials[0].community == COMMUNITY and task.credentials[1].priv_key == PRIV
    for secret in (COMMUNITY, AUTH, PRIV):
        assert secret not in repr(task) and secret not in str(task)


@pytest.mark.parametrize("change, message", [
    ({"type": "inventory"}, "not a scan task"),
    ({"profile_id": "7"}, "valid profile_id"),
    ({"profile_id": True}, "valid profile_id"),
    ({"ranges": ["8.8.8.0/24"]}, "8.8.8.0/24 is public address space"),
    ({"ranges": ["198.18.0.0/24"], "max_addresses": 100}, "cover 256 addresses"),
    ({"ranges": ["198.18.0.0/15"], "max_addresses": 65536}, "limit per sweep is 4096"),
    ({"ranges": "198.18.0.0/24"}, "ranges must be a non-empty list"),
    ({"ranges": [7]}, "not an IP range"),
    ({"interface": None}, "interface must be"),
    ({"allow_public": "yes"}, "allow_public must be"),
    ({"interval_s": 1}, "interval_s must be an integer from 60"),
    ({"max_addresses": None}, "max_addresses must be"),
    ({"credentials": [{"version": "2c"}]}, "credentials[0].community: SNMPv2c needs a community"),
    ({"credentials": [{"version": "3", "user": "u", "auth_key": "short"}]}, "credentials[0].auth_key"),
    ({"credentials": "public"}, "credentials: must be a list"),
])
def test_bad_tasks_are_refused_with_the_reason_and_no_secret(change, message):
    with pytest.raises(TaskError) as raised:
        parse_task({**TASK, **change})
    assert message in str(raised.value)
    if change.get("type") is None and "profile_id" not in change:
        assert "scan profile 'lab' (id 7)" in str(raised.value)
    assert COMMUNITY not in str(raised.value)


def test_bad_tasks_are_logged_and_skipped(caplog):
    caplog.set_level(logging.ERROR)
    junk = [None, 42, "scan", [], {}, {"type": "scan"}, {**TASK, "ranges": ["8.8.8.0/24"]},
            {**TASK, "credentials": [{"version": "2c", "community": COMMUNITY, "port": 161}]}]
    tasks = parse_tasks(junk + [TASK])
    assert [task.profile_id for task in tasks] == [7]
    assert caplog.text.count("skipping a task from the collector") == len(junk)
    assert COMMUNITY not in caplog.text
    assert parse_tasks(None) == [] and parse_tasks({"type": "scan"}) == []


def test_odd_values_in_every_field_give_task_errors_only():
    rng = random.Random(4)
    odd = [None, True, -1, 0, 2**70, 1.5, "", "x" * 300, [], [None], {}, {"a": 1}, "198.18.0.0/24", "\x00"]
    for _ in range(500):
        raw = dict(TASK)
        for key in rng.sample(list(TASK), rng.randint(1, 3)):
            raw[key] = rng.choice(odd)
        try:
            parse_task(raw)
        except TaskError:
            pass


def _fake_scan(calls, fail=()):
    def scan(agent_id, cidr, interface, allow_public=False, credentials=None):
        calls.append((agent_id, cidr, interface, allow_public, credentials))
        if cidr in fail:
            raise OSError(f"cannot use interface {interface!r}: No such device")
        now = datetime.now(timezone.utc).isoformat()
        return {"schema_version": 1, "report_id": f"00000000-0000-4000-8000-{len(calls):012d}", "agent_id": agent_id,
                "scan_id": f"arp-{cidr}", "started_at": now, "finished_at": now,
                "devices": [{"ip": cidr.split("/")[0], "mac": "3c:52:82:00:01:00", "found_by": ["arp"],
                             "seen_at": now}]}
    return scan


def test_each_range_is_one_report_named_by_the_profile_and_a_failing_range_spares_the_others(caplog):
    calls = []
    outcome = run_scan_task(parse_task(TASK), "agent-1", _fake_scan(calls, fail={"198.18.0.0/24"}))
    assert [call[1] for call in calls] == ["198.18.0.0/24", "198.18.1.0/28"]
    assert [c.name for c in calls[0][4]] == ["credential-1", "v3"] and calls[0][2] == "eth0"
    assert len(outcome.reports) == 1 and outcome.reports[0]["scan_id"].startswith("profile:7:198.18.1.0/28:")
    assert len(outcome.reports[0]["scan_id"]) <= 64
    assert outcome.errors == ["198.18.0.0/24: cannot use interface 'eth0': No such device"]


def test_a_task_over_its_budget_starts_no_new_range():
    ticks = iter([0, 0, 10_000, 10_000])
    calls = []
    outcome = run_scan_task(parse_task(TASK), "agent-1", _fake_scan(calls), budget_s=60, clock=lambda: next(ticks))
    assert len(calls) == 1 and "not scanned, the task ran past its 60 s budget" in outcome.errors[0]


def test_scan_runs_survive_restarts_and_hold_no_secret(tmp_path):
    task, now = parse_task(TASK), datetime.now(timezone.utc)
    runs = ScanRuns(str(tmp_path))
    assert runs.is_due(task, now)
    first = runs.next_run(task, now, random.Random(1))
    assert now < first <= now + timedelta(seconds=60)
    runs.record(7, now)
    again = ScanRuns(str(tmp_path))
    assert not again.is_due(task, now + timedelta(seconds=899)) and again.is_due(task, now + timedelta(seconds=900))
    assert again.next_run(task, now + timedelta(seconds=10), random.Random(1)) == now + timedelta(seconds=900)
    path = tmp_path / "scan_runs.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and COMMUNITY not in path.read_text()
    path.write_text("{broken")
    assert ScanRuns(str(tmp_path)).last_run(7) is None


class _Collector:
    """A stand-in CollectorClient: records discovery uploads, or is unreachable."""

    def __init__(self, reachable=True):
        self.reachable = reachable
        self.discovery: list[dict] = []

    def post_discovery(self, node_key, body, compressed=False):
        if not self.reachable:
            raise TransportError("cannot reach collector at http://127.0.0.1:9: Connection refused")
        self.discovery.append(json.loads(gzip.decompress(body)))
        return {"status": "stored"}

    def post_inventory(self, *args, **kwargs):
        raise AssertionError("a discovery report went to the inventory endpoint")


@pytest.fixture
def config(tmp_path):
    save_identity(str(tmp_path), AgentIdentity("agent-1", "stkn_key"))
    return AgentConfig(state_dir=str(tmp_path), server_url="http://127.0.0.1:9", delivery_budget_s=1)


def test_reports_are_spooled_until_delivered_to_the_discovery_endpoint(config):
    down, up = _Collector(reachable=False), _Collector()
    result = run_scan(config, parse_task(TASK), ScanRuns(config.state_dir), down, _fake_scan([]))
    assert (result.reports, result.delivered, result.spool_depth) == (2, 0, 2)
    assert any("cannot reach collector" in error for error in result.errors)
    assert deliver_discovery(config, up).delivered == 2
    assert [r["scan_id"][:22] for r in up.discovery] == ["profile:7:198.18.0.0/2", "profile:7:198.18.1.0/2"]
    assert discovery_spool_for(config).depth == 0 and deliver_discovery(config, up) is None
    for path in discovery_spool_for(config).directory.rglob("*"):
        assert not path.is_file() or COMMUNITY.encode() not in path.read_bytes()


def test_only_due_tasks_run(config):
    up, calls = _Collector(), []
    tasks = [parse_task(TASK), parse_task({**TASK, "profile_id": 8, "profile": "other", "ranges": ["198.18.2.0/24"]})]
    ScanRuns(config.state_dir).record(8, datetime.now(timezone.utc))
    results = run_due_scans(config, tasks, up, _fake_scan(calls))
    assert [r.profile for r in results] == ["lab"] and len(up.discovery) == 2
    assert run_due_scans(config, tasks, up, _fake_scan(calls)) == []  # both ran within their interval


class _Scheduler:
    def __init__(self):
        self.jobs = {}

    def add_job(self, func, trigger, args, id, replace_existing, next_run_time, **kwargs):
        assert replace_existing
        self.jobs[id] = (args, trigger, next_run_time)

    def remove_job(self, job_id):
        del self.jobs[job_id]


def test_the_daemon_schedules_each_task_by_its_interval(config, caplog):
    caplog.set_level(logging.WARNING)
    scheduler, now = _Scheduler(), datetime.now(timezone.utc)
    daemon = _Daemon(config, scheduler, random.Random(3))
    daemon.schedule_scans([TASK, {**TASK, "profile_id": 9, "ranges": ["8.8.8.0/24"]}])
    assert list(scheduler.jobs) == ["scan-7"]
    args, trigger, first = scheduler.jobs["scan-7"]
    assert args == [7] and trigger.interval.total_seconds() == 900 and now < first <= now + timedelta(seconds=61)
    assert "skipping a task" in caplog.text and COMMUNITY not in caplog.text
    daemon.scan_runs.record(7, now)
    restarted = _Daemon(config, _Scheduler(), random.Random(3))  # a restart: one interval after the last run
    restarted.schedule_scans([TASK])
    assert restarted.scheduler.jobs["scan-7"][2] == now + timedelta(seconds=900)
    daemon.schedule_scans([])
    assert scheduler.jobs == {} and "withdrawn" in caplog.text


def test_a_scan_job_that_fails_leaves_the_daemon_running(config, caplog, monkeypatch):
    daemon = _Daemon(config, _Scheduler(), random.Random(3))
    daemon.schedule_scans([TASK])

    def broken(*args, **kwargs):
        raise RuntimeError("sweep exploded")

    monkeypatch.setattr("agent.scan_cycle.run_scan", broken)
    daemon.scan_job(7)
    daemon.scan_job(12345)  # withdrawn meanwhile: nothing to do
    assert "scan task failed" in caplog.text and isinstance(daemon.scan_tasks[7], ScanTask)


@pytest.mark.parametrize("engine, reason", [("raw", "No such device"), ("scapy", "no such interface")])
def test_scan_tasks_sweep_with_the_configured_arp_engine(tmp_path, engine, reason):
    """The real scan; an interface that does not exist stops it before a frame, in words that
    differ per engine (the raw socket's errno, scapy's interface list)."""
    save_identity(str(tmp_path), AgentIdentity("agent-1", "stkn_key"))
    config = AgentConfig(state_dir=str(tmp_path), server_url="http://127.0.0.1:9", delivery_budget_s=1,
                         arp_engine=engine)
    task = parse_task({**TASK, "interface": "stk-none0", "ranges": ["198.18.0.0/28"], "credentials": []})
    result = run_scan(config, task, ScanRuns(config.state_dir), _Collector(reachable=False))
    assert result.errors == [f"198.18.0.0/28: cannot use interface 'stk-none0': {reason}"]
