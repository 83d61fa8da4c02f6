"""Daemon settings: what a check-in answer may change, and the real daemon end to end."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.config import AgentConfig
from agent.daemon import AgentSettings, load_settings
from collector.access.enrollment import create_enrollment_secret
from collector.models import Agent, ReportReceipt

ROOT = Path(__file__).resolve().parents[2]
CURRENT = AgentSettings(inventory_interval_s=3600, splay_s=600, checkin_interval_s=900)


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"settings": {"inventory_interval_s": 7200, "splay_s": 60, "checkin_interval_s": 300}}, AgentSettings(7200, 60, 300)),
        ({"settings": {"inventory_interval_s": 0}}, CURRENT),
        ({"settings": {"inventory_interval_s": 30 * 86400}}, CURRENT),  # a month: not an inventory schedule
        ({"settings": {"inventory_interval_s": "often", "splay_s": -1}}, CURRENT),
        ({"settings": None}, CURRENT),
        ("not a dict", CURRENT),
    ],
)
def test_checkin_answers_only_change_sane_values(answer, expected):
    assert AgentSettings.from_answer(answer, CURRENT) == expected


def test_settings_survive_restarts(tmp_path):
    config = AgentConfig(state_dir=str(tmp_path))
    (tmp_path / "settings.json").write_text('{"inventory_interval_s": 1800, "splay_s": 30, "checkin_interval_s": 600}')
    assert load_settings(config) == AgentSettings(1800, 30, 600)
    (tmp_path / "settings.json").write_text("{broken")
    assert load_settings(config) == AgentSettings.from_config(config)


@pytest.fixture
def fast_schedule_server(db_url, database, tmp_path):
    """The collector telling agents to inventory every 2 s."""
    from tests.conftest import LiveServer

    server = LiveServer(db_url, tmp_path, workers=1, threads=4,
                        extra_env={"STOCKTAKE_AGENT_INVENTORY_INTERVAL_S": "2", "STOCKTAKE_AGENT_SPLAY_S": "0",
                                   "STOCKTAKE_MAX_CLOCK_SKEW_S": "1"})
    yield server
    server.stop()


@pytest.mark.live
def test_daemon_checks_in_reports_on_schedule_and_stops_on_sigterm(fast_schedule_server, database, tmp_path):
    live_server = fast_schedule_server
    with database.write() as session:
        secret = create_enrollment_secret(session, "daemon").secret
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": live_server.url,
           "STOCKTAKE_AGENT_ENROLL_SECRET": secret, "STOCKTAKE_AGENT_STATE_DIR": str(tmp_path / "state"),
           "STOCKTAKE_AGENT_INVENTORY_INTERVAL_S": "3600", "STOCKTAKE_AGENT_SPLAY_S": "0"}  # the collector says 2 s
    log_path = tmp_path / "agent.log"
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen([sys.executable, "-m", "agent.cli", "daemon"], env=env, cwd=ROOT, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with database.session() as session:
                reports = session.scalar(select(func.count()).select_from(ReportReceipt))
                checked_in = session.scalar(select(Agent.last_checkin_at))
            if reports >= 2 and checked_in:
                break
            assert daemon.poll() is None, log_path.read_text()
            time.sleep(0.5)
        assert reports >= 2 and checked_in, log_path.read_text()
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Agent)) == 1  # enrolled once
        status = subprocess.run([sys.executable, "-m", "agent.cli", "status"], env=env, capture_output=True, text=True, timeout=30)
        assert "spool depth:  0" in status.stdout and "next run:" in status.stdout
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
    assert daemon.returncode == 0
    assert "stopping" in log_path.read_text()
