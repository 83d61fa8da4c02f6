"""The disk spool: every report is on disk before it is sent, and leaves only after a 2xx.

Reports survive collector outages and agent restarts. Each report is one gzip file,
written to a temporary name, fsynced, then renamed into place (and the directory
fsynced), so a crash or SIGKILL leaves either the whole file or none of it. The spool is
bounded in bytes and in count; when full, the oldest reports are dropped and the number
dropped travels in the next report (``spool_dropped``) so the collector knows.

The rest of the spool's state is kept in the names of empty marker files, each changed by
one rename: a crash, a SIGKILL or a full disk (a rename needs no free block) never leaves
it half-updated, and a count can never be torn.

- ``<report>.<n>.failed``: the collector failed on that report n times (a 500, not a busy
  or away answer); after ``max_failures`` the report is rejected (issue 16, defect 2).
- ``<name>.<n>.dropped``: n reports dropped and not yet reported. A dropped report *becomes*
  its marker by rename, so it is counted exactly once, together with the drops it carried;
  a report lost because neither the spool nor the collector could take it gets one too
  (issue 16, defect 11), or is held in memory until the disk takes it.
- ``rejected/``: reports the collector refused for good, each with a ``.reason``; only the
  newest ``REJECTED_KEEP`` are kept (a collector that refuses every report must not fill the
  disk with them), the older ones deleted with a log line.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.atomic import TMP_SUFFIX, write_atomically

__all__ = ["Drops", "Spool", "SpoolCorrupt", "SpoolEntry", "SpoolError"]

log = logging.getLogger(__name__)

SUFFIX = ".json.gz"
FAILED = ".failed"
DROPPED = ".dropped"
LEGACY_DROPPED_FILE = "dropped"  # the counter file of earlier versions: still read, then removed
REJECTED_DIR = "rejected"
REASON_SUFFIX = ".reason"
REJECTED_KEEP = 100  # reports kept in rejected/ for a human; older ones are deleted

# Drops the disk could not record (full, read-only), per spool directory; recorded by the next
# call that finds the disk writable. Held per process, so the daemon never loses them.
_UNRECORDED: dict[str, int] = {}


class SpoolError(OSError):
    """The spool cannot be written (not writable, disk full); the message says which."""


class SpoolCorrupt(ValueError):
    """A spooled file is damaged (truncated, bit-flipped, not gzip): it can never be sent."""


@dataclass(frozen=True)
class SpoolEntry:
    path: Path
    size: int

    @property
    def report_id(self) -> str:
        return self.path.name.removesuffix(SUFFIX).split("-", 1)[1]


@dataclass(frozen=True)
class Drops:
    """Drops not yet reported: the markers that record them and those held in memory."""

    count: int = 0
    markers: tuple[Path, ...] = ()
    unrecorded: int = 0


class Spool:
    def __init__(self, directory: str | os.PathLike[str], max_bytes: int = 64 * 1024 * 1024, max_reports: int = 1000) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_reports = max_reports
        self._last_stamp = 0

    # --- writing -----------------------------------------------------------------------

    def put(self, report: dict[str, Any]) -> SpoolEntry:
        """Store a report durably; drops the oldest ones first if the bound would be exceeded."""
        body = gzip.compress(json.dumps(report, separators=(",", ":")).encode(), 6, mtime=0)
        return self.put_encoded(report["report_id"], body)

    def put_encoded(self, report_id: str, body: bytes) -> SpoolEntry:
        """Store a report already serialised and gzip-compressed (``put`` makes ``body``)."""
        if len(body) > self.max_bytes:
            raise SpoolError(f"report of {len(body)} bytes exceeds the spool limit of {self.max_bytes} bytes")
        try:
            self._ensure_directory()
            self._make_room(len(body))
            target = self.directory / f"{self._stamp():020d}-{report_id}{SUFFIX}"
            write_atomically(target, body)
        except OSError as exc:
            raise SpoolError(f"cannot write the spool in {self.directory}: {exc.strerror or exc}") from exc
        return SpoolEntry(target, len(body))

    def _stamp(self) -> int:
        # Strictly increasing, so file names sort in the order reports were spooled.
        self._last_stamp = max(time.time_ns(), self._last_stamp + 1)
        return self._last_stamp

    def _ensure_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _make_room(self, incoming: int) -> None:
        entries = self.pending()
        total = sum(entry.size for entry in entries)
        dropped = 0
        while entries and (len(entries) + 1 > self.max_reports or total + incoming > self.max_bytes):
            oldest = entries.pop(0)
            self._drop(oldest)
            total -= oldest.size
            dropped += 1
        if dropped:
            log.warning("spool full: dropped the oldest reports", extra={"dropped": dropped})

    def _drop(self, entry: SpoolEntry) -> None:
        marker = entry.path.with_name(f"{entry.path.name}.{1 + self._carried_drops(entry)}{DROPPED}")
        try:
            os.replace(entry.path, marker)  # leaves the spool and is counted in one step
        except FileNotFoundError:
            return
        os.truncate(marker, 0)  # its space back (cleanup finishes this after a crash)
        self._forget_failures(entry)

    def _carried_drops(self, entry: SpoolEntry) -> int:
        """The earlier drops a spooled report was carrying to the collector (they go unreported with it)."""
        try:
            carried = json.loads(gzip.decompress(entry.path.read_bytes())).get("spool_dropped", 0)
        except (OSError, EOFError, zlib.error, ValueError, AttributeError):
            return 0
        return carried if isinstance(carried, int) and not isinstance(carried, bool) and carried > 0 else 0

    # --- reading -----------------------------------------------------------------------

    def pending(self) -> list[SpoolEntry]:
        """Spooled reports, oldest first (temporary files of an interrupted write are ignored)."""
        entries = []
        for path in sorted(self._names(SUFFIX)):
            try:
                entries.append(SpoolEntry(path, path.stat().st_size))
            except FileNotFoundError:
                continue
        return entries

    def _names(self, suffix: str, directory: Path | None = None) -> list[Path]:
        try:
            return [p for p in (directory or self.directory).iterdir() if p.name.endswith(suffix)]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def read(self, entry: SpoolEntry) -> bytes:
        """The gzip body of a spooled report, checked to be complete.

        Damage shows up as any of three exceptions (issue 16, defect 4: a bad deflate stream
        raises zlib.error, which is not an OSError, and crashed every run); all become
        SpoolCorrupt. A file that cannot be read at all stays an OSError.
        """
        data = entry.path.read_bytes()
        try:
            gzip.decompress(data)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise SpoolCorrupt(f"damaged spool file {entry.path.name}: {exc or type(exc).__name__}") from None
        return data

    def remove(self, entry: SpoolEntry) -> None:
        entry.path.unlink(missing_ok=True)
        self._forget_failures(entry)

    def reject(self, entry: SpoolEntry, reason: str) -> None:
        """Move a report the collector will never take aside, with the reason, for a human to look at."""
        rejected = self.directory / REJECTED_DIR
        rejected.mkdir(exist_ok=True, mode=0o700)
        carried = self._carried_drops(entry)
        try:
            write_atomically(rejected / (entry.path.name + REASON_SUFFIX), (reason + "\n").encode())
        except OSError as exc:  # the move matters more than the note
            log.error("cannot write why a report was rejected", extra={"error": exc.strerror or str(exc)})
        os.replace(entry.path, rejected / entry.path.name)
        self._forget_failures(entry)
        if carried:
            self.count_lost(carried)
        log.error("report moved aside for good", extra={"report": entry.path.name, "reason": reason})
        self._prune_rejected(rejected)

    def _prune_rejected(self, rejected: Path) -> None:
        """Keep the newest REJECTED_KEEP rejected reports (names sort by spooling time)."""
        kept = sorted(self._names(SUFFIX, rejected))
        for path in kept[:max(0, len(kept) - REJECTED_KEEP)]:
            path.unlink(missing_ok=True)
            Path(str(path) + REASON_SUFFIX).unlink(missing_ok=True)
            log.warning("oldest rejected report deleted", extra={"report": path.name, "kept": REJECTED_KEEP})

    @property
    def depth(self) -> int:
        return len(self.pending())

    @property
    def rejected(self) -> int:
        """Reports waiting in rejected/ for a human (the check-in's ``spool_rejected``)."""
        return len(self._names(SUFFIX, self.directory / REJECTED_DIR))

    def cleanup_temporary(self) -> int:
        """Finish what a crash interrupted: temporary files, failure markers of reports gone, untruncated drops."""
        removed = 0
        for path in self._names(TMP_SUFFIX) + self._names(TMP_SUFFIX, self.directory / REJECTED_DIR):
            path.unlink(missing_ok=True)
            removed += 1
        for path in self._names(FAILED):
            if not path.with_name(path.name.rsplit(".", 2)[0]).exists():
                path.unlink(missing_ok=True)
        for path in self._names(DROPPED):
            if path.stat().st_size:
                os.truncate(path, 0)
        return removed

    # --- failures of the collector on one report ---------------------------------------

    def failures(self, entry: SpoolEntry) -> int:
        """How many times the collector has failed on this report (kept across restarts)."""
        return max((_marker_count(p) for p in self._failure_markers(entry)), default=0)

    def record_failure(self, entry: SpoolEntry) -> int:
        """Count one more failure on this report; the new count. OSError if the disk takes nothing."""
        markers = sorted(self._failure_markers(entry), key=_marker_count)
        count = (_marker_count(markers[-1]) if markers else 0) + 1
        target = entry.path.with_name(f"{entry.path.name}.{count}{FAILED}")
        if markers:
            os.replace(markers[-1], target)
        else:
            _create_empty(target)
        return count

    def _failure_markers(self, entry: SpoolEntry) -> list[Path]:
        return list(self.directory.glob(f"{entry.path.name}.*{FAILED}"))

    def _forget_failures(self, entry: SpoolEntry) -> None:
        for path in self._failure_markers(entry):
            path.unlink(missing_ok=True)

    # --- drop accounting ---------------------------------------------------------------

    def count_lost(self, count: int = 1) -> None:
        """Record reports dropped outside the spool (e.g. lost while the spool and collector were unusable)."""
        _UNRECORDED[self._key] = _UNRECORDED.get(self._key, 0) + count
        self._record_unrecorded()

    def drops(self) -> Drops:
        """Drops not yet reported; ``forget`` them once a report carrying the count is safe."""
        unrecorded = self._record_unrecorded()
        markers = tuple(sorted(self._names(DROPPED)))
        count = sum(_marker_count(p) for p in markers) + unrecorded
        legacy = self.directory / LEGACY_DROPPED_FILE
        try:
            count += max(int(legacy.read_text() or 0), 0)
            markers += (legacy,)
        except (FileNotFoundError, NotADirectoryError, ValueError):
            pass
        return Drops(count, markers, unrecorded)

    def forget(self, drops: Drops) -> None:
        """The collector has (or a spooled report carries) these drops: stop counting them."""
        for path in drops.markers:
            path.unlink(missing_ok=True)
        if drops.unrecorded:
            _UNRECORDED[self._key] = _UNRECORDED.get(self._key, 0) - drops.unrecorded

    def dropped(self) -> int:
        return self.drops().count

    def take_dropped(self) -> int:
        """The number of reports dropped since the last call (it goes into the next report)."""
        drops = self.drops()
        self.forget(drops)
        return drops.count

    @property
    def _key(self) -> str:
        return os.path.abspath(self.directory)

    def _record_unrecorded(self) -> int:
        """Write drops held in memory into a marker if the disk now takes it; what is still held."""
        held = _UNRECORDED.get(self._key, 0)
        if held <= 0:
            return held
        try:
            _create_empty(self.directory / f"{self._stamp():020d}-lost.{held}{DROPPED}")
        except OSError as exc:
            log.error("cannot record dropped reports on disk; holding the count in memory",
                      extra={"dropped": held, "error": exc.strerror or str(exc)})
            return held
        _UNRECORDED[self._key] = 0
        return 0


def _marker_count(path: Path) -> int:
    """The n of ``<name>.<n>.failed`` or ``<name>.<n>.dropped`` (0 for a name not ours)."""
    count = path.name.rsplit(".", 2)[-2] if path.name.count(".") >= 2 else ""
    return int(count) if count.isdigit() else 0


def _create_empty(path: Path) -> None:
    # An empty file needs an inode and a directory entry but no data block: a full disk
    # usually still takes it, where the counter file of earlier versions failed.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a power cut
    finally:
        os.close(directory)
