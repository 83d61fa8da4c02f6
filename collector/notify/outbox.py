"""Enqueue notifications in the caller's transaction (the transactional outbox).

Callers (SLA breach detection, workflow steps) never send anything themselves: they add
rows here in the same session and transaction as the change that warrants them, and the
delivery job sends them after that transaction commits. A rolled-back change therefore
never notifies anyone, and a committed one always does (at least once).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy.orm import Session

from collector.db import insert_ignoring_conflicts
from collector.errors import FieldError, InvalidInput
from collector.models import Notification, NotificationKind, NotificationStatus, utcnow

__all__ = ["check_notification", "enqueue"]

SUBJECT_MAX = 200
BODY_MAX = 100_000
# One address, no display name: local@domain, nothing that could end a header line or add a
# second address (RFC 5322 allows far more; the outbox needs only what admins configure).
_ADDRESS = re.compile(r"[^\s@<>,;\"()\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?")
_HOOK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def enqueue(session: Session, kind: NotificationKind | str, recipients: str | Iterable[str], subject: str,
            body: str, payload: dict[str, Any] | None = None, dedupe_key: str | None = None,
            due_at: datetime | None = None) -> list[int]:
    """Add one notification per recipient to ``session``'s transaction; return the new row ids.

    ``kind`` is ``email`` (recipients are addresses) or ``webhook`` (recipients are webhook
    names from the config's ``webhook_urls``). ``subject`` is one short line; ``body`` is
    plain text; ``payload`` is JSON-able data that webhooks carry (emails send the body).
    ``dedupe_key`` names the event, e.g. ``"sla-breach:workflow:42:stage:authorization"``:
    a recipient already holding a notification with that key for that kind gets no second
    one (the unique index decides, so two transactions racing still add one row), and its
    id is not in the answer. ``due_at`` (timezone-aware) holds it back until then, e.g.
    for a reminder; the default is now. Nothing is sent here; commit the caller's transaction and the
    delivery job sends it. Invalid input raises ``InvalidInput`` naming every bad field,
    and adds nothing.
    """
    kind, recipients = check_notification(kind, recipients, subject, body, payload, dedupe_key)
    now = utcnow()
    ids = []
    for recipient in recipients:
        statement = insert_ignoring_conflicts(session, Notification.__table__).values(
            kind=kind.value, recipient=recipient, subject=subject, body=body, payload=payload or {},
            dedupe_key=dedupe_key, status=NotificationStatus.PENDING.value, attempts=0, due_at=due_at or now,
            created_at=now,
        ).returning(Notification.id)
        row_id = session.execute(statement).scalar()
        if row_id is not None:
            ids.append(row_id)
    return ids


def check_notification(kind, recipients, subject, body, payload=None,
                       dedupe_key=None) -> tuple[NotificationKind, list[str]]:
    """The kind and the distinct recipients, or ``InvalidInput`` naming every bad field."""
    problems = []
    try:
        kind = NotificationKind(kind)
    except ValueError:
        problems.append(FieldError("kind", f"must be one of {', '.join(k.value for k in NotificationKind)}"))
    recipients = [recipients] if isinstance(recipients, str) else list(recipients)
    if not recipients:
        problems.append(FieldError("recipients", "at least one recipient is required"))
    pattern = _ADDRESS if kind == NotificationKind.EMAIL else _HOOK_NAME
    for index, recipient in enumerate(recipients):
        if not isinstance(recipient, str) or not pattern.fullmatch(recipient):
            what = "an email address" if kind == NotificationKind.EMAIL else "a webhook name (a-z, 0-9, '_', '-')"
            problems.append(FieldError(f"recipients[{index}]", f"must be {what}"))
    if not isinstance(subject, str) or not subject.strip() or len(subject) > SUBJECT_MAX:
        problems.append(FieldError("subject", f"must be 1 to {SUBJECT_MAX} characters"))
    elif any(c in subject for c in "\r\n\0"):  # a line break would start a header of its own
        problems.append(FieldError("subject", "must be one line (no CR, LF or NUL)"))
    if not isinstance(body, str) or len(body) > BODY_MAX or "\0" in body:
        problems.append(FieldError("body", f"must be text of at most {BODY_MAX} characters, without NUL"))
    if payload is not None and not _is_json_object(payload):
        problems.append(FieldError("payload", "must be a JSON object (a dict of JSON values)"))
    if dedupe_key is not None and (not isinstance(dedupe_key, str) or not 0 < len(dedupe_key) <= 255):
        problems.append(FieldError("dedupe_key", "must be 1 to 255 characters"))
    if problems:
        raise InvalidInput("notification refused", problems)
    return kind, list(dict.fromkeys(recipients))


def _is_json_object(payload: Any) -> bool:
    try:
        return isinstance(payload, dict) and bool(json.dumps(payload, allow_nan=False))
    except (TypeError, ValueError):
        return False
