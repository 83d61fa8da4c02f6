"""Snaps from ``snap list --unicode=never``.

The table (snapd ``cmd/snap/cmd_list.go``) has six columns, Name Version Rev Tracking
Publisher Notes, aligned by Go's tabwriter; a local snap has ``-`` as its tracking channel
and publisher. In ASCII mode a verified publisher is suffixed ``**`` and a "starred" one
``*`` (``cmd/snap/color.go``). The install date of a revision is the mtime of its squashfs
file, ``/var/lib/snapd/snaps/<name>_<rev>.snap``, written when snapd downloaded it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from agent.probes.base import Fragment, run_command

__all__ = ["SNAPS_DIR", "SnapSource", "parse_snap_list"]

SNAPS_DIR = Path("/var/lib/snapd/snaps")
_HEADER = ["Name", "Version", "Rev", "Tracking", "Publisher", "Notes"]

InstallTime = Callable[[str, str], str | None]


class SnapSource:
    name = "snap"

    def __init__(self, snaps_dir: Path = SNAPS_DIR) -> None:
        self.snaps_dir = snaps_dir

    def supported(self) -> bool:
        return shutil.which("snap") is not None

    def collect(self) -> list[Fragment]:
        return parse_snap_list(run_command(["snap", "list", "--unicode=never"]), self._install_time)

    def _install_time(self, name: str, revision: str) -> str | None:
        try:
            mtime = os.stat(self.snaps_dir / f"{name}_{revision}.snap").st_mtime
        except OSError:
            return None
        return datetime.fromtimestamp(mtime, timezone.utc).isoformat()


def parse_snap_list(text: str, install_time: InstallTime | None = None) -> list[Fragment]:
    """Installed snaps; ``install_time(name, revision)`` may date each one."""
    lines = [(number, line.rstrip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return []  # "No snaps are installed yet" goes to stderr
    starts = _column_starts(*lines[0])
    snaps = []
    for number, line in lines[1:]:
        name, version, revision, _tracking, publisher, _notes = _cells(line, starts, number)
        publisher = publisher.rstrip("*")
        snap = {
            "name": name,
            "version": None if version in ("", "-") else version,
            "publisher": None if publisher in ("", "-") else publisher,
            "source": "snap",
            "install_date": install_time(name, revision) if install_time else None,
        }
        snaps.append({k: v for k, v in snap.items() if v is not None})
    return snaps


def _column_starts(number: int, header: str) -> list[int]:
    """Where each column begins: tabwriter pads every cell to the header's alignment."""
    words = list(re.finditer(r"\S+", header))
    if [word.group() for word in words] != _HEADER:
        raise ValueError(f"snap list line {number}: expected the header {' '.join(_HEADER)!r}, got {header[:80]!r}")
    return [word.start() for word in words]


def _cells(line: str, starts: list[int], number: int) -> list[str]:
    # Cells are sliced by position rather than split on spaces so that an empty one
    # (a snap.yaml without a version) cannot shift the columns after it.
    if len(line) <= starts[-1] or any(line[start - 1] != " " for start in starts[1:]):
        raise ValueError(f"snap list line {number}: columns do not line up with the header")
    bounds = zip(starts, starts[1:] + [len(line)])
    cells = [line[start:end].strip() for start, end in bounds]
    if not cells[0] or " " in cells[0]:
        raise ValueError(f"snap list line {number}: no snap name in the Name column")
    return cells
