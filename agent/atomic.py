"""Crash-safe file replacement for the agent's state: the old content or the new, never half.

Write a temporary file beside the target, fsync it, rename it over the target (atomic on
POSIX), then fsync the directory so the rename itself survives a power cut.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["TMP_SUFFIX", "write_atomically"]

TMP_SUFFIX = ".tmp"


def write_atomically(target: Path, data: bytes, mode: int = 0o600) -> None:
    # One agent, one writer per file: a fixed temporary name is enough.
    temporary = target.with_name(target.name + TMP_SUFFIX)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
