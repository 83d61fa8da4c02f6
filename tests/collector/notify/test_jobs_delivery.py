"""The scheduled jobs process delivers the outbox (stocktake-collector jobs, a real subprocess)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from collector.notify import enqueue
from tests.collector.notify.conftest import HOOK_SECRET

ROOT = Path(__file__).resolve().parents[3]


def test_jobs_deliver_what_was_enqueued(db_url, database, tmp_path, receiver):
    with database.write() as session:
        enqueue(session, "webhook", "ops", "SLA breached", "x", {"workflow": 3}, dedupe_key="sla:3")
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path / "var"),
           "STOCKTAKE_NOTIFY_INTERVAL_S": "1", "STOCKTAKE_JOBS_STANDBY_POLL_S": "1", "STOCKTAKE_LOG_FORMAT": "text",
           "STOCKTAKE_WEBHOOK_URLS": f"ops={receiver.url}", "STOCKTAKE_WEBHOOK_SECRETS": f"ops={HOOK_SECRET}"}
    env.pop("STOCKTAKE_CONFIG", None)
    with open(tmp_path / "jobs.log", "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "collector.cli", "jobs"], env=env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
        while not receiver.received and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert [body["data"] for body in receiver.received] == [{"workflow": 3}], (tmp_path / "jobs.log").read_text()
    assert receiver.bad_signatures == 0
