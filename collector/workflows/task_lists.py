"""Ordering and narrowing the "my tasks" list (at most MY_TASKS_MAX rows, already loaded).

"Mine" are the ready tasks someone assigned to the person; "unassigned" those nobody owns
yet (any of the person's groups may take them). Sorting reuses the shared rules
(collector/queries/ordering.py): typed values, missing values last, the task's workflow id
and task id as tie-breaker.
"""

from __future__ import annotations

from collector.queries.ordering import Sort, sort_rows

__all__ = ["TASK_SORTS", "owned_tasks", "sort_tasks"]

TASK_SORTS = {
    "workflow": lambda t: t["workflow"],
    "template": lambda t: t["template"],
    "task": lambda t: t["name"],
    "stage": lambda t: t["stage"],
    "role": lambda t: t["role"],
    "ready": lambda t: t["ready_at"],  # ISO 8601 UTC text: sorts as the time it is
    "due": lambda t: t["due_at"],
}


def owned_tasks(tasks: list[dict], user_id: int | None, owner: str | None) -> list[dict]:
    """``owner``: "me" (owned by ``user_id``), "none" (owned by nobody) or None (all)."""
    if owner == "me":
        return [t for t in tasks if t["owner_id"] is not None and t["owner_id"] == user_id]
    if owner == "none":
        return [t for t in tasks if t["owner_id"] is None]
    return tasks


def sort_tasks(tasks: list[dict], sort: Sort) -> list[dict]:
    return sort_rows(tasks, TASK_SORTS, sort, lambda t: (t["workflow"], t["id"]))
