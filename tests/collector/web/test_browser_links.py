"""Link walk: from the dashboard, follow every link breadth-first in a real browser, as an auditor
and as an admin. Every record type (asset, CI, device, exception, workflow) must be reachable by
links alone, and every link must answer 200, or 403 where the role deliberately may not go.

Bounded: at most ``_PER_ENDPOINT`` distinct URLs per page type (pager, sort and filter links
multiply URLs, not page types) and ``_LIMIT`` in all. Files (exports) are fetched, not opened.
"""

from __future__ import annotations

import os

from collections import deque
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from tests.collector.web.conftest import CHROMIUM
from tests.collector.web.records_seed import seed_records

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
              pytest.mark.skipif(os.environ.get("STOCKTAKE_TEST_DB") == "postgresql",
                                 reason="the links a page renders do not depend on the database: run in the SQLite pass only (keeps CI under its time budget)")]

_LIMIT = 300
_PER_ENDPOINT = 12
_FILES = {"web.export_file", "web.sam_elp_file", "web.sam_audit_pack_file"}
_RECORDS = {"web.asset", "web.ci", "web.device", "web.exception", "web.workflow"}
_ROLE_ORDER = ("auditor", "operator", "admin")


def _endpoint(adapter, path: str) -> str | None:
    try:
        return adapter.match(urlsplit(path).path, method="GET")[0]
    except HTTPException:
        return None


def _same_site(href: str, base: str) -> str | None:
    """The link as a path on our server (None: another site, or a fragment of this page)."""
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(href)
    if parts.scheme and f"{parts.scheme}://{parts.netloc}" != base:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _deliberate(endpoint: str | None, role: str) -> bool:
    from collector.web.security import RULES

    minimum = RULES.get(endpoint or "")
    return minimum is not None and _ROLE_ORDER.index(role) < _ROLE_ORDER.index(minimum)


def _walk(page, app, base: str, role: str) -> tuple[dict[str, int], set[str], list[str]]:
    adapter = app.url_map.bind("127.0.0.1")
    queue, queued = deque(["/"]), {"/"}
    per_endpoint: dict[str, int] = {}
    statuses: dict[str, int] = {}
    problems = []
    while queue and len(statuses) < _LIMIT:
        path = queue.popleft()
        endpoint = _endpoint(adapter, path)
        if endpoint in _FILES:
            statuses[path] = page.request.get(base + path).status
        else:
            statuses[path] = page.goto(base + path).status
        status = statuses[path]
        if status != 200 and not (status == 403 and _deliberate(endpoint, role)):
            problems.append(f"{path} ({endpoint}) answered {status}")
        if status != 200 or endpoint in _FILES:
            continue
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = _same_site(href, base)
            if target is None or target in queued:
                continue
            target_endpoint = _endpoint(adapter, target)
            if target_endpoint is None:
                problems.append(f"{path} links to {target}, which no route serves")
                continue
            if per_endpoint.get(target_endpoint, 0) >= _PER_ENDPOINT:
                continue
            per_endpoint[target_endpoint] = per_endpoint.get(target_endpoint, 0) + 1
            queued.add(target)
            queue.append(target)
    reached = {_endpoint(adapter, path) for path, status in statuses.items() if status == 200}
    return statuses, reached, problems


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_every_record_is_reachable_from_the_dashboard_and_every_link_answers(open_as, users, fleet, server, database,
                                                                            make_agent, role):
    app, base = server
    records = seed_records(app, database, make_agent, fleet)
    page = open_as(role)
    statuses, reached, problems = _walk(page, app, base, role)
    assert problems == []
    assert _RECORDS <= reached, f"not reached by links: {_RECORDS - reached}"
    visited = set(statuses)
    # The particular records, not just their page types.
    for path in (f"/cis/{fleet.ci_id}", f"/cis/{records.vm_ci_id}", f"/devices/{records.printer_id}",
                 f"/devices/{records.switch_id}", f"/assets/{fleet.asset_id}",
                 f"/exceptions/{records.printer_exception_id}", f"/workflows/{fleet.workflow_id}"):
        assert path in visited, path
    assert len(statuses) > 30  # a walk, not a look at the dashboard
    if role == "admin":
        assert "/admin/agents" in visited and statuses["/admin/agents"] == 200
