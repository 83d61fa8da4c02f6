"""The workflow list of the web UI: filtered by status, template, stage and subject, sorted, paged.

Rows carry what a person scans a list for (the CI's asset tag, the exception's kind, who
started it) in one query, so a page of 50 is one round trip plus the count.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from collector.models import AuditException, ConfigurationItem, User, WorkflowInstance, WorkflowTask
from collector.queries.ordering import Sort, order_clauses

__all__ = ["OWNERS", "SORTS", "ListFilters", "ListPage", "workflow_page"]

# Sort key -> column; "-key" sorts descending (newest first); the id breaks ties.
SORTS = {"id": WorkflowInstance.id, "template": WorkflowInstance.template, "subject": WorkflowInstance.exception_id,
         "status": WorkflowInstance.status, "stage": WorkflowInstance.stage, "initiator": User.username,
         "need_by": WorkflowInstance.need_by, "created": WorkflowInstance.created_at,
         "updated": WorkflowInstance.updated_at}
# ``owner`` filter: workflows with an open task owned by the given person ("me" in the web UI),
# or with an open task nobody owns ("none").
OWNERS = ("me", "none")


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    template: str | None = None
    stage: str | None = None
    ci_id: int | None = None
    exception_id: int | None = None
    sort: str = "-updated"
    owner_id: int | None = None  # an open task owned by this person
    unowned: bool = False  # an open task owned by nobody


@dataclass(frozen=True)
class ListPage:
    rows: list[dict]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(query, filters: ListFilters):
    for column, value in ((WorkflowInstance.status, filters.status), (WorkflowInstance.template, filters.template),
                          (WorkflowInstance.stage, filters.stage), (WorkflowInstance.ci_id, filters.ci_id),
                          (WorkflowInstance.exception_id, filters.exception_id)):
        if value is not None:
            query = query.where(column == value)
    if filters.owner_id is not None or filters.unowned:
        owner = WorkflowTask.owner_id.is_(None) if filters.unowned else WorkflowTask.owner_id == filters.owner_id
        query = query.where(exists().where(WorkflowTask.instance_id == WorkflowInstance.id,
                                           WorkflowTask.completed_at.is_(None), owner))
    return query


def workflow_page(session: Session, filters: ListFilters, page: int = 1, per_page: int = 50) -> ListPage:
    order = order_clauses(SORTS, Sort.parse(filters.sort, tuple(SORTS), "-updated"), WorkflowInstance.id)
    query = _filtered(select(WorkflowInstance, ConfigurationItem.asset_tag, AuditException.kind, User.username)
                      .outerjoin(ConfigurationItem, ConfigurationItem.id == WorkflowInstance.ci_id)
                      .outerjoin(AuditException, AuditException.id == WorkflowInstance.exception_id)
                      .outerjoin(User, User.id == WorkflowInstance.initiator_id), filters)
    total = session.scalar(_filtered(select(func.count()).select_from(WorkflowInstance), filters)) or 0
    rows = session.execute(query.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    return ListPage([{"instance": i, "asset_tag": tag, "exception_kind": kind, "initiator": name}
                     for i, tag, kind, name in rows], total, page, per_page)
