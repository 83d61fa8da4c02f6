"""stocktake-agent against the real collector: enrol, send this host's real inventory."""

import json
import os
import stat
import subprocess
import sys
import zlib

import pytest
import requests

from sqlalchemy import select

from collector.access.enrollment import create_enrollment_secret
from collector.models import Observation


def _agent(*args, env):
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def test_inventory_print_needs_no_server():
    result = _agent("inventory", "--print", "--compact", env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1 and report["host"]["hostname"]


@pytest.mark.live
def test_run_once_enrols_and_reports_this_host(live_server, database, tmp_path, make_token):
    with database.write() as session:
        secret = create_enrollment_secret(session, "agent-cli").secret
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": live_server.url,
           "STOCKTAKE_AGENT_ENROLL_SECRET": secret, "STOCKTAKE_AGENT_STATE_DIR": str(tmp_path / "state")}
    first = _agent("run", "--once", env=env)
    assert first.returncode == 0, first.stderr
    assert ": delivered;" in first.stdout and "spooled 0" in first.stdout
    identity = tmp_path / "state" / "identity.json"
    assert stat.S_IMODE(identity.stat().st_mode) == 0o600
    second = _agent("run", "--once", env=env)
    assert ": delivered;" in second.stdout, second.stdout + second.stderr
    assets = requests.get(f"{live_server.url}/api/v1/assets", headers=make_token(), timeout=10).json()
    assert assets["total"] == 1
    with database.session() as session:
        observations = session.execute(select(Observation.report_count, Observation.payload)
                                       .order_by(Observation.id)).all()
    # Two reports arrived. The second has the first's content ("unchanged": one observation seen
    # twice) unless a program started on this machine in between: the usage probe lists running
    # executables, and the other CI pass starts browsers and servers. Nothing else may differ.
    assert sum(count for count, _ in observations) == 2
    if len(observations) == 2:
        first_report, second_report = (json.loads(zlib.decompress(payload, wbits=47)) for _, payload in observations)
        changed = {key for key in first_report.keys() | second_report.keys()
                   if first_report.get(key) != second_report.get(key)}
        assert changed <= {"report_id", "collected_at", "usage"}, changed
    status = _agent("status", "--json", env=env)
    assert json.loads(status.stdout)["spool_depth"] == 0 and json.loads(status.stdout)["last_success_at"]
    detail = requests.get(f"{live_server.url}/api/v1/assets/{assets['items'][0]['id']}", headers=make_token(), timeout=10).json()
    assert all(s["provenance"]["report_id"] for s in detail["software"])
    assert {s["source"] for s in detail["software"]} == {"dpkg"}  # the package manager, not overwritten
    assert any(p["name"] == "dpkg" for p in detail["software"])


def test_unreachable_collector_is_a_clear_error(tmp_path):
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": "http://127.0.0.1:9",
           "STOCKTAKE_AGENT_ENROLL_SECRET": "stke_x", "STOCKTAKE_AGENT_STATE_DIR": str(tmp_path)}
    result = _agent("run", "--once", env=env)
    assert result.returncode == 1
    assert "cannot reach collector at http://127.0.0.1:9" in result.stderr + result.stdout
