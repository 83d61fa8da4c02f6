"""The agent against the real collector when things go wrong: outages, revoked keys,
bad certificates, an unusable spool, a broken package database."""

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.config import AgentConfig
from agent.cycle import run_cycle, spool_for
from agent.delivery import Backoff
from agent.probes.software import SoftwareProbe
from agent.state import load_identity
from collector.access.enrollment import create_enrollment_secret, revoke_agent, revoke_enrollment_secret
from collector.models import Asset, EnrollmentSecret, Observation, ReportReceipt
from tests.conftest import LiveServer

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]


class _HostProbe:
    """A fast stand-in for the real probes (the cycle machinery is what is under test)."""

    name = "host"

    def __init__(self, packages: int = 50):
        self.packages = packages

    def supported(self):
        return True

    def collect(self):
        return {"host": {"hostname": "fault-host"}, "os": {"name": "Debian GNU/Linux", "version": "12"},
                "software": [{"name": f"pkg{i}", "version": "1.0", "source": "dpkg"} for i in range(self.packages)]}


@pytest.fixture
def secret(database):
    with database.write() as session:
        return create_enrollment_secret(session, f"faults-{random.randrange(10**9)}").secret


def _config(server_url, secret, state_dir, **overrides):
    values = dict(server_url=server_url, enroll_secret=secret, state_dir=str(state_dir), delivery_budget_s=5,
                  spool_max_reports=100)
    values.update(overrides)
    return AgentConfig(**values).validated()


def _count(database, model):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


NO_WAIT = dict(backoff=Backoff(base_s=0.001, cap_s=0.001), sleep=lambda s: None)


def test_fifty_cycles_of_outage_are_spooled_then_all_delivered_once(live_server, database, secret, tmp_path):
    state = tmp_path / "state"
    up = _config(live_server.url, secret, state)
    assert run_cycle(up, [_HostProbe()], **NO_WAIT).error is None  # enrolled, one report in
    down = _config("http://127.0.0.1:9", secret, state)  # nothing listens on port 9
    for _ in range(50):
        result = run_cycle(down, [_HostProbe()], **NO_WAIT)
        assert result.spooled and "cannot reach collector" in result.error
    assert spool_for(down).depth == 50
    back = run_cycle(up, [_HostProbe()], **NO_WAIT)
    assert (back.error, back.delivered, back.spool_depth) == (None, 51, 0)
    assert run_cycle(up, [_HostProbe()], **NO_WAIT).delivered == 1
    assert _count(database, ReportReceipt) == 53  # every report exactly once
    with database.session() as session:
        assert session.scalar(select(Observation.report_count)) == 53


def test_spool_bound_holds_during_an_outage_and_drops_are_reported(live_server, database, secret, tmp_path):
    state = tmp_path / "state"
    run_cycle(_config(live_server.url, secret, state), [_HostProbe()], **NO_WAIT)
    down = _config("http://127.0.0.1:9", secret, state, spool_max_reports=10)
    for _ in range(15):
        run_cycle(down, [_HostProbe()], **NO_WAIT)
    assert spool_for(down).depth == 10
    run_cycle(_config(live_server.url, secret, state), [_HostProbe()], **NO_WAIT)
    with database.session() as session:
        from collector.models import Agent

        assert session.scalar(select(Agent.reports_dropped)) == 5


def test_revoked_key_reenrols_once_and_keeps_its_identity(live_server, database, secret, tmp_path):
    config = _config(live_server.url, secret, tmp_path / "state")
    run_cycle(config, [_HostProbe()], **NO_WAIT)
    before = load_identity(config.state_dir)
    with database.write() as session:
        revoke_agent(session, before.agent_id)
    result = run_cycle(config, [_HostProbe()], **NO_WAIT)
    after = load_identity(config.state_dir)
    assert result.error is None and result.delivered == 1
    assert after.agent_id == before.agent_id and after.node_key != before.node_key
    with database.session() as session:
        assert session.scalar(select(EnrollmentSecret.use_count)) == 2  # first enrolment + exactly one more
        assert session.scalar(select(func.count()).select_from(Asset)) == 1


