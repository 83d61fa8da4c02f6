"""Each fact says which agent reported it: protocol and version on the asset API and page (issue 15, item 5)."""

from __future__ import annotations

import html

from collector.interop.foreign_agents import SiteAuth, foreign_agent_id, store_foreign_inventory
from collector.models import utcnow
from tests.collector.web.conftest import csrf_from

OCS_LABEL = "ocsinventory-agent 2.10.0 (OCS protocol)"


def _ocs_asset(database, config, make_site, foreign_report, version="ocsinventory-agent 2.10.0"):
    site = make_site()
    agent_id = foreign_agent_id(database, SiteAuth(site.site_id, site.name), "ocs", "pc-1-2026", "pc-1", version,
                                utcnow())
    stored = store_foreign_inventory(database, config, agent_id, foreign_report(agent_id, host_seed=1, version=version),
                                     utcnow())
    return agent_id, stored.asset_id


def test_the_asset_api_names_the_reporting_agent_of_the_asset_and_of_each_observation(
        client, database, config, make_site, make_agent, make_token, foreign_report, reports):
    ocs, asset_id = _ocs_asset(database, config, make_site, foreign_report)
    detail = client.get(f"/api/v1/assets/{asset_id}", headers=make_token()).get_json()
    assert detail["reported_by"] == {"agent_id": ocs, "protocol": "ocs", "agent_version": "ocsinventory-agent 2.10.0",
                                     "label": OCS_LABEL, "superseded": False}
    assert detail["hardware"]["provenance"]["agent"]["label"] == OCS_LABEL
    assert {s["provenance"]["agent"] for s in detail["software"]} == {OCS_LABEL}

    native = make_agent("pc-1")
    assert client.post("/api/v1/inventory", json=reports.report(native.agent_id, host_seed=1),
                       headers=native.headers).status_code == 201
    detail = client.get(f"/api/v1/assets/{asset_id}", headers=make_token()).get_json()
    assert detail["reported_by"]["protocol"] == "stocktake" and detail["reported_by"]["label"] == "Stocktake protocol"
    history = [(o["agent"]["protocol"], o["agent"]["superseded"]) for o in detail["observations"]]
    assert history == [("stocktake", False), ("ocs", True)]  # newest first


def _log_in(client, database, role="auditor"):
    from collector.access.users import create_user

    with database.write() as session:
        create_user(session, "reader", role, "correct horse battery staple")
    page = client.get("/login")
    answer = client.post("/login", data={"username": "reader", "password": "correct horse battery staple",
                                         "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert answer.status_code == 303


def test_the_asset_page_shows_the_reporting_agent_and_each_observations_agent(
        client, database, config, make_site, make_agent, foreign_report, reports):
    _ocs, asset_id = _ocs_asset(database, config, make_site, foreign_report)
    native = make_agent("pc-1")
    client.post("/api/v1/inventory", json=reports.report(native.agent_id, host_seed=1), headers=native.headers)
    _log_in(client, database)
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    reporter = page.split('id="asset-agent">', 1)[1].split("</dd>", 1)[0]
    assert "Stocktake protocol" in reporter and native.agent_id in reporter
    history = page.split('id="hist-h"', 1)[1]
    assert f"from {OCS_LABEL}" in history and "from Stocktake protocol" in history
    assert page.count('class="observation-agent"') == 2


def test_a_hostile_agent_version_is_shown_inert(client, database, config, make_site, foreign_report):
    hostile = "<script>window.__xss=1</script>"
    _ocs, asset_id = _ocs_asset(database, config, make_site, foreign_report, version=hostile)
    _log_in(client, database)
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert hostile not in page and html.escape(hostile, quote=False) in page


def test_the_agents_list_shows_the_protocol_and_who_was_superseded(client, database, config, make_site, make_agent,
                                                                   foreign_report, reports):
    _ocs_asset(database, config, make_site, foreign_report)
    native = make_agent("pc-1")
    client.post("/api/v1/inventory", json=reports.report(native.agent_id, host_seed=1), headers=native.headers)
    _log_in(client, database, role="admin")
    page = client.get("/admin/agents").get_data(as_text=True)
    rows = page.split('id="agents-h"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    ocs_row = next(row for row in rows.split("<tr>") if "ocsinventory-agent 2.10.0" in row)
    assert '<span class="token">ocs</span>' in ocs_row and "<td>superseded</td>" in ocs_row
