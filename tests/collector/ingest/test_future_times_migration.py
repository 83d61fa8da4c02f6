"""Migration 0012_future_times thaws assets frozen by a future time stored before the fix.

Before issue 16 (defect 8) a report dated 2099 was stored as is; its time still orders
after every later report. The migration brings such stored times back to the clock.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import select, update

from collector.migrate import current_revision, downgrade, head_revision, upgrade
from collector.models import Agent, Asset, Device, Observation

FUTURE = datetime(2099, 1, 1, tzinfo=timezone.utc)


def _freeze(database, agent_id):
    """What an unfixed collector left behind after a report, a sighting and a check-in from 2099."""
    with database.write() as session:
        session.execute(update(Observation).values(collected_at=FUTURE, last_collected_at=FUTURE))
        session.execute(update(Device).values(first_seen_at=FUTURE, last_seen_at=FUTURE, page_count=10,
                                              page_count_at=FUTURE, port_seen_at=FUTURE))
        session.execute(update(Agent).where(Agent.id == agent_id).values(last_success_at=FUTURE))


def _migrate_again(database):
    downgrade(database.engine, "0010")  # through 0011 too: its SQLite rebuild of agents must keep assets linked
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()


def test_stored_future_times_are_brought_back_to_the_clock(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=21)
    assert client.post("/api/v1/inventory", json=first, headers=agent.headers).status_code == 201
    now = datetime.now(timezone.utc).isoformat()
    scan = {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent.agent_id, "scan_id": "arp-test",
            "started_at": now, "finished_at": now,
            "devices": [{"ip": "198.18.0.50", "mac": "3c:52:82:00:09:01", "found_by": ["arp"], "seen_at": now}]}
    assert client.post("/api/v1/discovery", json=scan, headers=agent.headers).status_code == 201
    _freeze(database, agent.agent_id)
    before = datetime.now(timezone.utc)
    _migrate_again(database)
    with database.session() as session:
        observation = session.scalar(select(Observation))
        device = session.scalar(select(Device))
        times = [observation.collected_at, observation.last_collected_at, device.first_seen_at, device.last_seen_at,
                 device.page_count_at, device.port_seen_at, session.get(Agent, agent.agent_id).last_success_at]
    assert all(before <= t <= datetime.now(timezone.utc) for t in times), times
    changed = json.loads(json.dumps(first))
    changed.update(report_id=str(uuid.uuid4()), collected_at=datetime.now(timezone.utc).isoformat())
    changed["host"]["hostname"] = "thawed"
    response = client.post("/api/v1/inventory", json=changed, headers=agent.headers)
    assert response.get_json()["status"] == "stored"
    with database.session() as session:
        assert session.scalar(select(Asset.hostname)) == "thawed"


def test_times_in_the_past_are_left_alone(client, database, make_agent, reports):
    agent = make_agent()
    report = reports.report(agent.agent_id, host_seed=22, collected_at="2026-01-02T03:04:05+00:00")
    assert client.post("/api/v1/inventory", json=report, headers=agent.headers).status_code == 201
    _migrate_again(database)
    with database.session() as session:
        observation = session.scalar(select(Observation))
    assert observation.collected_at == observation.last_collected_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
