"""Send due notifications from the outbox: claim, send, then mark sent, retry later or failed.

Each row is claimed in a short write transaction of its own (``UPDATE … WHERE id IN
(SELECT … FOR UPDATE SKIP LOCKED) RETURNING``: PostgreSQL skips rows another deliverer
holds; SQLite's writers queue on its single write lock, so the second sees the row
claimed), sent with no transaction open, and finished in another transaction that
matches the claim token. Two deliverers therefore never send one row at the same time.
A claim lapses after ``_lease_s``: a deliverer that died mid-send leaves the row to be
claimed again (at least once), and the attempt it used still counts.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from collector.config import CollectorConfig
from collector.db import Database
from collector.models import Notification, NotificationKind, NotificationStatus, utcnow
from collector.notify.email import build_message, send_email
from collector.notify.errors import DeliveryError
from collector.notify.webhooks import post_webhook, webhook_body

__all__ = ["DeliveryResult", "backoff_s", "deliver_due", "delivery_job", "send"]

log = logging.getLogger(__name__)
_table = Notification.__table__
_PENDING, _SENDING = NotificationStatus.PENDING.value, NotificationStatus.SENDING.value


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed


def deliver_due(db: Database, config: CollectorConfig, now: datetime | None = None, limit: int | None = None,
                rng: random.Random | None = None) -> DeliveryResult:
    """Send up to ``limit`` (default ``notify_batch_size``) notifications due at ``now``."""
    now = now or utcnow()
    rng = rng or random.Random()
    result = DeliveryResult()
    for _ in range(limit or config.notify_batch_size):
        claim = _claim_next(db, config, now)
        if claim is None:
            break
        token, row = claim
        outcome = _attempt(config, row)
        _finish(db, config, token, row, outcome, now, rng)
        setattr(result, outcome[0], getattr(result, outcome[0]) + 1)
    return result


def delivery_job(db: Database, config: CollectorConfig) -> None:
    """The scheduled job (``stocktake-collector jobs``): one bounded delivery run."""
    try:
        result = deliver_due(db, config)
    except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
        log.exception("notification delivery failed")
        return
    if result.claimed:
        log.info("notifications delivered", extra={"sent": result.sent, "retried": result.retried,
                                                   "failed": result.failed})


def send(config: CollectorConfig, kind: str, recipient: str, subject: str, body: str, payload: dict[str, Any],
         notification_id: int, created_at: datetime) -> None:
    """Send one notification now through its transport; raise DeliveryError when it fails."""
    if kind == NotificationKind.EMAIL.value:
        send_email(config, build_message(config, recipient, subject, body, notification_id, created_at))
        return
    if kind != NotificationKind.WEBHOOK.value:
        raise DeliveryError(f"unknown notification kind {kind!r}", permanent=True)
    hook = config.webhook(recipient)
    if hook is None:
        raise DeliveryError(f"webhook {recipient}: not configured (webhook_urls, webhook_secrets)", permanent=True)
    document = webhook_body(notification_id, subject, body, payload, created_at.isoformat())
    post_webhook(recipient, hook[0], hook[1], document, config.notify_timeout_s)


def backoff_s(config: CollectorConfig, attempts: int, rng: random.Random) -> float:
    """Seconds before the next try after ``attempts`` failed ones: doubling from
    ``notify_backoff_base_s`` up to ``notify_backoff_max_s``, then "equal jitter" (half fixed,
    half random) so that notifications failing together do not all come back together."""
    delay = min(config.notify_backoff_max_s, config.notify_backoff_base_s * 2 ** min(attempts - 1, 30))
    return delay / 2 + rng.uniform(0, delay / 2)


def _lease_s(config: CollectorConfig) -> int:
    # An SMTP send is several round trips (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA),
    # each allowed notify_timeout_s: the claim outlives the slowest send that can still succeed.
    return max(60, 10 * config.notify_timeout_s)


def _claim_next(db: Database, config: CollectorConfig, now: datetime):
    token = secrets.token_hex(16)
    due = or_(and_(_table.c.status == _PENDING, _table.c.due_at <= now),
              and_(_table.c.status == _SENDING, _table.c.claimed_until < now))
    candidate = (select(_table.c.id).where(due).order_by(_table.c.due_at, _table.c.id).limit(1)
                 .with_for_update(skip_locked=True))
    statement = (update(_table).where(_table.c.id.in_(candidate))
                 .values(status=_SENDING, claim_token=token, claimed_until=now + timedelta(seconds=_lease_s(config)),
                         attempts=_table.c.attempts + 1)
                 .returning(*_table.c))
    with db.write() as session:
        row = session.execute(statement).first()
    return None if row is None else (token, row)


def _attempt(config: CollectorConfig, row) -> tuple[str, str | None]:
    if row.attempts > config.notify_max_attempts:  # a deliverer died while sending its last attempt
        gave_up = f"gave up after {config.notify_max_attempts} attempts (the last did not finish)"
        return "failed", row.last_error or gave_up
    try:
        send(config, row.kind, row.recipient, row.subject, row.body, row.payload or {}, row.id, row.created_at)
    except DeliveryError as exc:
        log.warning("notification not delivered", extra={"notification_id": row.id, "kind": row.kind,
                                                         "attempt": row.attempts, "error": exc.message,
                                                         "permanent": exc.permanent})
        if exc.permanent or row.attempts >= config.notify_max_attempts:
            return "failed", exc.message
        return "retried", exc.message
    return "sent", None


def _finish(db: Database, config: CollectorConfig, token: str, row, outcome: tuple[str, str | None],
            now: datetime, rng: random.Random) -> None:
    state, error = outcome
    if state == "sent":
        values = {"status": NotificationStatus.SENT.value, "sent_at": utcnow(), "last_error": None}
    elif state == "failed":
        values = {"status": NotificationStatus.FAILED.value, "last_error": error}
    else:
        retry_at = now + timedelta(seconds=backoff_s(config, row.attempts, rng))
        values = {"status": _PENDING, "due_at": retry_at, "last_error": error}
    statement = (update(_table).where(_table.c.id == row.id, _table.c.claim_token == token)
                 .values(claim_token=None, claimed_until=None, **values))
    with db.write() as session:
        if session.execute(statement).rowcount == 0:
            log.warning("notification claim lapsed before its outcome was stored", extra={"notification_id": row.id})
