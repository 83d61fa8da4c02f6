"""POST /ocsinventory[/<secret>]: the OCS protocol's exchanges through the Flask app."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collector.models import Agent, Asset, Device, ReportReceipt
from tests.collector.interop.conftest import basic

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
OCS_UA = {"User-Agent": "OCS-NG_windows_client_v2.10.1.0"}
FUSION_UA = {"User-Agent": "FusionInventory-Agent_v2.6"}
WINDOWS = (FIXTURES / "ocs_windows.xml").read_bytes()
DEVICE_ID = "FIN-LT-0421-2024-03-20-10-15-42"


def prolog(device_id: str = DEVICE_ID) -> bytes:
    return f"<?xml version='1.0' encoding='UTF-8'?><REQUEST><DEVICEID>{device_id}</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>".encode()


def post(client, path: str, xml: bytes, headers=None, compress=zlib.compress, content_type="application/x-compress"):
    return client.post(path, data=compress(xml), headers={**OCS_UA, **(headers or {})}, content_type=content_type)


def reply(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-compress"
    return zlib.decompress(response.data).decode()


def _scalar(database, statement):
    with database.session() as session:
        return session.execute(statement).scalar()


def test_prolog_is_answered_send_with_the_inventory_interval_and_registers_the_device(client, database, make_site):
    site = make_site()
    answer = reply(post(client, f"/ocsinventory/{site.secret}", prolog()))
    # PROLOG_FREQ is in hours: agent_inventory_interval_s (3600 s by default) rounded up.
    assert answer.endswith("<REPLY><RESPONSE>SEND</RESPONSE><PROLOG_FREQ>1</PROLOG_FREQ></REPLY>")
    with database.session() as session:
        agent = session.execute(select(Agent).where(Agent.foreign_device_id == DEVICE_ID)).scalar_one()
        assert (agent.protocol, agent.agent_version, agent.site_id) == ("ocs", "ocsinventory-agent-windows 2.10.1.0",
                                                                         site.site_id)


@pytest.mark.parametrize("interval_s, hours", [(60, 1), (3600, 1), (3601, 2), (86_400, 24)])
def test_the_frequency_is_the_native_inventory_interval_in_hours(config, interval_s, hours):
    from dataclasses import replace

    from collector.interop.foreign_agents import report_interval_hours

    assert report_interval_hours(replace(config, agent_inventory_interval_s=interval_s, max_clock_skew_s=0)) == hours


@pytest.mark.parametrize("compress, content_type", [
    (zlib.compress, "application/x-compress"),
    (gzip.compress, "application/x-compress"),
    (lambda data: data, "application/xml"),
    (lambda data: data, "text/plain"),
])
def test_zlib_gzip_and_plain_bodies_are_accepted(client, make_site, compress, content_type):
    site = make_site()
    response = post(client, f"/ocsinventory/{site.secret}", prolog(), compress=compress, content_type=content_type)
    assert "<RESPONSE>SEND</RESPONSE>" in reply(response)


def test_an_inventory_is_stored_then_unchanged_and_the_basic_password_works_too(client, database, make_site):
    site = make_site()
    path = f"/ocsinventory/{site.secret}"
    assert "<RESPONSE>SEND</RESPONSE>" in reply(post(client, path, prolog()))
    assert "NO_ACCOUNT_UPDATE" in reply(post(client, path, WINDOWS))
    assert "NO_ACCOUNT_UPDATE" in reply(post(client, "/ocsinventory", WINDOWS, headers=basic(site.secret)))
    with database.session() as session:
        agent = session.execute(select(Agent).where(Agent.foreign_device_id == DEVICE_ID)).scalar_one()
        asset = session.execute(select(Asset).where(Asset.agent_id == agent.id)).scalar_one()
        outcomes = session.execute(select(ReportReceipt.outcome).where(ReportReceipt.agent_id == agent.id)
                                   .order_by(ReportReceipt.received_at)).scalars().all()
    assert outcomes == ["stored", "unchanged"]
    assert (asset.hostname, asset.serial, asset.vendor, asset.model) == ("FIN-LT-0421", "PF3XK2QZ", "LENOVO", "21CBCTO1WW")
    assert (asset.cpu_cores, asset.cpu_threads, asset.memory_bytes) == (12, 16, 32510 * 1024 * 1024)
    assert asset.software_count == 4
    assert agent.hostname == "FIN-LT-0421"


def test_a_changed_inventory_is_stored_again(client, database, make_site):
    site = make_site()
    path = f"/ocsinventory/{site.secret}"
    reply(post(client, path, WINDOWS))
    reply(post(client, path, WINDOWS.replace(b"<VERSION>133.0</VERSION>", b"<VERSION>134.0</VERSION>")))
    assert _scalar(database, select(func.count()).select_from(ReportReceipt).where(ReportReceipt.outcome == "stored")) == 2


def test_fusioninventory_is_recognised_by_its_user_agent(client, database, make_site):
    site = make_site()
    reply(post(client, f"/ocsinventory/{site.secret}", WINDOWS, headers=FUSION_UA))
    assert _scalar(database, select(Agent.agent_version).where(Agent.protocol == "fusioninventory")) == \
        "fusioninventory-agent 2.6"


@pytest.mark.parametrize("path, headers", [
    ("/ocsinventory", {}),
    ("/ocsinventory/stkf_wrong", {}),
    ("/ocsinventory", basic("stkf_wrong")),
])
def test_no_or_a_wrong_secret_is_401_and_stores_nothing(client, database, make_site, path, headers):
    make_site()
    response = post(client, path, WINDOWS, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Stocktake"'
    assert _scalar(database, select(func.count()).select_from(Agent)) == 0


def test_the_same_device_id_from_another_site_is_403(client, database, make_site):
    first, second = make_site(), make_site()
    reply(post(client, f"/ocsinventory/{first.secret}", prolog()))
    response = post(client, f"/ocsinventory/{second.secret}", WINDOWS)
    assert response.status_code == 403
    assert _scalar(database, select(func.count()).select_from(Asset)) == 0


def test_network_inventory_results_are_stored_as_discovery(client, database, make_site):
    site = make_site()
    xml = (FIXTURES / "fusion_netinventory_switch.xml").read_bytes()
    assert reply(post(client, f"/ocsinventory/{site.secret}", xml, headers=FUSION_UA)).endswith("<REPLY></REPLY>")
    with database.session() as session:
        switch = session.execute(select(Device).where(Device.serial == "FOC2233X0YZ")).scalar_one()
        assert (switch.sys_name, switch.vendor, switch.device_type, switch.mac) == (
            "sw-a3-01", "Cisco", "switch", "70:10:5c:aa:01:00")
        agent = session.execute(select(Agent).where(Agent.protocol == "fusioninventory")).scalar_one()
    assert agent.foreign_device_id == "scanner-01-2026-12-01-09-00-00"


def test_progress_messages_of_network_tasks_store_nothing(client, database, make_site):
    site = make_site()
    start = (b"<REQUEST><CONTENT><AGENT><START>1</START><AGENTVERSION>2.6</AGENTVERSION></AGENT>"
             b"<MODULEVERSION>4.2</MODULEVERSION><PROCESSNUMBER>9</PROCESSNUMBER></CONTENT>"
             b"<DEVICEID>scanner</DEVICEID><QUERY>NETDISCOVERY</QUERY></REQUEST>")
    assert reply(post(client, f"/ocsinventory/{site.secret}", start, headers=FUSION_UA)).endswith("<REPLY></REPLY>")
    assert _scalar(database, select(func.count()).select_from(Device)) == 0
    assert _scalar(database, select(func.count()).select_from(Agent)) == 0


def test_only_post_is_served(client):
    assert client.get("/ocsinventory").status_code == 405


def test_an_unreachable_database_is_503_with_retry_after(config, db_url, tmp_path):
    from dataclasses import replace

    from collector.app import create_app

    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"  # nothing listens on port 1
    app = create_app(replace(config, database_url=url))
    try:
        response = post(app.test_client(), "/ocsinventory/stkf_any", prolog())
        assert response.status_code == 503, response.get_data(as_text=True)
        assert int(response.headers["Retry-After"]) > 0
    finally:
        app.extensions["stocktake"]["db"].dispose()


def test_standalone_network_tools_device_foo_is_one_scanner_per_site(client, database, make_site):
    """fusioninventory-netdiscovery run by hand sends DEVICEID "foo": each site gets its own."""
    xml = (FIXTURES / "fusion_netinventory_switch.xml").read_bytes().replace(
        b"<DEVICEID>scanner-01-2026-12-01-09-00-00</DEVICEID>", b"<DEVICEID>foo</DEVICEID>")
    paris, lyon = make_site("paris"), make_site("lyon")
    for site in (paris, lyon):
        reply(post(client, f"/ocsinventory/{site.secret}", xml, headers=FUSION_UA))
    with database.session() as session:
        devices = session.execute(select(Agent.foreign_device_id).where(Agent.protocol == "fusioninventory")
                                  .order_by(Agent.foreign_device_id)).scalars().all()
    assert devices == ["foo@lyon", "foo@paris"]


def test_ocs_reports_are_shed_like_native_ones_when_the_server_is_behind(client, config, database, make_site):
    from collector import admission

    site = make_site()
    admission.note_queue_wait(config.shed_queue_wait_ms / 1000 + 1)  # what gunicorn's hook notes for a late request
    response = post(client, f"/ocsinventory/{site.secret}", WINDOWS)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert _scalar(database, select(func.count()).select_from(Agent)) == 0
    assert "SEND" in reply(post(client, f"/ocsinventory/{site.secret}", prolog()))  # the next one, on time, is served


def test_a_glpi_agent_in_xml_mode_is_keyed_by_its_agent_id_as_on_glpi(client, database, make_site):
    site = make_site()
    headers = {"User-Agent": "GLPI-Agent_v1.11", "GLPI-Agent-ID": "3a9f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"}
    assert "NO_ACCOUNT_UPDATE" in reply(post(client, f"/ocsinventory/{site.secret}", WINDOWS, headers=headers))
    with database.session() as session:
        row = session.execute(select(Agent.protocol, Agent.foreign_device_id, Agent.agent_version)).one()
    assert tuple(row) == ("glpi", "3a9f2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", "glpi-agent 1.11")


def test_an_inventory_reads_its_device_row_once_for_every_step(client, database, make_site, agents_reads):
    """The wire check, the first-report check, registration and the last content hash share one
    read of the device's agents row (each used to check out a connection and read it again)."""
    site = make_site()
    path = f"/ocsinventory/{site.secret}"
    reply(post(client, path, WINDOWS))  # first: unknown device, registered
    first = [read for read in agents_reads if "agents.foreign_device_id" in read]
    agents_reads.clear()
    reply(post(client, path, WINDOWS.replace(b"<VERSION>133.0</VERSION>", b"<VERSION>134.0</VERSION>")))  # changed
    changed = [read for read in agents_reads if "agents.foreign_device_id" in read]
    assert (len(first), len(changed)) == (1, 1), (first, changed)
    assert not any(read.startswith("SELECT agents.last_content_hash FROM agents") for read in agents_reads)
    assert _scalar(database, select(func.count()).select_from(ReportReceipt).where(ReportReceipt.outcome == "stored")) == 2
