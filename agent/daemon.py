"""``stocktake-agent daemon``: inventory on an interval, check-in for settings and tasks.

Scan tasks (scanner agents) each get a job of their own on the task's interval, the first
run soon after receipt (jittered), or one interval after the last run recorded in the
state dir; their credentials stay in memory, in the job's task.

A new agent waits a random part of the splay before its first inventory; one that has enrolled
before waits a random part of the whole interval, for its first inventory and its first check-in
(``agent/pacing.py``: a fleet restarted together must not arrive together), and every run is
jittered by the splay. The
check-in answer carries the interval and splay the collector wants; a change reschedules
the inventory job. A failing job logs and the daemon keeps running; SIGTERM stops it.
"""

from __future__ import annotations

import json
import logging
import random
import signal
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from agent.atomic import write_atomically
from agent.checkin import check_in
from agent.config import AgentConfig
from agent.cycle import describe, read_status, run_cycle, write_status
from agent.pacing import first_checkin_delay, first_inventory_delay
from agent.state import load_identity

__all__ = ["AgentSettings", "load_settings", "run_daemon"]

log = logging.getLogger(__name__)
SETTINGS_FILE = "settings.json"
# How often running programs are sampled for usage (cheap: one readlink per process).
USAGE_SAMPLE_INTERVAL_S = 300


@dataclass(frozen=True)
class AgentSettings:
    inventory_interval_s: int
    splay_s: int
    checkin_interval_s: int

    @classmethod
    def from_config(cls, config: AgentConfig) -> "AgentSettings":
        return cls(config.inventory_interval_s, config.splay_s, config.checkin_interval_s)

    @classmethod
    def from_answer(cls, answer: dict, fallback: "AgentSettings") -> "AgentSettings":
        """Settings from a check-in answer; a missing or absurd value keeps the current one."""
        given = answer.get("settings") if isinstance(answer, dict) else None
        given = given if isinstance(given, dict) else {}

        def pick(name: str, low: int, high: int) -> int:
            value = given.get(name)
            return value if isinstance(value, int) and low <= value <= high else getattr(fallback, name)

        return cls(pick("inventory_interval_s", 1, 7 * 86400), pick("splay_s", 0, 86400),
                   pick("checkin_interval_s", 1, 86400))


def load_settings(config: AgentConfig) -> AgentSettings:
    try:
        data = json.loads((Path(config.state_dir) / SETTINGS_FILE).read_text())
        return AgentSettings.from_answer({"settings": data}, AgentSettings.from_config(config))
    except (OSError, ValueError):
        return AgentSettings.from_config(config)


def _save_settings(config: AgentConfig, settings: AgentSettings) -> None:
    try:
        write_atomically(Path(config.state_dir) / SETTINGS_FILE, json.dumps(asdict(settings)).encode(), mode=0o644)
    except OSError as exc:
        log.error("cannot save settings", extra={"error": exc.strerror or str(exc)})


