"""POST /glpi: a GLPI agent's CONTACT and INVENTORY, compression, authentication, stored results."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from sqlalchemy import func, select

from collector.models import Agent, Asset, Observation
from tests.collector.interop.conftest import basic
from tests.collector.interop.glpi_cases import AGENT_UUID, USER_AGENT, fixture

_TYPES = {"zlib": "application/x-compress-zlib", "gzip": "application/x-compress-gzip", "json": "application/json"}


def encode(message, compression: str = "zlib") -> bytes:
    data = message if isinstance(message, bytes) else json.dumps(message).encode()
    return zlib.compress(data) if compression == "zlib" else gzip.compress(data) if compression == "gzip" else data


def post(client, message, secret=None, compression="zlib", agent_uuid=AGENT_UUID, headers=None, path=None):
    sent = {"User-Agent": USER_AGENT, **({"GLPI-Agent-ID": agent_uuid} if agent_uuid else {}), **(headers or {})}
    url = path or (f"/glpi/{secret}" if secret else "/glpi")
    return client.post(url, data=encode(message, compression), headers=sent, content_type=_TYPES[compression])


def answer(response) -> dict:
    """The answer decoded the way the agent decodes it: by Content-Type."""
    kind = response.headers["Content-Type"]
    data = response.get_data()
    if kind == _TYPES["zlib"]:
        data = zlib.decompress(data)
    elif kind == _TYPES["gzip"]:
        data = gzip.decompress(data)
    else:
        assert kind.startswith("application/json"), kind
    return json.loads(data)


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def contact(tasks=("inventory", "deploy", "netdiscovery")) -> dict:
    return {"action": "contact", "deviceid": "build-07-2026-03-01-22-00-05", "name": "GLPI-Agent", "version": "1.11",
            "installed-tasks": list(tasks), "enabled-tasks": list(tasks), "httpd-port": 62354}


@pytest.fixture
def site(make_site):
    return make_site("lab")


@pytest.mark.parametrize("compression", ["zlib", "gzip", "json"])
def test_contact_is_answered_like_glpi_in_the_agents_compression(client, database, site, compression):
    response = post(client, contact(), site.secret, compression)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == _TYPES[compression]
    assert answer(response) == {"status": "ok", "expiration": 1, "tasks": {"inventory": {"server": "glpi"}},
                                "message": "deploy task not supported;netdiscovery task not supported",
                                "disabled": ["deploy", "netdiscovery"]}
    with database.session() as session:
        agent = session.scalars(select(Agent).where(Agent.foreign_device_id == AGENT_UUID)).one()
    assert (agent.protocol, agent.site_id, agent.agent_version) == ("glpi", site.site_id, "glpi-agent 1.11")


@pytest.mark.parametrize("name", ["glpi_linux.json", "glpi_windows.json", "glpi_macos.json"])
def test_inventory_is_stored_then_recognised_as_unchanged(client, database, site, name):
    before = count(database, Observation)
    first = post(client, fixture(name), site.secret)
    assert first.status_code == 200, answer(first)
    assert answer(first) == {"status": "ok", "expiration": 1}
    assert count(database, Observation) == before + 1
    hostname = fixture(name)["content"]["hardware"]["name"]
    with database.session() as session:
        asset = session.scalars(select(Asset).where(Asset.hostname == hostname)).one()
        agent = session.get(Agent, asset.agent_id)
        assert (agent.protocol, agent.foreign_device_id, agent.hostname) == ("glpi", AGENT_UUID, hostname)
    second = post(client, fixture(name), site.secret, compression="gzip")
    assert second.status_code == 200 and answer(second)["status"] == "ok"
    assert count(database, Observation) == before + 1  # unchanged: no new observation
    assert count(database, Asset) == 1


def test_stored_linux_inventory_matches_the_fixture(client, database, site):
    from collector.models import Software

    assert post(client, fixture("glpi_linux.json"), site.secret).status_code == 200
    with database.session() as session:
        asset = session.scalars(select(Asset)).one()
        assert asset.serial == "S412345X3C09876"
        assert asset.smbios_uuid.lower() == "d1c5e7a2-3b4f-4c6d-8e9f-0a1b2c3d4e5f"
        names = set(session.scalars(select(Software.name)))
    assert {"openssh-server", "postgresql-15", "docker-ce", "code", "org.gimp.GIMP"} <= names


def test_a_changed_inventory_is_stored_again(client, database, site):
    assert post(client, fixture("glpi_linux.json"), site.secret).status_code == 200
    changed = fixture("glpi_linux.json")
    changed["content"]["softwares"].append({"name": "htop", "version": "3.2.2-2", "from": "deb"})
    before = count(database, Observation)
    assert post(client, changed, site.secret).status_code == 200
    assert count(database, Observation) == before + 1


def test_basic_authentication_works_like_the_path_secret(client, database, site):
    response = post(client, fixture("glpi_macos.json"), headers=basic(site.secret, user="glpi"))
    assert response.status_code == 200
    assert count(database, Asset) == 1


@pytest.mark.parametrize("how", ["none", "wrong_path", "wrong_basic"])
def test_without_the_right_secret_nothing_is_stored(client, database, site, how):
    secret, headers = {"none": (None, {}), "wrong_path": (site.secret + "x", {}),
                       "wrong_basic": (None, basic("stkf_wrong"))}[how]
    response = post(client, fixture("glpi_linux.json"), secret, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Stocktake"'
    assert answer(response)["status"] == "error"
    assert count(database, Agent) == count(database, Observation) == 0


def test_a_device_bound_to_one_site_is_refused_under_another(client, database, make_site):
    paris, lyon = make_site("paris"), make_site("lyon")
    assert post(client, fixture("glpi_linux.json"), paris.secret).status_code == 200
    before = count(database, Observation)
    response = post(client, fixture("glpi_linux.json"), lyon.secret)
    assert response.status_code == 403 and answer(response)["status"] == "error"
    assert count(database, Observation) == before


def test_the_agent_id_header_is_required_and_must_be_a_uuid(client, database, site):
    missing = post(client, fixture("glpi_linux.json"), site.secret, agent_uuid=None)
    assert missing.status_code == 400
    assert answer(missing)["fields"] == [{"field": "GLPI-Agent-ID", "message": "missing"}]
    bad = post(client, fixture("glpi_linux.json"), site.secret, agent_uuid="not-a-uuid")
    assert bad.status_code == 422 and answer(bad)["fields"][0]["field"] == "GLPI-Agent-ID"
    assert count(database, Observation) == 0


def test_a_wrong_type_is_a_422_naming_the_field_in_the_agents_compression(client, database, site):
    document = fixture("glpi_windows.json")
    document["content"]["softwares"][3]["name"] = ["Sage"]
    response = post(client, document, site.secret, compression="gzip")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == _TYPES["gzip"]
    reply = answer(response)
    assert reply["status"] == "error" and reply["message"] == "GLPI inventory failed validation"
    assert [field["field"] for field in reply["fields"]] == ["content.softwares.3.name"]
    assert count(database, Observation) == count(database, Agent) == 0


def test_switch_inventory_is_stored_as_a_discovered_device(client, database, site):
    from collector.models import Device

    response = post(client, fixture("glpi_network_switch.json"), site.secret)
    assert response.status_code == 200, answer(response)
    with database.session() as session:
        device = session.scalars(select(Device).where(Device.serial == "FOC2104X1AB")).one()
        assert (device.sys_name, device.ip, device.device_type) == ("sw-core-02", "198.18.1.2", "switch")


def test_a_network_message_without_its_device_is_refused(client, database, site):
    document = fixture("glpi_network_switch.json")
    del document["content"]["network_device"]
    response = post(client, document, site.secret)
    assert response.status_code == 422
    assert answer(response)["fields"][0]["field"] == "content.network_device"
    assert count(database, Agent) == 0


def _partial(*sections: str) -> dict:
    message = fixture("glpi_linux.json")
    message["partial"] = True
    message["content"] = {key: message["content"][key] for key in ("versionclient", "hardware", "bios", *sections)}
    return message


def test_a_partial_inventory_that_changes_nothing_is_unchanged(client, database, site):
    assert post(client, fixture("glpi_linux.json"), site.secret).status_code == 200
    before = count(database, Observation)
    response = post(client, _partial(), site.secret)  # nothing changed: hardware and bios only
    assert response.status_code == 200 and answer(response)["status"] == "ok"
    assert count(database, Observation) == before
    with database.session() as session:
        asset = session.scalars(select(Asset)).one()
        assert (asset.software_count, asset.fqdn, asset.os_name) == (5, "build-07.lab.example.test", "Debian GNU/Linux")


def test_a_partial_inventory_replaces_only_the_sections_it_carries(client, database, site):
    from collector.models import AssetNic, Software

    assert post(client, fixture("glpi_linux.json"), site.secret).status_code == 200
    partial = _partial("softwares")
    partial["content"]["softwares"] = partial["content"]["softwares"][:2] + [{"name": "htop", "version": "3.2.2", "from": "deb"}]
    assert post(client, partial, site.secret).status_code == 200
    with database.session() as session:
        asset = session.scalars(select(Asset)).one()
        assert asset.software_count == 3
        assert "htop" in set(session.scalars(select(Software.name)))
        # sections it did not carry are kept: NICs, CPU, OS
        assert len(session.scalars(select(AssetNic).where(AssetNic.asset_id == asset.id)).all()) == 3
        assert (asset.cpu_cores, asset.os_name, asset.fqdn) == (8, "Debian GNU/Linux", "build-07.lab.example.test")


def test_a_partial_inventory_before_any_full_one_is_acknowledged_only(client, database, site):
    response = post(client, _partial("softwares"), site.secret)
    assert response.status_code == 200 and answer(response)["status"] == "ok"
    assert count(database, Observation) == count(database, Asset) == 0


def test_unsupported_actions_are_refused(client, database, site):
    response = post(client, {"action": "deploy", "deviceid": "x"}, site.secret)
    assert response.status_code == 422
    assert answer(response)["fields"][0]["field"] == "action"


def test_the_first_prolog_of_a_glpi_agent_is_answered_with_a_json_contact(client, database, site):
    prolog = b"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REQUEST><DEVICEID>build-07-2026-03-01-22-00-05</DEVICEID>" \
             b"<QUERY>PROLOG</QUERY><TOKEN>12345678</TOKEN></REQUEST>"
    response = client.post(f"/glpi/{site.secret}", data=zlib.compress(prolog), content_type="application/x-compress",
                           headers={"GLPI-Agent-ID": AGENT_UUID, "User-Agent": USER_AGENT})
    assert response.status_code == 200
    # The agent recognises a GLPI server by a JSON CONTACT answer to its PROLOG (status, expiration > 0).
    assert zlib.decompress(response.get_data()) == b'{"status":"ok","expiration":1}'


def test_a_prolog_without_agent_id_gets_the_ocs_answer(client, database, site):
    prolog = b"<REQUEST><DEVICEID>old-agent-2026-03-01</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>"
    response = client.post(f"/glpi/{site.secret}", data=zlib.compress(prolog), content_type="application/x-compress")
    assert response.status_code == 200
    assert b"<RESPONSE>SEND</RESPONSE>" in zlib.decompress(response.get_data())


def test_an_xml_mode_inventory_is_stored_as_the_same_glpi_device(client, database, site):
    from tests.collector.interop.glpi_cases import FIXTURES

    xml = (FIXTURES / "ocs_windows.xml").read_bytes()
    response = client.post(f"/glpi/{site.secret}", data=zlib.compress(xml), content_type="application/x-compress-zlib",
                           headers={"GLPI-Agent-ID": AGENT_UUID, "User-Agent": USER_AGENT})
    assert response.status_code == 200, response.get_data()
    assert b"NO_ACCOUNT_UPDATE" in zlib.decompress(response.get_data())
    # then the same agent in JSON: one agent row, keyed by its GLPI-Agent-ID
    assert post(client, contact(), site.secret).status_code == 200
    with database.session() as session:
        agents = session.scalars(select(Agent)).all()
    assert [(agent.protocol, agent.foreign_device_id) for agent in agents] == [("glpi", AGENT_UUID)]
    assert count(database, Asset) == 1


def test_the_routes_serve_post_only(client):
    response = client.get("/glpi")
    assert response.status_code == 405
    assert answer(response)["status"] == "error"


def test_an_unreachable_database_is_a_503_with_retry_after_in_the_agents_format(config, db_url, tmp_path):
    import dataclasses

    from collector.app import create_app

    url = f"sqlite:///{tmp_path}" if db_url.startswith("sqlite") else \
        "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"  # nothing listens on port 1
    application = create_app(dataclasses.replace(config, database_url=url))
    try:
        response = post(application.test_client(), fixture("glpi_linux.json"), "stkf_" + "x" * 43)
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert answer(response) == {"status": "error", "message": "database temporarily unavailable; retry later"}
    finally:
        application.extensions["stocktake"]["db"].dispose()


@pytest.mark.parametrize("name", ["glpi_windows.json", "glpi_macos.json", "glpi_linux.json"])
def test_the_stored_asset_holds_the_converted_report_field_by_field(client, database, site, name):
    from datetime import datetime, timezone

    from collector.interop.glpi_json import glpi_inventory_report, parse_glpi_message
    from collector.models import AssetDisk, AssetNic

    expected = glpi_inventory_report(parse_glpi_message(fixture(name)), "x", "glpi-agent 1.11",
                                     datetime.now(timezone.utc))
    assert post(client, fixture(name), site.secret).status_code == 200
    host, system, cpu = expected["host"], expected["os"], expected["cpu"]
    with database.session() as session:
        asset = session.scalars(select(Asset)).one()
        stored_host = {key: getattr(asset, key) for key in host}
        if stored_host.get("smbios_uuid"):  # stored normalised (common/identity.py)
            stored_host["smbios_uuid"] = stored_host["smbios_uuid"].upper()
            host["smbios_uuid"] = host["smbios_uuid"].upper()
        assert stored_host == host
        assert (asset.os_name, asset.os_version, asset.kernel, asset.arch) == (
            system["name"], system["version"], system["kernel"], system["arch"])
        assert (asset.cpu_model, asset.cpu_sockets, asset.cpu_cores, asset.cpu_threads) == (
            cpu["model"], cpu["sockets"], cpu["cores"], cpu["threads"])
        assert asset.memory_bytes == expected["memory"]["total_bytes"]
        assert asset.software_count == len(expected["software"])
        nics = session.scalars(select(AssetNic).where(AssetNic.asset_id == asset.id)).all()
        assert sorted((nic.name, nic.mac, nic.ipv4) for nic in nics) == sorted(
            (nic["name"], nic.get("mac"), nic.get("ipv4", [])) for nic in expected["nics"])
        disks = session.scalars(select(AssetDisk).where(AssetDisk.asset_id == asset.id)).all()
        assert sorted((disk.name, disk.serial, disk.size_bytes) for disk in disks) == sorted(
            (disk["name"], disk.get("serial"), disk["size_bytes"]) for disk in expected["disks"])
        agent = session.get(Agent, asset.agent_id)
        assert (agent.protocol, agent.agent_version) == ("glpi", "glpi-agent 1.11")


def test_glpi_reports_are_shed_like_native_ones_when_the_server_is_behind(client, config, database, site):
    from collector import admission

    admission.note_queue_wait(config.shed_queue_wait_ms / 1000 + 1)  # what gunicorn's hook notes for a late request
    response = post(client, fixture("glpi_linux.json"), site.secret)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert count(database, Agent) == 0 and count(database, Asset) == 0
    assert answer(post(client, contact(), site.secret))["status"] == "ok"  # the next one, on time, is served


def test_an_inventory_reads_its_device_row_once_for_every_step(client, database, site, agents_reads):
    """As on /ocsinventory: one read of the device's agents row per inventory, first or changed."""
    assert post(client, fixture("glpi_linux.json"), site.secret).status_code == 200
    first = [read for read in agents_reads if "agents.foreign_device_id" in read]
    agents_reads.clear()
    changed = fixture("glpi_linux.json")
    changed["content"]["softwares"].append({"name": "htop", "version": "3.2.2-2", "from": "deb"})
    assert post(client, changed, site.secret).status_code == 200
    again = [read for read in agents_reads if "agents.foreign_device_id" in read]
    assert (len(first), len(again)) == (1, 1), (first, again)
    assert not any(read.startswith("SELECT agents.last_content_hash FROM agents") for read in agents_reads)
    assert count(database, Observation) == 2
