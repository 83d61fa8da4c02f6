"""What every probe is: a named, self-checking source of one fragment of the report."""

from __future__ import annotations

import subprocess
from typing import Any, Protocol

__all__ = ["CommandError", "Fragment", "Probe", "run_command"]

Fragment = dict[str, Any]
COMMAND_TIMEOUT_S = 60


class Probe(Protocol):
    name: str

    def supported(self) -> bool:
        """Whether this probe can run on this host (platform, tools present)."""

    def collect(self) -> Fragment:
        """One fragment of an InventoryReport; raise to have the error recorded."""


class CommandError(RuntimeError):
    """A command a probe relies on failed; the message says which and how."""


def run_command(argv: list[str], timeout: float = COMMAND_TIMEOUT_S) -> str:
    """Run a command without a shell and return its stdout as text (C locale, bounded time)."""
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            env={"LC_ALL": "C.UTF-8", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
            check=False,
        )
    except FileNotFoundError:
        raise CommandError(f"{argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise CommandError(f"{argv[0]} timed out after {timeout:.0f}s") from None
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CommandError(f"{argv[0]} exited {completed.returncode}: {stderr[-1] if stderr else ''}".strip())
    return completed.stdout.decode("utf-8", "replace")
