from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collector.access.enrollment import create_enrollment_secret, revoke_enrollment_secret
from collector.models import Agent, EnrollmentSecret, utcnow


@pytest.fixture
def secret(database):
    with database.write() as session:
        return create_enrollment_secret(session, "site-a").secret


def _agents(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Agent))


def test_enroll_issues_a_node_key_stored_only_as_a_hash(client, database, secret):
    response = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "pc-1"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["node_key"].startswith("stkn_")
    with database.session() as session:
        agent = session.get(Agent, body["agent_id"])
        assert agent.hostname == "pc-1"
        assert body["node_key"] not in agent.node_key_hash
        assert len(agent.node_key_hash) == 64
        stored = session.scalar(select(EnrollmentSecret))
        assert secret not in stored.secret_hash and stored.use_count == 1


def test_reenrolling_with_the_agent_id_keeps_the_identity_and_replaces_the_key(client, secret):
    first = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "pc-1"}).get_json()
    second = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "pc-1",
                                                 "agent_id": first["agent_id"], "node_key": first["node_key"]}).get_json()
    assert second["agent_id"] == first["agent_id"]
    assert second["node_key"] != first["node_key"]
    old = client.post("/api/v1/inventory", headers={"Authorization": f"Bearer {first['node_key']}"}, json={})
    assert old.status_code == 401


def test_wrong_secret_is_401_and_stores_nothing(client, database, secret):
    response = client.post("/api/v1/enroll", json={"enroll_secret": "stke_wrong", "hostname": "pc-1"})
    assert response.status_code == 401
    assert "enrollment secret" in response.get_json()["error"]
    assert _agents(database) == 0


def test_revoked_expired_and_used_up_secrets_are_refused(client, database):
    now = utcnow()
    with database.write() as session:
        revoked = create_enrollment_secret(session, "revoked").secret
        revoke_enrollment_secret(session, "revoked")
        expired = create_enrollment_secret(session, "expired", expires_in=timedelta(seconds=1), now=now - timedelta(days=1)).secret
        once = create_enrollment_secret(session, "once", max_uses=1).secret
    assert client.post("/api/v1/enroll", json={"enroll_secret": once, "hostname": "a"}).status_code == 201
    for value in (revoked, expired, once):
        assert client.post("/api/v1/enroll", json={"enroll_secret": value, "hostname": "b"}).status_code == 401
    assert _agents(database) == 1


def test_failed_enrolments_are_rate_limited_per_client(client, app, secret):
    allowed = app.extensions["stocktake"]["config"].enroll_failures_allowed
    for _ in range(allowed):
        assert client.post("/api/v1/enroll", json={"enroll_secret": "stke_guess", "hostname": "x"}).status_code == 401
    limited = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "x"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    other_client = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "x"},
                               environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other_client.status_code == 201


@pytest.mark.parametrize(
    "body, content_type, status, field",
    [
        (b'{"enroll_secret": ', "application/json", 400, None),
        (b'{"hostname": "x"}', "application/json", 422, "enroll_secret"),
        (b'{"enroll_secret": "s", "hostname": 5}', "application/json", 422, "hostname"),
        (b'{"enroll_secret": "s", "hostname": "x", "extra": 1}', "application/json", 422, "extra"),
        (b'hostname=x', "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_malformed_enrolment_requests(client, database, body, content_type, status, field):
    response = client.post("/api/v1/enroll", data=body, content_type=content_type)
    assert response.status_code == status
    if field:
        assert field in [f["field"] for f in response.get_json()["fields"]]
    assert _agents(database) == 0


def test_the_fleet_secret_cannot_take_over_an_active_agent(client, database, secret):
    victim = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "pc-1"}).get_json()
    takeover = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "evil",
                                                   "agent_id": victim["agent_id"]})
    assert takeover.status_code == 409 and "current node key" in takeover.get_json()["error"]
    wrong_key = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "evil",
                                                    "agent_id": victim["agent_id"], "node_key": "stkn_guess"})
    assert wrong_key.status_code == 409
    still = client.post("/api/v1/checkin", json={}, headers={"Authorization": f"Bearer {victim['node_key']}"})
    assert still.status_code == 200  # the victim's key still works
    with database.session() as session:
        assert session.get(Agent, victim["agent_id"]).hostname == "pc-1"


def test_an_active_agent_rotates_its_key_by_proving_the_current_one(client, database, secret):
    first = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "pc-1"}).get_json()
    rotated = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "pc-1",
                                                  "agent_id": first["agent_id"], "node_key": first["node_key"]})
    assert rotated.status_code == 201 and rotated.get_json()["agent_id"] == first["agent_id"]
