"""deliver_due(): bounded runs, row claiming between concurrent deliverers, lapsed claims."""

import random
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from collector.models import Notification, utcnow
from collector.notify import deliver_due, enqueue
from collector.notify.delivery import _claim_next, _finish, _lease_s, backoff_s


def _enqueue_many(database, count: int) -> list[int]:
    with database.write() as session:
        return [enqueue(session, "webhook", "ops", f"event {n}", "x", {"n": n})[0] for n in range(count)]


def _rows(database) -> list[Notification]:
    with database.session() as session:
        return session.scalars(select(Notification).order_by(Notification.id)).all()


def test_a_run_is_bounded(database, notify_config, receiver):
    _enqueue_many(database, 7)
    assert deliver_due(database, notify_config, limit=2).sent == 2
    assert deliver_due(database, replace(notify_config, notify_batch_size=3)).sent == 3
    assert deliver_due(database, notify_config).sent == 2
    assert deliver_due(database, notify_config).claimed == 0
    assert len(receiver.received) == 7


def test_two_deliverers_at_once_send_each_row_exactly_once(database, notify_config, receiver):
    ids = _enqueue_many(database, 30)
    receiver.delay_s = 0.01  # hold each send briefly so that the two runs interleave
    results, errors = [], []

    def run():
        try:
            results.append(deliver_due(database, notify_config, limit=30))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    assert sum(result.sent for result in results) == 30
    assert sorted(body["id"] for body in receiver.received) == ids  # every row once, none twice
    assert all(row.status == "sent" and row.attempts == 1 for row in _rows(database))


def test_postgresql_skips_rows_another_transaction_holds(database, notify_config, receiver):
    if database.is_sqlite:
        pytest.skip("SQLite has one writer at a time: there is no row lock to skip")
    first, second = _enqueue_many(database, 2)
    results = []
    with database.write() as holder:  # another deliverer in the middle of claiming the first row
        holder.execute(select(Notification.id).where(Notification.id == first).with_for_update())
        # In a thread: waiting for the lock instead of skipping it would hang this test.
        runner = threading.Thread(target=lambda: results.append(deliver_due(database, notify_config)))
        runner.start()
        runner.join(timeout=30)
        assert not runner.is_alive(), "deliver_due waited for a row another transaction holds"
    assert results[0].sent == 1 and [body["id"] for body in receiver.received] == [second]
    assert deliver_due(database, notify_config).sent == 1


def test_a_deliverer_that_died_mid_send_leaves_a_claim_that_lapses(database, notify_config, receiver):
    _enqueue_many(database, 1)
    now = utcnow()
    token, claimed = _claim_next(database, notify_config, now)  # ... and then the process was killed
    assert deliver_due(database, notify_config, now).claimed == 0  # claimed: nobody else sends it
    later = now + timedelta(seconds=_lease_s(notify_config) + 1)
    assert deliver_due(database, notify_config, later).sent == 1
    row = _rows(database)[0]
    assert (row.status, row.attempts) == ("sent", 2)  # the lost attempt counts
    _finish(database, notify_config, token, claimed, ("failed", "late"), now, random.Random(1))
    assert _rows(database)[0].status == "sent"  # the old claim cannot overwrite the outcome


def test_a_claim_lapsing_on_the_last_attempt_fails_the_row(database, notify_config, receiver):
    config = replace(notify_config, notify_max_attempts=1)
    _enqueue_many(database, 1)
    now = utcnow()
    _claim_next(database, config, now)  # the only attempt, lost
    later = now + timedelta(seconds=_lease_s(config) + 1)
    assert deliver_due(database, config, later).failed == 1
    assert receiver.requests == 0
    assert _rows(database)[0].last_error == "gave up after 1 attempts (the last did not finish)"


def test_backoff_doubles_up_to_the_cap():
    config = type("C", (), {"notify_backoff_base_s": 30, "notify_backoff_max_s": 3600})()
    rng = random.Random(3)
    for attempts, full in [(1, 30), (2, 60), (3, 120), (8, 3600), (40, 3600), (10_000, 3600)]:
        assert full / 2 <= backoff_s(config, attempts, rng) <= full