def test_revoked_key_and_secret_try_once_keep_the_old_key_and_the_report(live_server, database, secret, tmp_path):
    config = _config(live_server.url, secret, tmp_path / "state")
    run_cycle(config, [_HostProbe()], **NO_WAIT)
    before = load_identity(config.state_dir)
    with database.write() as session:
        revoke_agent(session, before.agent_id)
        revoke_enrollment_secret(session, session.scalar(select(EnrollmentSecret.name)))
    result = run_cycle(config, [_HostProbe()], **NO_WAIT)
    assert "401" in result.error and result.spool_depth == 1
    assert load_identity(config.state_dir) == before
    log = (tmp_path / "gunicorn.log").read_text()
    assert log.count("enrollment refused") == 1  # no enrolment loop


def test_broken_package_database_is_a_probe_error_and_the_report_still_goes(live_server, database, secret, tmp_path):
    class _BrokenDpkg:
        name = "dpkg"

        def supported(self):
            return True

        def collect(self):
            from agent.probes.software.dpkg import parse_dpkg_query

            return parse_dpkg_query("ii \tbash\t5.2\tamd64\tDebian\n\x00garbage line without tabs\n")

    result = run_cycle(_config(live_server.url, secret, tmp_path / "state"), [_HostProbe(), SoftwareProbe([_BrokenDpkg()])], **NO_WAIT)
    assert result.error is None and result.delivered == 1
    with database.session() as session:
        errors = session.scalar(select(Asset.probe_errors))
    assert errors[0]["probe"] == "software.dpkg" and "line 2" in errors[0]["error"]


@pytest.fixture
def tls_server(db_url, database, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = LiveServer(db_url, tmp_path, workers=1, threads=4, certfile=cert, keyfile=key)
    yield server, cert
    server.stop()


def test_a_certificate_the_agent_cannot_verify_is_refused_clearly(tls_server, secret, tmp_path):
    server, cert = tls_server
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": server.url,
           "STOCKTAKE_AGENT_ENROLL_SECRET": secret, "STOCKTAKE_AGENT_STATE_DIR": str(tmp_path / "state")}
    refused = subprocess.run([sys.executable, "-m", "agent.cli", "run", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert f"TLS certificate of {server.url} refused: self-signed certificate" in refused.stderr + refused.stdout
    trusted = subprocess.run([sys.executable, "-m", "agent.cli", "run", "--once"], env={**env, "STOCKTAKE_AGENT_CA_BUNDLE": str(cert)},
                             capture_output=True, text=True, timeout=120)
    assert trusted.returncode == 0, trusted.stderr
    assert ": delivered;" in trusted.stdout


def test_https_server_name_must_match(tls_server, secret, tmp_path):
    server, cert = tls_server
    config = _config(server.url.replace("127.0.0.1", "localhost"), secret, tmp_path / "state", ca_bundle=str(cert))
    result = run_cycle(config, [_HostProbe()], **NO_WAIT)
    assert "refused" in result.error and "localhost" in result.error


def _mount_tmpfs(path: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small or read-only tmpfs needs root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {done.stderr.strip()}")


@pytest.mark.parametrize("options, message", [("size=8k", "No space left on device"), ("ro,size=1m", "Read-only file system")])
def test_unusable_spool_is_logged_and_the_daemon_keeps_running(db_url, database, secret, tmp_path, options, message):
    server = LiveServer(db_url, tmp_path, workers=1, threads=4, extra_env={"STOCKTAKE_AGENT_INVENTORY_INTERVAL_S": "2",
                                                                           "STOCKTAKE_AGENT_SPLAY_S": "0",
                                                                           "STOCKTAKE_MAX_CLOCK_SKEW_S": "1"})
    spool_dir = tmp_path / "state" / "spool"
    _mount_tmpfs(spool_dir, options)
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": server.url,
           "STOCKTAKE_AGENT_ENROLL_SECRET": secret, "STOCKTAKE_AGENT_STATE_DIR": str(tmp_path / "state"),
           "STOCKTAKE_AGENT_INVENTORY_INTERVAL_S": "2", "STOCKTAKE_AGENT_SPLAY_S": "0"}
    log_path = tmp_path / "agent.log"
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen([sys.executable, "-m", "agent.cli", "daemon"], env=env, cwd=ROOT, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _count(database, ReportReceipt) < 2:
            assert daemon.poll() is None, log_path.read_text()
            time.sleep(0.5)
        assert _count(database, ReportReceipt) >= 2, log_path.read_text()  # two cycles, both delivered directly
        assert daemon.poll() is None
        text = log_path.read_text()
        assert "spool unusable; sending this report directly" in text and message in text
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
        subprocess.run(["umount", "-l", str(spool_dir)], capture_output=True)
        server.stop()
    assert daemon.returncode == 0
