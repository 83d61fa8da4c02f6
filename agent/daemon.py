"""``stocktake-agent daemon``: inventory on an interval, check-in for settings and tasks.

Each host waits a random part of the splay before its first inventory and every run is
jittered by the splay, so a fleet restarted together does not report in lockstep. The
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

from agent import __version__
from agent.atomic import write_atomically
from agent.config import AgentConfig
from agent.cycle import collector_client, describe, enroll, read_status, run_cycle, spool_for, write_status
from agent.delivery import KeyKeeper
from agent.state import load_identity
from agent.transport import TransportError

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
    def __init__(self, config: AgentConfig, scheduler) -> None:
        self.config = config
        self.scheduler = scheduler
        self.settings = load_settings(config)
        self.lock = threading.Lock()
        self.checked_in = False

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
        if load_identity(self.config.state_dir) is None:
            return  # not enrolled yet: the inventory cycle enrols first
        try:
            client = collector_client(self.config)
            keys = KeyKeeper(load_identity(self.config.state_dir), lambda prev: enroll(self.config, client, prev))
            status = read_status(self.config.state_dir)
            body = {"agent_version": __version__, "spool_depth": spool_for(self.config).depth,
                    "last_success_at": status.get("last_success_at")}
            try:
                answer = client.checkin(keys.key(), body)
            except TransportError as exc:
                if exc.status != 401 or not keys.renew():
                    raise
                answer = client.checkin(keys.key(), body)
        except (TransportError, OSError, ValueError) as exc:
            log.warning("check-in failed; keeping current settings", extra={"error": str(exc)})
            return
        self.checked_in = True
        tasks = answer.get("tasks") if isinstance(answer, dict) else None
        if tasks:
            log.warning("collector sent tasks this agent version cannot run yet", extra={"tasks": len(tasks)})
        self.apply(AgentSettings.from_answer(answer, self.settings))

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
    daemon = _Daemon(config, scheduler)
    settings = daemon.settings
    now = datetime.now(timezone.utc)
    first_run = now + timedelta(seconds=(rng or random.Random()).uniform(0, settings.splay_s))
    scheduler.add_job(
        daemon.inventory_job, IntervalTrigger(seconds=settings.inventory_interval_s, jitter=settings.splay_s or None),
        id="inventory", next_run_time=first_run, max_instances=1, coalesce=True, misfire_grace_time=None,
    )
    scheduler.add_job(daemon.usage_job, IntervalTrigger(seconds=USAGE_SAMPLE_INTERVAL_S, jitter=30), id="usage",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.add_job(
        daemon.checkin_job, IntervalTrigger(seconds=settings.checkin_interval_s, jitter=30),
        id="checkin", next_run_time=now, max_instances=1, coalesce=True, misfire_grace_time=None,
    )

    def stop(signum, _frame):
        log.warning("stopping", extra={"signal": signal.Signals(signum).name})
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.warning("daemon started", extra={"first_inventory_at": first_run.isoformat(), **asdict(settings)})
    daemon._record_next_run()
    scheduler.start()
    return 0
