"""Reports of one agent applied in any arrival order end as the newest collected report."""

import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from itertools import permutations

import pytest
from sqlalchemy import select, text

from collector.ingest.inventory import store_inventory
from collector.ingest.parsing import parse_inventory
from collector.models import Agent, Asset, AssetSoftware, Observation, ReportReceipt, Software, utcnow

START = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)


def _report(reports, agent_id, minute: int, software: list[dict]) -> dict:
    report = reports.report(agent_id, host_seed=1, report_id=str(uuid.uuid4()),
                            collected_at=(START + timedelta(minutes=minute)).isoformat(), software=software)
    report["os"]["boot_time"] = START.isoformat()  # the factory's is relative to now: same content, same hash
    return report


def _state(database) -> tuple[str, set]:
    with database.session() as session:
        asset = session.scalar(select(Asset))
        report_id = session.get(Observation, asset.observation_id).report_id
        links = set(session.execute(
            select(Software.name).join(AssetSoftware, AssetSoftware.software_id == Software.id)
        ).scalars())
    return report_id, links


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_same_content_sent_again_earlier_does_not_hide_a_later_change(client, database, make_agent, reports, order):
    """Content A at minutes 0 and 2, content B at minute 1: whatever the arrival order, A (minute 2) wins.

    An unchanged report used to move the observation's collection time to its own, even
    backwards, so B (minute 1) arriving after A(0) had touched A(2)'s observation was applied.
    """
    agent = make_agent()
    pool = reports.software(30, host_seed=1)
    a, b = pool[:20], pool[10:]
    sent = [_report(reports, agent.agent_id, 0, a), _report(reports, agent.agent_id, 1, b),
            _report(reports, agent.agent_id, 2, a)]
    for index in order:
        response = client.post("/api/v1/inventory", data=json.dumps(sent[index]), content_type="application/json",
                               headers=agent.headers)
        assert response.status_code == 201, response.get_json()
    report_id, links = _state(database)
    assert links == {p["name"] for p in a}
    assert report_id in (sent[0]["report_id"], sent[2]["report_id"])  # the observation of content A
    with database.session() as session:
        observation = session.get(Observation, session.scalar(select(Asset.observation_id)))
    assert observation.last_collected_at == START + timedelta(minutes=2)


def _store(session, agent_id, report, known_hash=None):
    parsed = parse_inventory(json.dumps(report).encode(), known_hash)
    return store_inventory(session, agent_id, parsed, utcnow(), expect_unchanged=parsed.content_hash == known_hash)


def _wait_until_blocked(database, timeout: float = 10) -> None:
    """Until another backend waits for a lock (PostgreSQL only); bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.autocommit() as connection:
            if connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")).scalar():
                return
        time.sleep(0.02)
    raise AssertionError("the unchanged report never waited for the agent's lock")


def test_unchanged_report_waiting_on_a_change_back_touches_the_newest_observation(database, make_agent, reports):
    """A, then B and A again in one transaction while an unchanged A waits for the agent's lock.

    The single-statement unchanged path reads the asset as of its start; without the row
    version check it credited the superseded first observation of A.
    """
    if database.is_sqlite:
        pytest.skip("PostgreSQL's READ COMMITTED re-check; SQLite writers hold the database lock from BEGIN")
    agent = make_agent()
    pool = reports.software(30, host_seed=1)
    a, b = pool[:20], pool[10:]
    with database.write() as session:
        first = _store(session, agent.agent_id, _report(reports, agent.agent_id, 0, a))
    waiting = _report(reports, agent.agent_id, 3, a)
    with database.session() as session:  # what authentication read: content A is the agent's last
        known_hash = session.scalar(select(Agent.last_content_hash).where(Agent.id == agent.agent_id))
    outcome: list = []

    def send_unchanged() -> None:
        with database.write() as session:
            outcome.append(_store(session, agent.agent_id, waiting, known_hash))

    with database.write() as session:
        _store(session, agent.agent_id, _report(reports, agent.agent_id, 1, b))
        _store(session, agent.agent_id, _report(reports, agent.agent_id, 2, a))
        thread = threading.Thread(target=send_unchanged)
        thread.start()
        _wait_until_blocked(database)
    thread.join(timeout=30)
    assert outcome and outcome[0].outcome == "unchanged"
    with database.session() as session:
        asset = session.scalar(select(Asset))
        receipt = session.get(ReportReceipt, waiting["report_id"])
        observation = session.get(Observation, asset.observation_id)
    assert receipt.observation_id == asset.observation_id != first.observation_id
    assert observation.last_report_id == waiting["report_id"]
