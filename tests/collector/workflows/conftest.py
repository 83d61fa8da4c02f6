"""Fixtures for workflow tests: the shipped templates, people in each role, a small fleet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collector.access.users import create_user
from collector.workflows.loading import SHIPPED_DIR, load_templates
from collector.workflows.roles import WorkflowActor
from tests.collector.reconcile.fleet import NOW, _Builder

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def templates():
    loaded = load_templates([SHIPPED_DIR], {"finance": frozenset({"fiona"})})
    assert loaded.errors == []
    return loaded


@pytest.fixture
def people(database) -> dict[str, WorkflowActor]:
    """alice and bob (operators), root (admin), audrey (auditor), fiona (operator in group finance)."""
    actors = {}
    with database.write() as session:
        for name, role in (("alice", "operator"), ("bob", "operator"), ("root", "admin"), ("audrey", "auditor"),
                           ("fiona", "operator")):
            user = create_user(session, name, role, PASSWORD)
            actors[name] = WorkflowActor(user.id, name, role, "test")
    return actors


@pytest.fixture
def clock():
    """Moments after the fleet's NOW, one per call, so events have a clear order."""
    ticks = iter(range(1, 10_000))
    return lambda: NOW + timedelta(minutes=next(ticks))


@pytest.fixture
def laptop(database) -> dict:
    """An in-stock CI and the agent asset that reports it (same serial), last user 'olduser'."""
    with database.write() as session:
        builder = _Builder(session, 11)
        serial = builder.serial()
        ci_id = builder.ci("LT-NEW-1", serial=serial, hostname="lt-new-1", status="in_stock")
        asset_id = builder.asset("lt-new-1", serial=serial, primary_user="olduser")
    return {"ci_id": ci_id, "asset_id": asset_id}
