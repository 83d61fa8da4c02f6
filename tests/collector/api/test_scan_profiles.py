"""/api/v1/scan-profiles and check-in tasks: admins write, auditors read, secrets reach only assigned agents."""

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from collector.models import ScanAssignment, ScanProfile

COMMUNITY, AUTH, PRIV = "c0mmunity-Qa55", "auth-Pass-1203", "priv-Pass-8870"
CREDENTIALS = [{"version": "2c", "community": COMMUNITY},
               {"version": "3", "name": "core-v3", "user": "scanner", "auth_key": AUTH, "priv_key": PRIV}]
PROFILE = {"name": "lab", "ranges": ["198.18.0.0/24"], "interface": "eth0", "interval_s": 900,
           "credentials": CREDENTIALS}


def _count(database, model=ScanProfile):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _create(client, make_token, **changes):
    response = client.post("/api/v1/scan-profiles", json={**PROFILE, **changes}, headers=make_token("admin"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _assert_no_secret(text: str):
    for secret in (COMMUNITY, AUTH, PRIV):
        assert secret not in text


def test_admin_creates_and_auditor_reads_without_secrets(client, database, make_token, make_agent):
    agent = make_agent()
    created = _create(client, make_token, agents=[agent.agent_id])
    assert created["credentials"] == [{"name": "credential-1", "version": "2c", "user": None},
                                      {"name": "core-v3", "version": "3", "user": "scanner"}]
    assert (created["agents"], created["max_addresses"], created["enabled"]) == ([agent.agent_id], 4096, True)
    auditor = make_token("auditor")
    listing = client.get("/api/v1/scan-profiles", headers=auditor)
    shown = client.get(f"/api/v1/scan-profiles/{created['id']}", headers=auditor)
    assert listing.get_json()["items"] == [shown.get_json()] and shown.get_json()["last_report_at"] is None
    for response in (listing, shown):
        _assert_no_secret(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["auditor", "operator"])
def test_only_admins_write(client, database, make_token, make_agent, role):
    profile_id = _create(client, make_token)["id"]
    headers = make_token(role)
    url = f"/api/v1/scan-profiles/{profile_id}"
    assert client.post("/api/v1/scan-profiles", json={**PROFILE, "name": "x"}, headers=headers).status_code == 403
    assert client.patch(url, json={"enabled": False}, headers=headers).status_code == 403
    assert client.put(url + "/agents", json={"agents": [make_agent().agent_id]}, headers=headers).status_code == 403
    assert client.delete(url, headers=headers).status_code == 403
    assert client.get(url).status_code == 401
    with database.session() as session:
        profile = session.get(ScanProfile, profile_id)
        assert profile.enabled and _count(database, ScanAssignment) == 0


@pytest.mark.parametrize("body, field", [
    ({**PROFILE, "ranges": ["8.8.8.0/24"]}, "ranges[0]"),
    ({**PROFILE, "ranges": ["198.18.0.0/22"], "max_addresses": 256}, "ranges"),
    ({**PROFILE, "max_addresses": 10_000}, "max_addresses"),
    ({**PROFILE, "interval_s": 5}, "interval_s"),
    ({**PROFILE, "credentials": [{"version": "2c", "community": COMMUNITY, "port": 161}]}, "credentials[0].port"),
    ({**PROFILE, "agents": ["no-such-agent"]}, "agents[0]"),
    ({key: value for key, value in PROFILE.items() if key != "interface"}, "interface"),
])
def test_bad_input_is_422_naming_the_field_and_stores_nothing(client, database, make_token, body, field):
    response = client.post("/api/v1/scan-profiles", json=body, headers=make_token("admin"))
    assert response.status_code == 422
    assert field in [f["field"] for f in response.get_json()["fields"]]
    _assert_no_secret(response.get_data(as_text=True))
    assert _count(database) == 0


def test_a_taken_name_is_409(client, database, make_token):
    _create(client, make_token)
    response = client.post("/api/v1/scan-profiles", json=PROFILE, headers=make_token("admin"))
    assert response.status_code == 409 and "'lab'" in response.get_json()["error"]


def test_patch_checks_the_whole_profile(client, database, make_token):
    profile = _create(client, make_token, max_addresses=512)
    url, admin = f"/api/v1/scan-profiles/{profile['id']}", make_token("admin")
    refused = client.patch(url, json={"ranges": ["198.18.0.0/22"]}, headers=admin)
    assert refused.status_code == 422 and "cover 1024 addresses; this profile allows 512" in refused.get_data(as_text=True)
    changed = client.patch(url, json={"interval_s": 7200, "enabled": False, "credentials": []}, headers=admin).get_json()
    assert (changed["interval_s"], changed["enabled"], changed["credentials"], changed["ranges"]) == (
        7200, False, [], ["198.18.0.0/24"])
    with database.session() as session:
        assert session.get(ScanProfile, profile["id"]).credentials_token is None
    assert client.patch("/api/v1/scan-profiles/999999", json={}, headers=admin).status_code == 404


def test_assigning_agents_names_unknown_ones(client, database, make_token, make_agent):
    profile_id, admin = _create(client, make_token)["id"], make_token("admin")
    first, second = make_agent(), make_agent()
    url = f"/api/v1/scan-profiles/{profile_id}/agents"
    response = client.put(url, json={"agents": [first.agent_id, "ghost-agent"]}, headers=admin)
    assert response.status_code == 422 and "unknown agent 'ghost-agent'" in response.get_json()["error"]
    assert response.get_json()["fields"] == [{"field": "agents[1]", "message": "unknown agent 'ghost-agent'"}]
    assert _count(database, ScanAssignment) == 0
    assert client.put(url, json={"agent": []}, headers=admin).status_code == 422
    assigned = client.put(url, json={"agents": [second.agent_id, first.agent_id]}, headers=admin).get_json()
    assert assigned["agents"] == sorted([first.agent_id, second.agent_id])
    assert client.put(url, json={"agents": []}, headers=admin).get_json()["agents"] == []


def test_delete(client, database, make_token, make_agent):
    profile_id, admin = _create(client, make_token, agents=[make_agent().agent_id])["id"], make_token("admin")
    assert client.delete(f"/api/v1/scan-profiles/{profile_id}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/scan-profiles/{profile_id}", headers=admin).status_code == 404
    assert _count(database, ScanAssignment) == 0


def _checkin(client, agent):
    response = client.post("/api/v1/checkin", json={}, headers=agent.headers)
    assert response.status_code == 200
    return response


def test_checkin_hands_tasks_only_to_assigned_agents(client, database, make_token, make_agent):
    scanner, bystander = make_agent(), make_agent()
    profile = _create(client, make_token, agents=[scanner.agent_id])
    _create(client, make_token, name="off", enabled=False, agents=[scanner.agent_id], credentials=[])
    response = _checkin(client, scanner)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["tasks"] == [{
        "type": "scan", "profile_id": profile["id"], "profile": "lab", "ranges": ["198.18.0.0/24"],
        "interface": "eth0", "allow_public": False, "max_addresses": 4096, "interval_s": 900,
        "credentials": [{"name": "credential-1", "version": "2c", "community": COMMUNITY},
                        {"name": "core-v3", "version": "3", "user": "scanner", "auth_key": AUTH, "priv_key": PRIV}]}]
    other = _checkin(client, bystander)
    assert other.get_json()["tasks"] == []
    _assert_no_secret(other.get_data(as_text=True))


def test_checkin_with_a_wrong_key_leaves_the_profile_out_and_says_why(app, client, database, make_token, make_agent,
                                                                     caplog):
    scanner = make_agent()
    _create(client, make_token, agents=[scanner.agent_id])
    _create(client, make_token, name="arp-only", credentials=[], agents=[scanner.agent_id])
    config = app.extensions["stocktake"]["config"]
    app.extensions["stocktake"]["config"] = replace(config, credentials_key=Fernet.generate_key().decode())
    caplog.set_level(logging.ERROR)
    tasks = _checkin(client, scanner).get_json()["tasks"]
    assert [task["profile"] for task in tasks] == ["arp-only"]
    assert "cannot decrypt the SNMP credentials of scan profile 'lab'" in caplog.text
    _assert_no_secret(caplog.text)


def _discovery(agent_id, scan_id, finished):
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent_id, "scan_id": scan_id,
            "started_at": finished.isoformat(), "finished_at": finished.isoformat(), "devices": [
                {"found_by": ["arp"], "seen_at": finished.isoformat(), "ip": "198.18.0.10", "mac": "3c:52:82:00:01:00"}]}


def test_a_profiles_reports_set_its_last_report(client, database, make_token, make_agent):
    scanner, stranger = make_agent(), make_agent()
    profile = _create(client, make_token, agents=[scanner.agent_id])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    scan_id = f"profile:{profile['id']}:198.18.0.0/24:{now:%Y%m%dT%H%M%SZ}"
    assert client.post("/api/v1/discovery", json=_discovery(stranger.agent_id, scan_id, now),
                       headers=stranger.headers).status_code == 201
    shown = client.get(f"/api/v1/scan-profiles/{profile['id']}", headers=make_token()).get_json()
    assert shown["last_report_at"] is None  # not an agent of this profile
    for finished in (now, now - timedelta(hours=1)):  # a late report from the spool does not go back in time
        assert client.post("/api/v1/discovery", json=_discovery(scanner.agent_id, scan_id, finished),
                           headers=scanner.headers).status_code == 201
    shown = client.get(f"/api/v1/scan-profiles/{profile['id']}", headers=make_token()).get_json()
    assert (shown["last_report_at"], shown["last_report_by"]) == (now.isoformat(), scanner.agent_id)
