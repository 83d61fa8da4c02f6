"""POST /api/v1/checkin: agents report their state and receive their schedule."""

import pytest
from collector.models import Agent


def test_checkin_records_state_and_returns_settings(client, database, make_agent):
    agent = make_agent()
    response = client.post("/api/v1/checkin", headers=agent.headers,
                           json={"agent_version": "0.2.0", "spool_depth": 3, "spool_rejected": 2,
                                 "last_success_at": "2026-11-28T10:00:00Z"})
    assert response.status_code == 200
    assert response.get_json() == {
        "settings": {"inventory_interval_s": 3600, "splay_s": 600, "checkin_interval_s": 900}, "tasks": []}
    with database.session() as session:
        stored = session.get(Agent, agent.agent_id)
    assert (stored.agent_version, stored.spool_depth, stored.spool_rejected) == ("0.2.0", 3, 2)
    assert stored.last_checkin_at is not None and stored.last_success_at.hour == 10


def test_checkin_needs_a_node_key(client, database):
    assert client.post("/api/v1/checkin", json={}).status_code == 401


@pytest.mark.parametrize("body, field", [({"spool_depth": -1}, "spool_depth"), ({"spool_rejected": -1}, "spool_rejected"),
                                         ({"agent_version": "x" * 100}, "agent_version"),
                                         ({"last_success_at": "yesterday"}, "last_success_at"), ({"extra": 1}, "extra")])
def test_bad_checkins_are_422_and_change_nothing(client, database, make_agent, body, field):
    agent = make_agent()
    response = client.post("/api/v1/checkin", headers=agent.headers, json=body)
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field
    with database.session() as session:
        assert session.get(Agent, agent.agent_id).last_checkin_at is None


@pytest.mark.parametrize("raw", [b"3e9", b"3000000000", str(2**62).encode(), str(2**63 + 5).encode()])
def test_a_spool_depth_beyond_the_column_is_422(client, database, make_agent, raw):
    agent = make_agent()
    response = client.post("/api/v1/checkin", headers=agent.headers, data=b'{"spool_depth": ' + raw + b"}",
                           content_type="application/json")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["fields"][0]["field"] == "spool_depth"
    with database.session() as session:
        assert session.get(Agent, agent.agent_id).last_checkin_at is None


def test_a_last_success_in_the_future_is_422(client, database, make_agent):
    agent = make_agent()
    response = client.post("/api/v1/checkin", headers=agent.headers, json={"last_success_at": "2099-01-01T00:00:00Z"})
    assert response.status_code == 422
    field = response.get_json()["fields"][0]
    assert field["field"] == "last_success_at" and "collector's clock" in field["message"]
    with database.session() as session:
        assert session.get(Agent, agent.agent_id).last_checkin_at is None
