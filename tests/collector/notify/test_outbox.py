"""enqueue(): rows in the caller's transaction, deduplicated, refused whole when any field is bad."""

import pytest
from sqlalchemy import func, select

from collector.errors import InvalidInput
from collector.models import Notification
from collector.notify import deliver_due, enqueue


def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Notification))


def test_enqueue_adds_one_pending_row_per_recipient(database):
    with database.write() as session:
        ids = enqueue(session, "email", ["a@example.org", "b@example.org", "a@example.org"], "SLA breached",
                      "Stage Authorization of workflow 7 is overdue.", {"workflow": 7}, dedupe_key="sla:7:auth")
    assert len(ids) == 2
    with database.session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(r.recipient, r.status, r.attempts, r.payload) for r in rows] == [
        ("a@example.org", "pending", 0, {"workflow": 7}), ("b@example.org", "pending", 0, {"workflow": 7})]


def test_the_same_event_is_enqueued_once_per_recipient(database):
    with database.write() as session:
        assert len(enqueue(session, "webhook", "ops", "SLA breached", "x", dedupe_key="sla:1")) == 1
    with database.write() as session:  # the same event again, in a later transaction
        assert enqueue(session, "webhook", "ops", "SLA breached", "x", dedupe_key="sla:1") == []
        assert len(enqueue(session, "webhook", "itsm", "SLA breached", "x", dedupe_key="sla:1")) == 1
        assert len(enqueue(session, "email", "ops@example.org", "SLA breached", "x", dedupe_key="sla:1")) == 1
        # Without a key nothing is deduplicated.
        assert len(enqueue(session, "webhook", "ops", "hello", "x")) == 1
        assert len(enqueue(session, "webhook", "ops", "hello", "x")) == 1
    assert _count(database) == 5


def test_a_rolled_back_transaction_leaves_nothing_to_send(database, notify_config, receiver, smtp_server):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with database.write() as session:
            enqueue(session, "webhook", "ops", "exception opened", "x", {"exception": 1})
            enqueue(session, "email", "ops@example.org", "exception opened", "x")
            raise Boom  # the event that caused them failed
    assert _count(database) == 0
    assert deliver_due(database, notify_config).claimed == 0
    assert receiver.requests == 0 and smtp_server[0].messages == []


@pytest.mark.parametrize("kind, recipients, subject, field", [
    ("email", ["ops@example.org\r\nBcc: victim@example.org"], "s", "recipients[0]"),
    ("email", ["Ops <ops@example.org>"], "s", "recipients[0]"),
    ("email", ["a@example.org, b@example.org"], "s", "recipients[0]"),
    ("email", ["ops@example.org"], "breach\r\nBcc: victim@example.org", "subject"),
    ("email", ["ops@example.org"], "breach\nX-Injected: 1", "subject"),
    ("email", ["ops@example.org"], "", "subject"),
    ("email", ["ops@example.org"], "x" * 201, "subject"),
    ("email", [], "s", "recipients"),
    ("webhook", ["https://evil.example/hook"], "s", "recipients[0]"),
    ("sms", ["ops"], "s", "kind"),
])
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(database, kind, recipients, subject, field):
    with pytest.raises(InvalidInput) as refused:
        with database.write() as session:
            enqueue(session, "email", "first@example.org", "ok", "x")  # the transaction's other work
            enqueue(session, kind, recipients, subject, "body")
    assert field in [f.field for f in refused.value.fields]
    assert _count(database) == 0


def test_every_bad_field_is_named_at_once(database):
    with pytest.raises(InvalidInput) as refused:
        with database.write() as session:
            enqueue(session, "email", ["bad", "ops@example.org"], "a\nb", "x\0", {"when": object()}, dedupe_key="")
    assert [f.field for f in refused.value.fields] == ["recipients[0]", "subject", "body", "payload", "dedupe_key"]


def test_a_notification_due_later_waits(database, notify_config, receiver):
    from datetime import timedelta

    from collector.models import utcnow

    due = utcnow() + timedelta(hours=1)
    with database.write() as session:
        enqueue(session, "webhook", "ops", "warranty ends in 30 days", "x", due_at=due)
    assert deliver_due(database, notify_config).claimed == 0
    assert deliver_due(database, notify_config, due).sent == 1 and len(receiver.received) == 1
