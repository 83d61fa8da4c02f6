"""The "facts changed" step of agents' reports, run in batches off the request.

Every stored report used to reconcile its asset and run the consumers (workflow triggers,
licence positions) inside the request. On PostgreSQL that was a third of a first report's
time, almost all of it the fixed cost of a run (the run row, the exception scope, quieted
exceptions, workflow look-ups), paid again for every machine. Here each process gathers the
subjects reported during ``facts_batch_window_ms`` (or until reports pause for 100 ms) and
runs one :func:`facts_changed` for all of them on a background thread: forty new machines
cost one run of ~80 ms instead of forty of ~25 ms each, and the agent's answer no longer
waits for any of it.

What that changes: a new exception or workflow appears up to the window (plus the run) after
the report that caused it. What it does not: the report is committed before its ids are
queued, and the queue holds only ids, so a process that dies with a batch pending loses
work the next full reconciliation redoes anyway (the same guarantee as when the inline step
failed). A clean exit (gunicorn restarting a worker, SIGTERM, the end of a CLI command) runs
what is pending first. A window of 0 runs the step inside the request, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import datetime

from collector import metrics
from collector.config import CollectorConfig
from collector.db import Database
from collector.facts import FactSource, facts_changed

__all__ = ["FactsBatcher", "batcher_for", "report_facts_changed", "stop_all"]

log = logging.getLogger(__name__)

# Stop gathering and run at once when a batch holds this many subjects: one run's statements
# grow with it, and a scanner's report alone can bring thousands of devices.
MAX_BATCH_SUBJECTS = 2000
# A batch also runs once no report has come for this long (or the window, if shorter): under
# load reports keep coming and the window fills; when they stop, the last ones need not wait.
QUIET_S = 0.1
EXIT_FLUSH_TIMEOUT_S = 60.0


def report_facts_changed(db: Database, config: CollectorConfig, now: datetime, *, asset_ids: Iterable[int] = (),
                         device_ids: Iterable[int] = (), source: FactSource) -> None:
    """What ingest calls once a report is committed: facts_changed now (window 0) or in this
    process's next batch."""
    if config.facts_batch_window_ms <= 0:
        facts_changed(db, config, now, asset_ids=asset_ids, device_ids=device_ids, source=source)
        return
    batcher_for(db, config).submit(source, now, asset_ids, device_ids)


class FactsBatcher:
    """One background thread per process and database, running gathered subjects per source."""

    def __init__(self, db: Database, config: CollectorConfig, window_s: float,
                 max_subjects: int = MAX_BATCH_SUBJECTS, quiet_s: float | None = None) -> None:
        self.db, self.config, self.window_s, self.max_subjects = db, config, window_s, max_subjects
        self.quiet_s = min(QUIET_S if quiet_s is None else quiet_s, window_s)
        self._last_submit = 0.0
        self._cond = threading.Condition()
        self._pending: dict[FactSource, tuple[set[int], set[int]]] = {}
        self._latest: datetime | None = None
        self._running = False
        self._running_subjects = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.batches_run = 0

    def submit(self, source: FactSource, now: datetime, asset_ids: Iterable[int], device_ids: Iterable[int]) -> None:
        assets, devices = set(asset_ids), set(device_ids)
        if not assets and not devices:
            return
        with self._cond:
            pending_assets, pending_devices = self._pending.setdefault(FactSource(source), (set(), set()))
            pending_assets |= assets
            pending_devices |= devices
            self._latest = now if self._latest is None else max(self._latest, now)
            self._last_submit = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._loop, name="stocktake-facts", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        metrics.set_facts_pending(self.pending_subjects())

    def pending_subjects(self) -> int:
        """Subjects waiting for a batch or in the batch being run."""
        with self._cond:
            return self._size() + self._running_subjects

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until nothing is pending or running (True), or ``timeout_s`` passed (False)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._cond.notify_all()  # a gathering thread re-checks and keeps its window
            while self._pending or self._running:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return not (self._pending or self._running)
                self._cond.wait(min(left, 0.05))
        return True

    def stop(self, timeout_s: float = EXIT_FLUSH_TIMEOUT_S) -> None:
        """Run what is pending now, then end the thread (at process exit)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("facts batch still running at exit; the next full reconciliation will catch up",
                            extra={"pending_subjects": self.pending_subjects()})

    def _size(self) -> int:
        return sum(len(assets) + len(devices) for assets, devices in self._pending.values())

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if not self._pending:
                    return  # stopping, nothing left
                deadline = time.monotonic() + self.window_s
                while not self._stopping and self._size() < self.max_subjects:
                    now_s = time.monotonic()
                    left = min(deadline, self._last_submit + self.quiet_s) - now_s
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch, now = self._pending, self._latest
                self._running_subjects = self._size()
                self._pending, self._latest, self._running = {}, None, True
            try:
                self._run(batch, now)
            finally:
                with self._cond:
                    self._running, self._running_subjects = False, 0
                    self.batches_run += 1
                    self._cond.notify_all()
                metrics.set_facts_pending(self.pending_subjects())

    def _run(self, batch: dict[FactSource, tuple[set[int], set[int]]], now: datetime) -> None:
        for source, (assets, devices) in batch.items():
            try:
                facts_changed(self.db, self.config, now, asset_ids=assets, device_ids=devices, source=source)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad batch
                log.exception("facts batch failed; the next full reconciliation will catch up",
                              extra={"source": source.value, "assets": len(assets), "devices": len(devices)})


_batchers: dict[int, FactsBatcher] = {}
_batchers_pid = os.getpid()
_registry_lock = threading.Lock()


def batcher_for(db: Database, config: CollectorConfig) -> FactsBatcher:
    """This process's batcher for ``db`` (a forked child starts with none of its parent's)."""
    global _batchers_pid
    with _registry_lock:
        if _batchers_pid != os.getpid():
            _batchers.clear()
            _batchers_pid = os.getpid()
        batcher = _batchers.get(id(db))
        if batcher is None or batcher.db is not db:
            batcher = FactsBatcher(db, config, config.facts_batch_window_ms / 1000)
            _batchers[id(db)] = batcher
        return batcher


@atexit.register
def stop_all() -> None:
    """Run every pending batch of this process and end the threads (process exit)."""
    with _registry_lock:
        batchers = list(_batchers.values()) if _batchers_pid == os.getpid() else []
    for batcher in batchers:
        batcher.stop()
