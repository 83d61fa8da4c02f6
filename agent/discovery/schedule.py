"""When each scan profile last ran on this agent, kept in the state dir so a restart does not rescan at once.

``scan_runs.json`` holds profile ids and times only (never a task's credentials), written
atomically. A profile never run here is due at once; the daemon still delays its first run
by a random part of a minute so a fleet restarted together does not sweep in lockstep.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from agent.atomic import write_atomically

if TYPE_CHECKING:  # the tasks module brings the SNMP code; ``status`` needs none of it
    from agent.discovery.tasks import ScanTask

__all__ = ["FIRST_RUN_SPLAY_S", "ScanRuns"]

log = logging.getLogger(__name__)
RUNS_FILE = "scan_runs.json"
FIRST_RUN_SPLAY_S = 60


class ScanRuns:
    def __init__(self, state_dir: str) -> None:
        self.path = Path(state_dir) / RUNS_FILE
        self._runs = self._load()

    def _load(self) -> dict[str, datetime]:
        try:
            data = json.loads(self.path.read_text())
            return {str(key): datetime.fromisoformat(value) for key, value in data.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            log.error("ignoring an unreadable scan run record", extra={"path": str(self.path), "error": str(exc)})
            return {}

    def last_run(self, profile_id: int) -> datetime | None:
        return self._runs.get(str(profile_id))

    def record(self, profile_id: int, when: datetime) -> None:
        self._runs[str(profile_id)] = when
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomically(self.path, json.dumps({k: v.isoformat() for k, v in self._runs.items()}).encode(),
                             mode=0o600)
        except OSError as exc:
            log.error("cannot record the scan run", extra={"path": str(self.path), "error": exc.strerror or str(exc)})

    def forget_others(self, profile_ids: set[int]) -> None:
        """Drop profiles no longer assigned (their next assignment starts afresh)."""
        self._runs = {key: value for key, value in self._runs.items() if key in {str(i) for i in profile_ids}}

    def is_due(self, task: ScanTask, now: datetime) -> bool:
        last = self.last_run(task.profile_id)
        return last is None or now - last >= timedelta(seconds=task.interval_s)

    def next_run(self, task: ScanTask, now: datetime, rng: random.Random) -> datetime:
        """The interval after the last run, or soon (with jitter) if that has passed or never happened."""
        last = self.last_run(task.profile_id)
        if last is not None and last + timedelta(seconds=task.interval_s) > now:
            return last + timedelta(seconds=task.interval_s)
        return now + timedelta(seconds=rng.uniform(1, min(FIRST_RUN_SPLAY_S, task.interval_s / 10)))