class _Daemon:
    def __init__(self, config: AgentConfig, scheduler, rng: random.Random | None = None) -> None:
        from agent.discovery.schedule import ScanRuns

        self.config = config
        self.scheduler = scheduler
        self.settings = load_settings(config)
        self.lock = threading.Lock()
        self.checked_in = False
        self.rng = rng or random.Random()
        self.scan_runs = ScanRuns(config.state_dir)
        self.scan_tasks: dict = {}  # profile id -> ScanTask, in memory only

    def inventory_job(self) -> None:
        with self.lock:
            try:
                log.warning(describe(run_cycle(self.config)))
            except Exception:  # noqa: BLE001 - the daemon outlives any one failing cycle
                log.exception("inventory cycle failed")
            if not self.checked_in:  # e.g. the first cycle has just enrolled
                self._checkin()
            self._record_next_run()

    def usage_job(self) -> None:
        """Sample running executables between inventories (usage accumulates in the state dir)."""
        from agent.probes import USAGE_STATE_FILE
        from agent.probes.usage import UsageProbe

        with self.lock:
            try:
                UsageProbe(state_path=Path(self.config.state_dir) / USAGE_STATE_FILE).sample()
            except Exception:  # noqa: BLE001 - sampling is best effort
                log.exception("usage sample failed")

    def checkin_job(self) -> None:
        # One job at a time: a check-in must not enrol while an inventory cycle does.
        with self.lock:
            self._checkin()

    def _checkin(self) -> None:
        answer = check_in(self.config)
        if answer is None:
            return
        self.checked_in = True
        self.schedule_scans(answer.get("tasks"))
        self.apply(AgentSettings.from_answer(answer, self.settings))

    def schedule_scans(self, raw_tasks) -> None:
        """One job per scan task; a changed task is rescheduled, a withdrawn one removed."""
        from apscheduler.triggers.interval import IntervalTrigger

        from agent.discovery.tasks import parse_tasks
        from agent.scan_cycle import deliver_discovery

        wanted = {task.profile_id: task for task in parse_tasks(raw_tasks)}
        for profile_id in self.scan_tasks.keys() - wanted.keys():
            self.scheduler.remove_job(f"scan-{profile_id}")
            log.warning("scan profile withdrawn by the collector", extra={"profile_id": profile_id})
        now = datetime.now(timezone.utc)
        for profile_id, task in wanted.items():
            if self.scan_tasks.get(profile_id) == task:
                continue
            first = self.scan_runs.next_run(task, now, self.rng)
            self.scheduler.add_job(
                self.scan_job, IntervalTrigger(seconds=task.interval_s, jitter=min(task.interval_s // 10, 300)),
                args=[profile_id], id=f"scan-{profile_id}", replace_existing=True, next_run_time=first,
                max_instances=1, coalesce=True, misfire_grace_time=None)
            log.warning("scan profile scheduled", extra={"profile": task.profile, "ranges": list(task.ranges),
                                                         "interval_s": task.interval_s, "next_run_at": first.isoformat()})
        self.scan_tasks = wanted
        self.scan_runs.forget_others(set(wanted))
        try:
            deliver_discovery(self.config)  # reports left spooled by an outage
        except Exception:  # noqa: BLE001 - the next scan delivers them too
            log.exception("delivering spooled discovery reports failed")

    def scan_job(self, profile_id: int) -> None:
        from agent.scan_cycle import describe_scan, run_scan

        task = self.scan_tasks.get(profile_id)
        if task is None:
            return
        with self.lock:
            try:
                log.warning(describe_scan(run_scan(self.config, task, self.scan_runs)))
            except Exception:  # noqa: BLE001 - the daemon outlives any one failing scan
                log.exception("scan task failed", extra={"profile": task.profile})

    def apply(self, settings: AgentSettings) -> None:
        if settings == self.settings:
            return
        from apscheduler.triggers.interval import IntervalTrigger

        log.warning("new settings from the collector", extra=asdict(settings))
        self.settings = settings
        _save_settings(self.config, settings)
        self.scheduler.reschedule_job(
            "inventory", trigger=IntervalTrigger(seconds=settings.inventory_interval_s, jitter=settings.splay_s or None)
        )
        self.scheduler.reschedule_job("checkin", trigger=IntervalTrigger(seconds=settings.checkin_interval_s, jitter=30))
        self._record_next_run()

    def _record_next_run(self) -> None:
        job = self.scheduler.get_job("inventory")
        if job is not None and job.next_run_time is not None:
            status = read_status(self.config.state_dir)
            status["next_run_at"] = job.next_run_time.astimezone(timezone.utc).isoformat()
            write_status(self.config.state_dir, status)


def run_daemon(config: AgentConfig, rng: random.Random | None = None) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BlockingScheduler(timezone=timezone.utc)
    rng = rng or random.Random()
    daemon = _Daemon(config, scheduler, rng)
    settings = daemon.settings
    now = datetime.now(timezone.utc)
    enrolled = load_identity(config.state_dir) is not None
    first_run = now + timedelta(seconds=first_inventory_delay(settings, enrolled, rng))
    first_checkin = now + timedelta(seconds=first_checkin_delay(settings, enrolled, rng))
    scheduler.add_job(
        daemon.inventory_job, IntervalTrigger(seconds=settings.inventory_interval_s, jitter=settings.splay_s or None),
        id="inventory", next_run_time=first_run, max_instances=1, coalesce=True, misfire_grace_time=None,
    )
    scheduler.add_job(daemon.usage_job, IntervalTrigger(seconds=USAGE_SAMPLE_INTERVAL_S, jitter=30), id="usage",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.add_job(
        daemon.checkin_job, IntervalTrigger(seconds=settings.checkin_interval_s, jitter=30),
        id="checkin", next_run_time=first_checkin, max_instances=1, coalesce=True, misfire_grace_time=None,
    )

    def stop(signum, _frame):
        log.warning("stopping", extra={"signal": signal.Signals(signum).name})
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.warning("daemon started", extra={"first_inventory_at": first_run.isoformat(),
                                         "first_checkin_at": first_checkin.isoformat(), **asdict(settings)})
    daemon._record_next_run()
    scheduler.start()
    return 0
