"""A NUL character in any query-string or form value is a 422 naming the field, on every route,
never a 500 from PostgreSQL ("text fields cannot contain NUL") and nothing stored."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin_token(app, database):
    from collector.access.api_tokens import create_api_token

    with database.write() as session:
        return create_api_token(session, "nul-test", "admin").token


@pytest.mark.parametrize("path", ["/api/v1/sam/renewals?publisher=%00", "/api/v1/assets?q=a%00b",
                                  "/api/v1/audit?actor=x%00", "/api/v1/devices?q=%00"])
def test_api_refuses_nul_in_query_values(client, admin_token, path):
    response = client.get(path, headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "must not contain NUL characters" in response.get_data(as_text=True)


def test_api_refuses_nul_in_a_parameter_name(client, admin_token):
    response = client.get("/api/v1/assets?a%00b=1", headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 422 and "a\\\\0b" in response.get_data(as_text=True)


def test_web_pages_and_forms_refuse_nul(client):
    page = client.get("/search?q=x%00y")
    assert page.status_code == 422 and "must not contain NUL characters" in page.get_data(as_text=True)
    form = client.post("/login", data={"username": "a\x00b", "password": "x"})
    assert form.status_code == 422


def test_ordinary_values_pass(client, admin_token):
    assert client.get("/api/v1/assets?q=laptop", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200
