"""Fixtures for the foreign-agent service: sites with secrets, and foreign agents' reports."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone

import pytest


@pytest.fixture
def make_site(database):
    """Create a foreign-agent site through the service; returns (site_id, name, secret)."""
    from collector.access.foreign_sites import create_foreign_site

    def make(name: str | None = None):
        with database.write() as session:
            new = create_foreign_site(session, name or f"site-{uuid.uuid4().hex[:8]}")
        return new

    return make


@pytest.fixture
def foreign_report(reports):
    """An InventoryReport dict as a converter makes it: fresh report id and time, a foreign agent_version."""

    def make(agent_id: str, host_seed: int = 1, version: str = "ocsinventory-agent 2.10.0", **overrides):
        report = reports.report(agent_id, software_count=30, host_seed=host_seed)
        report["agent_version"] = version
        report["collected_at"] = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        report["os"].pop("boot_time", None)  # converters leave volatile values out
        report.update(overrides)
        return report

    return make


def basic(secret: str, user: str = "any") -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


@pytest.fixture
def agents_reads(database):
    """Counts the statements that read the agents table during the test (SELECTs only)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    reads = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        flat = " ".join(statement.split())
        if flat.startswith("SELECT") and "FROM agents" in flat:
            reads.append(flat)

    event.listen(Engine, "before_cursor_execute", count)
    yield reads
    event.remove(Engine, "before_cursor_execute", count)

