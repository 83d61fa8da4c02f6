"""Email through a real SMTP server on loopback (aiosmtpd): headers, STARTTLS + AUTH, refusals."""

import logging
from dataclasses import replace
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from collector.models import Notification, utcnow
from collector.notify import DeliveryError, deliver_due, enqueue
from collector.notify.email import build_message
from tests.collector.notify.conftest import SMTP_PASSWORD


def _enqueue(database, to="ops@example.org"):
    with database.write() as session:
        return enqueue(session, "email", to, "SLA breached: workflow 7",
                       "Stage Authorization of workflow 7 is 2 h overdue.\n", {"workflow": 7}, dedupe_key="sla:7")[0]


def _row(database) -> Notification:
    with database.session() as session:
        return session.scalars(select(Notification)).one()


def test_mail_arrives_with_correct_headers(database, notify_config, smtp_server):
    sink, _ = smtp_server
    row_id = _enqueue(database)
    assert deliver_due(database, notify_config).sent == 1
    assert len(sink.messages) == 1
    message, envelope = sink.messages[0], sink.envelopes[0]
    assert envelope.mail_from == "stocktake@example.org" and envelope.rcpt_tos == ["ops@example.org"]
    assert message["From"] == "stocktake@example.org" and message["To"] == "ops@example.org"
    assert message["Subject"] == "SLA breached: workflow 7"
    message_id = message["Message-ID"]
    assert message_id.startswith(f"<notification.{row_id}.") and message_id.endswith("@example.org>")
    row = _row(database)
    date = parsedate_to_datetime(message["Date"])
    assert date.utcoffset() == timedelta(0) and abs(date - row.created_at) < timedelta(seconds=1)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == "Stage Authorization of workflow 7 is 2 h overdue.\n"  # CRLF on the wire
    assert (row.status, row.attempts) == ("sent", 1)


def test_starttls_and_login(database, notify_config, smtp_tls_server):
    sink, port, ca_file = smtp_tls_server
    config = replace(notify_config, smtp_port=port, smtp_starttls=True, smtp_ca_file=ca_file,
                     smtp_username="stocktake", smtp_password=SMTP_PASSWORD)
    _enqueue(database)
    assert deliver_due(database, config).sent == 1
    assert sink.logins == [b"stocktake"] and len(sink.messages) == 1


def test_a_relay_certificate_that_cannot_be_verified_is_not_trusted(database, notify_config, smtp_tls_server):
    sink, port, _ = smtp_tls_server
    config = replace(notify_config, smtp_port=port, smtp_starttls=True, smtp_username="stocktake",
                     smtp_password=SMTP_PASSWORD)  # no CA file: the self-signed certificate is refused
    _enqueue(database)
    assert deliver_due(database, config).retried == 1
    assert "CERTIFICATE_VERIFY_FAILED" in _row(database).last_error
    assert sink.logins == [] and sink.messages == []


def test_wrong_password_is_retried_and_the_password_never_logged(database, notify_config, smtp_tls_server, caplog):
    caplog.set_level(logging.DEBUG)
    sink, port, ca_file = smtp_tls_server
    config = replace(notify_config, smtp_port=port, smtp_starttls=True, smtp_ca_file=ca_file,
                     smtp_username="stocktake", smtp_password="wrong-" + SMTP_PASSWORD)
    _enqueue(database)
    assert deliver_due(database, config).retried == 1  # the settings are wrong, not the message
    assert _row(database).last_error == "email: login refused (535)"
    logged = "\n".join(str(vars(record)) for record in caplog.records)
    assert "login refused" in logged
    assert SMTP_PASSWORD not in logged and SMTP_PASSWORD not in repr(config)


def test_a_refused_recipient_fails_at_once(database, notify_config, smtp_server):
    sink, _ = smtp_server
    sink.refuse.add("gone@example.org")
    _enqueue(database, to="gone@example.org")
    assert deliver_due(database, notify_config).failed == 1
    assert _row(database).last_error == "email: recipient refused (550)"


def test_server_down_is_retried(database, notify_config, smtp_server):
    from tests.collector.notify.conftest import free_port

    _enqueue(database)
    config = replace(notify_config, smtp_port=free_port())  # nothing listens there
    assert deliver_due(database, config).retried == 1
    row = _row(database)
    assert row.status == "pending" and "ConnectionRefusedError" in row.last_error
    assert deliver_due(database, notify_config, row.due_at).sent == 1  # the right server, later
    assert len(smtp_server[0].messages) == 1


@pytest.mark.parametrize("to, subject", [("ops@example.org\r\nBcc: x@example.org", "s"),
                                         ("ops@example.org", "s\nBcc: x@example.org")])
def test_no_header_injection_even_past_the_outbox(notify_config, to, subject):
    with pytest.raises(DeliveryError) as refused:
        build_message(notify_config, to, subject, "body", 1, utcnow())
    assert refused.value.permanent and "line break" in refused.value.message
