"""The comments on a chunk of audit exceptions, as one text per exception for the exports.

The same thread the exception page shows (collector/workflows/triage.py ``_comments``): the
comment events of the exception's workflows when it has any, its own comments otherwise;
oldest first, each as ``YYYY-MM-DD HH:MM author: text``. Two queries per chunk, not per row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import ExceptionComment
from collector.models.workflows import EventKind, WorkflowEvent, WorkflowInstance

__all__ = ["comments_by_exception"]


def _line(at: datetime | None, author: str | None, text: str | None) -> str:
    when = f"{at:%Y-%m-%d %H:%M} " if at else ""
    return f"{when}{author or '?'}: {' '.join((text or '').split())}"


def _order(entry: tuple) -> tuple[float, int]:
    at, ident = entry[0], entry[1]
    return (at.timestamp() if at else 0.0, ident)


def comments_by_exception(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    threads: dict[int, list[tuple]] = defaultdict(list)
    with_workflow: set[int] = set()
    events = session.execute(
        select(WorkflowInstance.exception_id, WorkflowEvent.at, WorkflowEvent.id, WorkflowEvent.actor,
               WorkflowEvent.note)
        .outerjoin(WorkflowEvent, (WorkflowEvent.instance_id == WorkflowInstance.id)
                   & (WorkflowEvent.kind == EventKind.COMMENT.value))
        .where(WorkflowInstance.exception_id.in_(ids)))
    for exception_id, at, event_id, actor, note in events:
        with_workflow.add(exception_id)
        if event_id is not None:
            threads[exception_id].append((at, event_id, actor, note))
    own = session.execute(select(ExceptionComment.exception_id, ExceptionComment.created_at, ExceptionComment.id,
                                 ExceptionComment.author, ExceptionComment.body)
                          .where(ExceptionComment.exception_id.in_([i for i in ids if i not in with_workflow])))
    for exception_id, at, comment_id, author, body in own:
        threads[exception_id].append((at, comment_id, author, body))
    return {i: " | ".join(_line(at, who, text) for at, _, who, text in sorted(thread, key=_order))
            for i, thread in threads.items()}
