"""Fixtures for the agent's delivery tests (stand-ins in tests/agent/stubs.py)."""

from __future__ import annotations

import pytest

from tests.agent.stubs import ScriptedCollector


@pytest.fixture
def scripted():
    servers = []

    def make(statuses=(), retry_after=None, fail=None):
        server = ScriptedCollector(statuses, retry_after, fail)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
