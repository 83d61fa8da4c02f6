"""Executable usage: when each program on the host was last seen running.

A sample lists the executable of every running process (psutil, one ``readlink`` of
``/proc/<pid>/exe`` each on Linux); kernel threads have none and other users' processes
may be access-denied to an unprivileged agent, so both are skipped, as are programs run
from an anonymous memory file. Samples accumulate in a small JSON state file, path -> last
seen (Unix seconds), so a report also lists programs that ran between inventories; the
daemon can call ``sample()`` more often than it reports. The state is bounded to the
schema's 20,000 entries, the longest-unseen dropped first, and replaced atomically
(temporary file, fsync, rename) so a crash leaves the old state or the new one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import psutil

from agent.atomic import write_atomically
from agent.probes.base import Fragment

__all__ = ["MAX_ENTRIES", "UsageProbe", "running_executables"]

MAX_ENTRIES = 20_000  # common.schema.InventoryReport.usage
_MAX_PATH = 1024  # common.schema.Text
# Programs run from an anonymous memfd (memfd_create(2), e.g. container runtimes re-executing
# themselves) show "/memfd:<name>": no file, and a name that may change every run.
_ANONYMOUS = "/memfd:"
STATE_VERSION = 1
_LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z, the last time datetime can represent


def running_executables(processes: Iterable[Any]) -> set[str]:
    """Executable paths of ``psutil.process_iter(["exe"])``-like processes, reportable ones only."""
    paths = set()
    for process in processes:
        path = process.info.get("exe")  # None: access denied or zombie; "": kernel thread
        if path and _reportable(path):
            paths.add(path)
    return paths


class UsageProbe:
    name = "usage"

    def __init__(
        self,
        state_path: str | os.PathLike[str] | None = None,
        process_iter: Callable[..., Iterable[Any]] = psutil.process_iter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state_path = os.fspath(state_path) if state_path is not None else None
        self._process_iter = process_iter
        self._clock = clock
        self._last_seen: dict[str, int] | None = None  # loaded lazily; kept in memory without a state file
        self._errors: list[Fragment] = []

    def supported(self) -> bool:
        return True  # psutil reads process executables on every platform the agent runs on

    def sample(self) -> None:
        """Record the executables running now; save the state if there is a state file."""
        last_seen = self._state()
        now = int(self._clock())
        for path in running_executables(self._process_iter(["exe"])):
            last_seen[path] = now
        if len(last_seen) > MAX_ENTRIES:
            newest = sorted(last_seen.items(), key=lambda item: (-item[1], item[0]))[:MAX_ENTRIES]
            self._last_seen = last_seen = dict(newest)
        self._save(last_seen)

    def collect(self) -> Fragment:
        self.sample()
        # Reported by UTC day: enough for "installed but unused", and an unchanged machine's
        # hourly reports stay byte-identical, which the collector stores as one observation.
        usage = [{"path": path, "last_seen_running": _iso(seen - seen % 86400)} for path, seen in sorted(self._state().items())]
        fragment: Fragment = {"usage": usage}
        if self._errors:
            fragment["probe_errors"], self._errors = self._errors, []
        return fragment

    def _state(self) -> dict[str, int]:
        if self._last_seen is None:
            self._last_seen = self._load()
        return self._last_seen

    def _load(self) -> dict[str, int]:
        if self.state_path is None:
            return {}
        try:
            with open(self.state_path, "rb") as handle:
                document = json.loads(handle.read())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self._error(f"state {self.state_path} unreadable, started afresh: {exc}")
            return {}
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION \
                or not isinstance(document.get("last_seen"), dict):
            self._error(f"state {self.state_path} is not a version {STATE_VERSION} usage state, started afresh")
            return {}
        return {path: seen for path, seen in document["last_seen"].items()
                if isinstance(seen, int) and 0 <= seen <= _LAST_SECOND and _reportable(path)}

    def _save(self, last_seen: dict[str, int]) -> None:
        if self.state_path is None:
            return
        data = json.dumps({"version": STATE_VERSION, "last_seen": last_seen}, separators=(",", ":")).encode()
        try:
            write_atomically(self.state_path, data)
        except OSError as exc:
            self._error(f"state {self.state_path} not saved: {exc}")

    def _error(self, message: str) -> None:
        self._errors.append({"probe": self.name, "error": message})


def _reportable(path: str) -> bool:
    """A file path within the schema's bound, in valid UTF-8 (undecodable bytes arrive as lone surrogates)."""
    if len(path) > _MAX_PATH or path.startswith(_ANONYMOUS):
        return False
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()
