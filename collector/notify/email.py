"""Email through the configured SMTP relay: plain text, one recipient per message.

STARTTLS (RFC 3207) when ``smtp_starttls`` is set, with the certificate verified against
the system store or ``smtp_ca_file``; login when ``smtp_username`` is set. The Message-ID
is derived from the notification's id, so a message sent twice (delivery is at least
once) is recognisably the same message to mail clients and archives.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from collector.config import CollectorConfig
from collector.notify.errors import DeliveryError

__all__ = ["build_message", "send_email"]


def build_message(config: CollectorConfig, to: str, subject: str, body: str, notification_id: int,
                  created_at: datetime) -> EmailMessage:
    """The message for one notification. Refuses CR or LF in any header value (header injection)."""
    for name, value in (("To", to), ("Subject", subject), ("From", config.mail_from)):
        if any(c in value for c in "\r\n\0"):
            raise DeliveryError(f"email: the {name} header contains a line break", permanent=True)
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(created_at)  # RFC 5322 date-time, "+0000" for UTC
    domain = config.mail_from.rpartition("@")[2]
    message["Message-ID"] = f"<notification.{notification_id}.{int(created_at.timestamp())}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders do not answer it
    message.set_content(body)
    return message


def send_email(config: CollectorConfig, message: EmailMessage) -> None:
    """Hand ``message`` to the relay; raise DeliveryError (permanent on a 5xx reply)."""
    if not config.smtp_host:
        raise DeliveryError("email: smtp_host is not configured")
    try:
        _send(config, message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(f"email: recipient refused ({', '.join(map(str, codes))})",
                            permanent=all(code >= 500 for code in codes)) from None
    except smtplib.SMTPAuthenticationError as exc:
        # The relay's settings, not this message, are wrong: retry once an admin fixes them.
        raise DeliveryError(f"email: login refused ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise DeliveryError(f"email: {exc.smtp_code} {reply[:200]}", permanent=exc.smtp_code >= 500) from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS, not supported, disconnected
        raise DeliveryError(f"email: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}") from None


def _send(config: CollectorConfig, message: EmailMessage) -> None:
    # Not ``with SMTP(...)``: its exit sends QUIT even after a failed TLS handshake, and an
    # error from that QUIT would replace the one that says what went wrong.
    smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.notify_timeout_s)
    try:
        if config.smtp_starttls:
            smtp.starttls(context=_tls_context(config))
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password)
        smtp.send_message(message)
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):  # the message was accepted; a lost goodbye does not matter
            pass
    finally:
        smtp.close()


def _tls_context(config: CollectorConfig) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=config.smtp_ca_file or None)
