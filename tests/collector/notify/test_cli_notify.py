"""stocktake-collector notify test / deliver, run as an admin would (subprocess)."""

import os
import subprocess
import sys

import pytest

from tests.collector.notify.conftest import HOOK_SECRET


@pytest.fixture
def notify_cli(db_url, database, tmp_path, receiver, smtp_server):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path),
           "STOCKTAKE_SMTP_HOST": "127.0.0.1", "STOCKTAKE_SMTP_PORT": str(smtp_server[1]),
           "STOCKTAKE_SMTP_STARTTLS": "false", "STOCKTAKE_MAIL_FROM": "stocktake@example.org",
           "STOCKTAKE_WEBHOOK_URLS": f"ops={receiver.url}", "STOCKTAKE_WEBHOOK_SECRETS": f"ops={HOOK_SECRET}"}
    env.pop("STOCKTAKE_CONFIG", None)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "collector.cli", "notify", *args], env=env, capture_output=True,
                              text=True, timeout=60)

    return run


def test_test_webhook_is_signed_and_received(notify_cli, receiver):
    result = notify_cli("test", "--webhook", "ops")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "test webhook delivered to ops"
    assert receiver.bad_signatures == 0 and receiver.received[0]["data"] == {"test": True}


def test_test_email_arrives(notify_cli, smtp_server):
    result = notify_cli("test", "--email", "admin@example.org")
    assert result.returncode == 0, result.stderr
    assert smtp_server[0].messages[0]["Subject"] == "Stocktake test notification"


def test_failures_are_one_clear_line_and_exit_1(notify_cli, receiver):
    receiver.fail_next(1, 404)
    failed = notify_cli("test", "--webhook", "ops")
    assert failed.returncode == 1 and "Error: not delivered: webhook ops: HTTP 404" in failed.stderr
    unknown = notify_cli("test", "--webhook", "itsm")
    assert unknown.returncode == 1 and "no webhook named 'itsm' is configured (configured: ops)" in unknown.stderr
    bad = notify_cli("test", "--email", "not-an-address")
    assert bad.returncode == 1 and "--email: must be an email address" in bad.stderr
    neither = notify_cli("test")
    assert neither.returncode == 2 and "exactly one of --email ADDR or --webhook NAME" in neither.stderr
    for output in (failed, unknown, bad, neither):
        assert HOOK_SECRET not in output.stdout + output.stderr and "Traceback" not in output.stderr


def test_deliver_sends_what_is_due(notify_cli, database, receiver):
    from collector.notify import enqueue

    with database.write() as session:
        enqueue(session, "webhook", "ops", "SLA breached", "x", {"workflow": 1})
    result = notify_cli("deliver")
    assert result.returncode == 0 and result.stdout.strip() == "sent 1, retry later 0, failed 0"
    assert len(receiver.received) == 1
