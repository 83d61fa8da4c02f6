"""The inventory cycle's accounting against a scripted collector: every report dropped or
lost is counted, and the count reaches the collector (issue 16, defect 11)."""

import errno
import os
import uuid

import pytest

import agent.spool
from agent.config import AgentConfig
from agent.cycle import discovery_spool_for, run_cycle, spool_for
from agent.delivery import Backoff
from agent.state import AgentIdentity, save_identity
from agent.transport import CollectorClient
from tests.agent.stubs import HostProbe

NO_WAIT = dict(backoff=Backoff(base_s=0.001, cap_s=0.001), sleep=lambda s: None)
DOWN = "http://127.0.0.1:9"  # nothing listens on port 9


@pytest.fixture
def state(tmp_path):
    save_identity(str(tmp_path), AgentIdentity("a1", "stkn_key"))
    yield tmp_path
    agent.spool._UNRECORDED.clear()  # memory of this test's spools


def _cycle(state, url, **overrides):
    config = AgentConfig(state_dir=str(state), server_url=url, delivery_budget_s=1, **overrides).validated()
    return run_cycle(config, [HostProbe()], CollectorClient(url), **NO_WAIT)


def _dropped_sent(server) -> list[int]:
    return [body["spool_dropped"] for path, body in server.reports if path == "/api/v1/inventory"]


def _disk_full(monkeypatch, directory, *, even_empty_files=False):
    """ENOSPC for writes under ``directory``: new data (temporary files), and new empty files too if asked."""
    def no_data(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(agent.spool, "write_atomically", no_data)
    if even_empty_files:
        real_open = os.open

        def full_open(path, flags, *args, **kwargs):
            if str(path).startswith(str(directory)) and flags & os.O_CREAT:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", full_open)


def test_a_report_lost_while_the_disk_is_full_and_the_collector_down_is_counted_across_a_restart(
        state, scripted, monkeypatch):
    server = scripted()
    assert _cycle(state, server.url).error is None  # spool directory in place, one report in
    with monkeypatch.context() as patch:
        _disk_full(patch, state / "spool")
        lost = _cycle(state, DOWN)
        assert "direct send failed" in lost.error and not lost.spooled
    agent.spool._UNRECORDED.clear()  # a restart: only what is on disk counts
    assert _cycle(state, server.url).error is None
    assert _dropped_sent(server) == [0, 1]


def test_a_lost_report_is_held_in_memory_while_the_disk_takes_nothing_and_reported_later(
        state, scripted, monkeypatch):
    server = scripted()
    _cycle(state, server.url)
    with monkeypatch.context() as patch:
        _disk_full(patch, state / "spool", even_empty_files=True)
        _cycle(state, DOWN)  # lost, and not even a marker can be written
        _cycle(state, DOWN)  # lost too; the first one's count was in it
        assert spool_for(AgentConfig(state_dir=str(state))).dropped() == 2
        assert _cycle(state, server.url).delivered == 1  # disk still full: sent directly, with the count
    assert _cycle(state, server.url).error is None
    assert _dropped_sent(server) == [0, 2, 0]


def test_drops_carried_by_a_dropped_report_are_not_lost(state, scripted):
    server = scripted()
    _cycle(state, server.url, spool_max_reports=2)
    for _ in range(6):  # an outage: the spool keeps 2, and reports carrying drops get dropped too
        _cycle(state, DOWN, spool_max_reports=2)
    assert _cycle(state, server.url, spool_max_reports=2).delivered == 2  # its own put dropped one more
    assert _cycle(state, server.url, spool_max_reports=2).delivered == 1
    assert sum(_dropped_sent(server)) == 5  # 8 reports since the first, 3 delivered: every drop reported once
    assert spool_for(AgentConfig(state_dir=str(state))).dropped() == 0


def test_drops_of_the_discovery_spool_travel_in_the_next_inventory_report(state, scripted):
    server = scripted()
    discovery = discovery_spool_for(AgentConfig(state_dir=str(state), spool_max_reports=1))
    for _ in range(3):
        discovery.put({"report_id": str(uuid.uuid4()), "devices": []})
    _cycle(state, server.url)
    assert _dropped_sent(server) == [2]
    assert discovery.dropped() == 0
