"""R1 in CI: bench/crash.py --quick must lose nothing, store nothing twice, leave no half-written row.

50 agents send 1,000 reports through gunicorn to a PostgreSQL of the test's own while three
workers are SIGKILLed and PostgreSQL is crashed and restarted (the full battery, 200 agents x
50 reports and five kills, is `python bench/crash.py`; figures in docs/benchmarks.md). Run in
the PostgreSQL pass only: the private server is the same whichever database the suite uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.live
@pytest.mark.postgresql_pass
def test_killed_workers_and_a_crashed_database_lose_nothing():
    if os.environ.get("STOCKTAKE_TEST_DB", "sqlite") != "postgresql":
        pytest.skip("R1 runs in the PostgreSQL pass (make test TEST_DB=postgresql)")
    from tests.pgserver import _bin_dir

    if _bin_dir() is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
    result = subprocess.run([sys.executable, "bench/crash.py", "--quick"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["agent_threads_crashed"] == 0, (figures["agent_thread_errors"], result.stderr[-3000:])
    assert figures["reports"] == 1000 and figures["stored"] == 1000, figures
    assert (figures["lost"], figures["duplicated"], figures["half_written"], figures["errors_5xx"]) == (0, 0, 0, 0), figures
    assert figures["worker_kills"] == 3 and figures["postgres_crashes"] == 1, figures
