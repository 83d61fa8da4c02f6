"""What a finished reconciliation run did, in the words its "run now" notice uses.

Read back from the run's row (``reconcile_runs.counts``, written by engine._finish), so the
notice says what was stored, not what the request remembers: subjects matched to a CI and
not, exceptions opened and resolved by this run, and how many its outcome left open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from collector.models.reconcile import ReconcileRun

__all__ = ["RunNotice", "run_notice"]


@dataclass(frozen=True)
class RunNotice:
    run_id: int
    mode: str
    subjects: int
    matched: int
    unmatched: dict[str, int]  # outcome (unmanaged, duplicate, ...) -> subjects
    opened: int
    resolved: int
    exceptions: int  # exceptions the run's outcome holds open (new and carried over)

    @property
    def unmatched_total(self) -> int:
        return sum(self.unmatched.values())


def run_notice(session: Session, run_id: int) -> RunNotice | None:
    """The notice of a finished run; None for an unknown, running or failed one."""
    run = session.get(ReconcileRun, run_id)
    if run is None or run.status != "finished":
        return None
    counts = run.counts or {}
    outcomes = {k: int(v) for k, v in counts.items() if "." not in k and k not in ("opened", "resolved")}
    return RunNotice(run.id, run.mode, run.subjects, outcomes.pop("matched", 0), dict(sorted(outcomes.items())),
                     int(counts.get("opened", 0)), int(counts.get("resolved", 0)),
                     sum(int(v) for k, v in counts.items() if k.startswith("exceptions.")))
