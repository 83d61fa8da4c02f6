"""Signed webhooks: the signature scheme, and delivery to a real receiver that checks it."""

import hashlib
import hmac
import json
import logging
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from collector.models import Notification, utcnow
from collector.notify import deliver_due, enqueue, verify_signature
from collector.notify.webhooks import sign
from common.logs import JsonFormatter
from tests.collector.notify.conftest import HOOK_SECRET, WebhookReceiver

BODY = b'{"id":1,"subject":"x"}'


def _row(database) -> Notification:
    with database.session() as session:
        return session.scalars(select(Notification)).one()


def _enqueue(database, recipient="ops", dedupe_key="sla:7:authorization"):
    with database.write() as session:
        enqueue(session, "webhook", recipient, "SLA breached: workflow 7",
                "Stage Authorization of workflow 7 is 2 h overdue.", {"workflow": 7, "stage": "authorization"},
                dedupe_key=dedupe_key)


# --- the scheme ---------------------------------------------------------------------------

def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, BODY) == f"v1={expected}"


def test_verify_signature_accepts_only_the_exact_body_time_and_secret():
    now = 1_700_000_000
    header = sign(HOOK_SECRET, now, BODY)
    assert verify_signature(HOOK_SECRET, str(now), BODY, header, now=now)
    assert verify_signature(HOOK_SECRET, now, BODY, header, now=now + 300)  # at the tolerance
    assert not verify_signature(HOOK_SECRET, now, BODY, header, now=now + 301)  # a replay, later
    assert not verify_signature(HOOK_SECRET, now, BODY, header, now=now - 301)  # from the future
    assert not verify_signature(HOOK_SECRET, now, BODY + b" ", header, now=now)  # body changed
    assert not verify_signature(HOOK_SECRET, now + 1, BODY, header, now=now)  # timestamp changed
    assert not verify_signature("another-secret-entirely", now, BODY, header, now=now)
    assert not verify_signature(HOOK_SECRET, now, BODY, header.replace("v1=", "v0="), now=now)
    for junk_time, junk_header in [("soon", header), (None, header), (now, ""), (now, None), (now, "v1=zz")]:
        assert not verify_signature(HOOK_SECRET, junk_time, BODY, junk_header, now=now)


def test_several_signatures_in_one_header_while_a_secret_rotates():
    now = 1_700_000_000
    header = f"{sign('old-secret-0123456789', now, BODY)}, {sign(HOOK_SECRET, now, BODY)}"
    assert verify_signature(HOOK_SECRET, now, BODY, header, now=now)
    assert verify_signature("old-secret-0123456789", now, BODY, header, now=now)


# --- delivery -----------------------------------------------------------------------------

def test_delivered_signed_with_the_stable_id_and_payload(database, notify_config, receiver):
    _enqueue(database)
    result = deliver_due(database, notify_config)
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    assert receiver.bad_signatures == 0 and len(receiver.received) == 1
    row = _row(database)
    assert receiver.received[0] == {"id": row.id, "subject": "SLA breached: workflow 7",
                                    "text": "Stage Authorization of workflow 7 is 2 h overdue.",
                                    "data": {"workflow": 7, "stage": "authorization"},
                                    "created_at": row.created_at.isoformat()}
    assert receiver.paths == ["/hooks/stocktake?channel=ops"]  # path and query as configured
    assert (row.status, row.attempts, row.last_error, row.claim_token) == ("sent", 1, None, None)
    assert row.sent_at is not None
    assert deliver_due(database, notify_config, utcnow() + timedelta(days=30)).claimed == 0  # sent once


def test_failures_are_retried_with_growing_backoff_then_sent(database, notify_config, receiver):
    receiver.fail_next(3, 503)
    _enqueue(database)
    now, rng = utcnow(), random.Random(11)
    for attempt in (1, 2, 3):
        assert deliver_due(database, notify_config, now, rng=rng).retried == 1
        row = _row(database)
        assert (row.status, row.attempts, row.last_error) == ("pending", attempt, "webhook ops: HTTP 503")
        full = notify_config.notify_backoff_base_s * 2 ** (attempt - 1)
        delay = (row.due_at - now).total_seconds()
        assert full / 2 <= delay <= full  # doubling, with jitter in the upper half
        assert deliver_due(database, notify_config, row.due_at - timedelta(seconds=1)).claimed == 0  # not yet due
        now = row.due_at
    assert deliver_due(database, notify_config, now, rng=rng).sent == 1
    assert receiver.requests == 4 and len(receiver.received) == 1
    row = _row(database)
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 301])
def test_temporary_answers_are_retried(database, notify_config, receiver, status):
    receiver.fail_next(1, status)
    _enqueue(database)
    assert deliver_due(database, notify_config).retried == 1
    assert _row(database).status == "pending"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_4xx_answers_fail_at_once(database, notify_config, receiver, status):
    receiver.fail_next(1, status)
    _enqueue(database)
    assert deliver_due(database, notify_config).failed == 1
    row = _row(database)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, f"webhook ops: HTTP {status}")
    assert deliver_due(database, notify_config, utcnow() + timedelta(days=30)).claimed == 0
    assert receiver.requests == 1


def test_a_receiver_with_another_secret_refuses_and_nothing_is_accepted(database, notify_config):
    stranger = WebhookReceiver(secret="not-the-secret-we-sign-with")
    try:
        config = replace(notify_config, webhook_urls=(("ops", stranger.url),))
        _enqueue(database)
        assert deliver_due(database, config).failed == 1  # its 401 is permanent
        assert stranger.bad_signatures == 1 and stranger.received == []
    finally:
        stranger.stop()


def test_receiver_down_then_up(database, notify_config, receiver):
    receiver.stop()
    _enqueue(database)
    assert deliver_due(database, notify_config).retried == 1
    row = _row(database)
    assert row.status == "pending" and row.last_error.startswith("webhook ops: ConnectionRefusedError")
    receiver.start()
    assert deliver_due(database, notify_config, row.due_at).sent == 1
    assert len(receiver.received) == 1 and _row(database).attempts == 2


def test_out_of_attempts_marks_failed_with_the_last_error(database, notify_config, receiver):
    config = replace(notify_config, notify_max_attempts=3)
    receiver.fail_next(10, 502)
    _enqueue(database)
    later = utcnow()
    for _ in range(5):  # bounded: more rounds than attempts
        deliver_due(database, config, later)
        later += timedelta(seconds=config.notify_backoff_max_s)
    row = _row(database)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "webhook ops: HTTP 502")
    assert receiver.requests == 3


def test_a_webhook_removed_from_the_config_fails_with_a_clear_error(database, notify_config, receiver):
    _enqueue(database, recipient="itsm")
    assert deliver_due(database, notify_config).failed == 1
    assert _row(database).last_error == "webhook itsm: not configured (webhook_urls, webhook_secrets)"
    assert receiver.requests == 0


def test_secrets_and_urls_never_reach_the_logs(database, notify_config, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.fail_next(1, 500)
    _enqueue(database)
    deliver_due(database, notify_config)
    receiver.stop()
    deliver_due(database, notify_config, utcnow() + timedelta(hours=2))
    logging.getLogger("stocktake.test").info("config", extra={"config": repr(notify_config)})
    assert len(caplog.records) >= 2
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) + json.dumps(vars(record), default=str) for record in caplog.records)
    assert "notification not delivered" in logged
    for secret in (HOOK_SECRET, receiver.url, "/hooks/stocktake", "channel=ops"):
        assert secret not in logged
