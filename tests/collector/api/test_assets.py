"""GET /api/v1/assets and /api/v1/assets/<id>: filters, pagination, provenance, token roles."""

import json

import pytest


def _store(client, agent, report):
    response = client.post("/api/v1/inventory", data=json.dumps(report), content_type="application/json", headers=agent.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["asset_id"]


@pytest.fixture
def fleet(client, make_agent, reports):
    """Five assets, host-00000 … host-00004."""
    ids = []
    for seed in range(5):
        agent = make_agent()
        ids.append(_store(client, agent, reports.report(agent.agent_id, software_count=10, host_seed=seed)))
    return ids


def test_list_is_paginated(client, make_token, fleet):
    headers = make_token("auditor")
    page1 = client.get("/api/v1/assets?per_page=2", headers=headers).get_json()
    page3 = client.get("/api/v1/assets?per_page=2&page=3", headers=headers).get_json()
    assert (page1["total"], page1["pages"], len(page1["items"])) == (5, 3, 2)
    assert [a["hostname"] for a in page3["items"]] == ["host-00004"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("hostname=HOST-0000", ["host-00000", "host-00001", "host-00002", "host-00003", "host-00004"]),
        ("hostname=00003", ["host-00003"]),
        ("hostname=%25", []),  # a literal percent sign matches nothing, it is not a wildcard
        ("serial=SN00000002", ["host-00002"]),
        ("serial=nope", []),
        ("mac=3C-52-82-00-00-04", ["host-00004"]),
        ("mac=3c5282.000001", ["host-00001"]),
    ],
)
def test_filters(client, make_token, fleet, query, expected):
    body = client.get(f"/api/v1/assets?{query}", headers=make_token()).get_json()
    assert [a["hostname"] for a in body["items"]] == expected


@pytest.mark.parametrize(
    "query, field",
    [("page=0", "page"), ("per_page=100000", "per_page"), ("per_page=abc", "per_page"), ("mac=not-a-mac", "mac"),
     ("hostname=" + "x" * 300, "hostname")],
)
def test_invalid_query_parameters_are_422(client, make_token, query, field):
    response = client.get(f"/api/v1/assets?{query}", headers=make_token())
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field


def test_detail_says_where_each_fact_came_from(client, make_agent, make_token, reports):
    agent = make_agent()
    report = reports.report(agent.agent_id, software_count=12, host_seed=9)
    asset_id = _store(client, agent, report)
    detail = client.get(f"/api/v1/assets/{asset_id}", headers=make_token()).get_json()
    assert detail["hardware"]["provenance"]["report_id"] == report["report_id"]
    assert detail["hardware"]["cpu"]["cores"] == 10
    assert len(detail["software"]) == 12
    assert {s["source"] for s in detail["software"]} == {"dpkg"}
    assert {s["provenance"]["report_id"] for s in detail["software"]} == {report["report_id"]}
    assert detail["nics"][0]["mac"] == "3c:52:82:00:00:09"
    assert detail["nics"][0]["provenance"]["collected_at"]
    assert detail["disks"][0]["serial"] == "S640000009"
    assert detail["observations"][0]["report_count"] == 1


def test_unknown_asset_is_404(client, make_token):
    response = client.get("/api/v1/assets/999999", headers=make_token())
    assert response.status_code == 404


def test_reading_assets_needs_an_api_token(client, make_agent, database):
    agent = make_agent()
    assert client.get("/api/v1/assets").status_code == 401
    assert client.get("/api/v1/assets", headers=agent.headers).status_code == 401  # node keys are not API tokens
    assert client.get("/api/v1/assets", headers={"Authorization": "Bearer stka_nope"}).status_code == 401


def test_revoked_api_token_is_401(client, database, make_token):
    from collector.access.api_tokens import list_api_tokens, revoke_api_token

    headers = make_token("admin")
    assert client.get("/api/v1/assets", headers=headers).status_code == 200
    with database.write() as session:
        revoke_api_token(session, list_api_tokens(session)[0].name)
    assert client.get("/api/v1/assets", headers=headers).status_code == 401


def test_token_use_is_recorded_for_idle_credential_reviews(client, database, make_token):
    from collector.access.api_tokens import list_api_tokens

    headers = make_token("auditor")
    with database.session() as session:
        assert list_api_tokens(session)[0].last_used_at is None
    client.get("/api/v1/assets", headers=headers)
    with database.session() as session:
        first_use = list_api_tokens(session)[0].last_used_at
    client.get("/api/v1/assets", headers=headers)  # within the interval: no new write
    with database.session() as session:
        assert first_use is not None and list_api_tokens(session)[0].last_used_at == first_use
