"""Scheduled jobs run on exactly one node; another takes over when it dies (collector/leader.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collector.models import ReconcileRun

ROOT = Path(__file__).resolve().parents[2]
LEADS, STANDS_BY = "this node leads", "standing by"


def _runs(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ReconcileRun).where(ReconcileRun.mode == "full")) or 0


def _wait(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def job_runners(db_url, database, tmp_path):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path / "var"),
           "STOCKTAKE_RECONCILE_INTERVAL_S": "1", "STOCKTAKE_JOBS_STANDBY_POLL_S": "1", "STOCKTAKE_LOG_FORMAT": "text"}
    env.pop("STOCKTAKE_CONFIG", None)
    started = []

    def start(name: str):
        log = tmp_path / f"{name}.log"
        with open(log, "wb") as stderr:  # the child keeps its own descriptor
            process = subprocess.Popen([sys.executable, "-m", "collector.cli", "jobs"], env=env, cwd=ROOT,
                                       stdout=subprocess.DEVNULL, stderr=stderr)
        started.append(process)
        return process, log

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_two_nodes_one_schedule_and_a_takeover(job_runners, database):
    first, first_log = job_runners("node-a")
    _wait(lambda: LEADS in first_log.read_text(), 30, "the first node to lead")
    second, second_log = job_runners("node-b")
    _wait(lambda: STANDS_BY in second_log.read_text(), 30, "the second node to stand by")
    before = _runs(database)
    _wait(lambda: _runs(database) >= before + 3, 30, "three scheduled runs")
    assert LEADS not in second_log.read_text()  # it never scheduled while the first led

    first.send_signal(signal.SIGKILL)  # a node dies without a goodbye: its lease goes with it
    first.wait(timeout=30)
    _wait(lambda: LEADS in second_log.read_text(), 30, "the second node to take over")
    after_takeover = _runs(database)
    _wait(lambda: _runs(database) >= after_takeover + 2, 30, "runs under the new leader")

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
