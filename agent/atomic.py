"""Crash-safe file replacement for the agent's state: the old content or the new, never half.

Write a temporary file beside the target, fsync it, rename it over the target (atomic on
POSIX), then fsync the directory so the rename itself survives a power cut.
"""

from __future__ import annotations

import os

__all__ = ["TMP_SUFFIX", "write_atomically"]

TMP_SUFFIX = ".tmp"


def write_atomically(target: str | os.PathLike[str], data: bytes, mode: int = 0o600) -> None:
    target = os.fspath(target)
    # One agent, one writer per file: a fixed temporary name is enough.
    temporary = target + TMP_SUFFIX
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    directory = os.open(os.path.dirname(target) or os.curdir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
