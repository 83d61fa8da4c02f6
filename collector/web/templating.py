"""What every template can use: the signed-in user, the CSRF token, navigation and formats."""

from __future__ import annotations

from datetime import datetime

from flask import g, request, url_for

from collector.access.api_tokens import ROLES
from collector.reconcile.report import EXCEPTION_KIND_LABELS
from collector.reports.counts import LABELS as COUNT_LABELS
from collector.web import bp
from collector.web.listing import PAGE_SIZES
from collector.web.security import RULES, csrf_token, current
from collector.web.times import time_element

__all__ = ["can", "NAVIGATION"]

# (endpoint, label); shown to whoever may open it.
NAVIGATION = (
    ("web.dashboard", "Dashboard"),
    ("web.assets", "Assets"),
    ("web.devices", "Devices without an agent"),
    ("web.reconciliation", "Reconciliation"),
    ("web.exceptions", "Exceptions"),
    ("web.workflows", "Workflows"),
    ("web.my_workflow_tasks", "My tasks"),
    ("web.kpis", "KPIs"),
    ("web.sam_overview", "Software"),
    ("web.sam_entitlements", "Entitlements"),
    ("web.exports", "Exports"),
    ("web.audit_log", "Audit log"),
    ("web.agents", "Agents"),
    ("web.users", "Users"),
    ("web.suppressions", "Suppressions"),
)


def can(endpoint: str) -> bool:
    """Whether the signed-in user may use ``endpoint`` (templates hide what they may not)."""
    live = current()
    minimum = RULES.get(endpoint, "admin")
    if minimum is None:
        return True
    return live is not None and ROLES.index(live.role) >= ROLES.index(minimum)


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(value)


def _query(**changes) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    # A refused form re-renders its page under the POST's endpoint: links go to the page (form_state.py).
    return url_for(g.get("page_endpoint") or request.endpoint, **(request.view_args or {}), **args)


@bp.app_context_processor
def _context() -> dict:
    from collector.web.workflows import my_task_count

    return {"current_user": current(), "csrf_token": csrf_token, "can": can, "navigation": NAVIGATION,
            "query_with": _query, "my_task_count": my_task_count, "page_sizes": PAGE_SIZES,
            "count_labels": COUNT_LABELS, "kind_labels": EXCEPTION_KIND_LABELS}


@bp.app_template_filter("when")
def _when_filter(value):
    """A time as a ``<time>`` element in the signed-in user's zone (UTC when signed out)."""
    live = current()
    return time_element(value, live.time_zone if live else "UTC")


@bp.app_template_filter("size")
def _size_filter(value) -> str:
    return _size(value)


@bp.app_template_filter("reject_keys")
def _reject_keys(mapping: dict, *keys: str) -> dict:
    return {k: v for k, v in mapping.items() if k not in keys}
