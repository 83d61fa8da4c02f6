"""Hostile input on POST /glpi: always a 4xx naming the problem or inert storage, never a 5xx,
nothing half-stored, and the collector keeps serving."""

from __future__ import annotations

import copy
import gzip
import io
import json
import zlib
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from collector.models import Agent, Asset, Device, Observation, Software
from tests.collector.interop.glpi_cases import (AGENT_UUID, USER_AGENT, fixture, full_message, set_path,
                                                string_paths, wrong_type_cases)
from tests.collector.interop.test_glpi_endpoint import answer, post

_TABLES = (Agent, Asset, Observation, Software, Device)
SQL = "x'); DROP TABLE assets; --"
SCRIPT = "<script>window.__xss=1</script>"


def _counts(database) -> tuple[int, ...]:
    with database.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) for table in _TABLES)


@pytest.fixture
def site(make_site):
    return make_site("hostile")


def _bomb(compression: str, inflated: int = 200 * 1024 * 1024) -> bytes:
    """A body inflating to ``inflated`` bytes, built in 1 MiB steps (about 200 KB on the wire)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if compression == "gzip" else zlib.MAX_WBITS)
    chunk, parts = b" " * (1024 * 1024), [packer.compress(b'{"deviceid": "')]
    for _ in range(inflated // len(chunk)):
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    return b"".join(parts)


@pytest.mark.parametrize("compression", ["zlib", "gzip"])
def test_a_200_mb_bomb_stops_at_the_inflation_cap(client, database, site, compression):
    bomb = _bomb(compression)
    assert len(bomb) < 1024 * 1024
    response = client.post(f"/glpi/{site.secret}", data=bomb, headers={"GLPI-Agent-ID": AGENT_UUID},
                           content_type=f"application/x-compress-{compression}")
    assert response.status_code == 413
    assert answer(response)["message"] == "decompressed body exceeds 16777216 bytes"
    assert _counts(database) == (0, 0, 0, 0, 0)


def test_10000_deep_nesting_is_a_400(client, database, site):
    deep = b'{"deviceid": "x", "action": "inventory", "content": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = post(client, deep, site.secret)
    assert response.status_code == 400
    assert "malformed JSON" in answer(response)["message"]
    assert _counts(database) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("body, status, words", [
    (b"", 400, "empty request body"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b'{"deviceid": "\xff\xfe"}', 400, "not valid UTF-8"),
    (b"\x78\x9c\x01\x02", 400, "zlib body is truncated"),
    (zlib.compress(b"{}") + b"trailing", 400, "unexpected bytes after the zlib stream"),
    (b"<!DOCTYPE r [<!ENTITY a 'x'>]><REQUEST><QUERY>&a;</QUERY></REQUEST>", 400, "XML refused"),
    (b"<REQUEST>" + b"<A>" * 100 + b"</A>" * 100 + b"</REQUEST>", 400, "nesting deeper"),
])
def test_malformed_bodies_are_refused(client, database, site, body, status, words):
    response = client.post(f"/glpi/{site.secret}", data=body, content_type="application/json",
                           headers={"GLPI-Agent-ID": AGENT_UUID})
    assert response.status_code == status
    assert words in answer(response)["message"]
    assert _counts(database) == (0, 0, 0, 0, 0)


def test_wire_caps_hold_with_and_without_a_content_length(config, database, make_site):
    from collector.app import create_app

    site = make_site()
    application = create_app(replace(config, max_wire_bytes=4096, max_body_bytes=8192))
    client = application.test_client()
    big = json.dumps({"deviceid": "x", "pad": "y" * 5000}).encode()
    declared = client.post(f"/glpi/{site.secret}", data=big, content_type="application/json",
                           headers={"GLPI-Agent-ID": AGENT_UUID})
    assert declared.status_code == 413 and answer(declared)["status"] == "error"
    chunked = client.post(f"/glpi/{site.secret}", input_stream=io.BytesIO(big), content_type="application/json",
                          headers={"GLPI-Agent-ID": AGENT_UUID, "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})  # no Content-Length
    assert chunked.status_code == 413
    assert _counts(database) == (0, 0, 0, 0, 0)
    application.extensions["stocktake"]["db"].dispose()


def test_a_wrong_type_in_any_field_is_a_422_naming_it_and_stores_nothing(client, database, site):
    cases = list(wrong_type_cases())
    assert len(cases) > 150
    for path, message in cases:
        response = post(client, message, site.secret, compression="json")
        assert response.status_code == 422, (path, response.status_code)
        names = [field["field"] for field in answer(response)["fields"]]
        assert any(name == path or name.startswith(path + ".") for name in names), (path, names)
    assert _counts(database) == (0, 0, 0, 0, 0)
    assert post(client, full_message(), site.secret).status_code == 200  # and it still serves


@pytest.mark.parametrize("payload", [SQL, SCRIPT])
def test_sql_and_script_in_every_string_field_are_refused_or_stored_inert(client, database, site, payload):
    base = fixture("glpi_linux.json")
    paths = string_paths(base)
    assert len(paths) > 100
    accepted = 0
    for path in paths:
        message = copy.deepcopy(base)
        set_path(message, path, payload)
        response = post(client, message, site.secret, compression="json")
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code == 200:
            accepted += 1
        else:  # e.g. a MAC, an address or a date: a 422 naming that field
            assert response.status_code == 422, (path, response.status_code)
            names = [field["field"] for field in answer(response)["fields"]]
            assert ".".join(map(str, path)) in names, (path, names)
    assert accepted > 80
    with database.session() as session:  # stored as text, as sent
        assert session.scalar(select(func.count()).select_from(Software).where(Software.name == payload)) >= 1
        assert session.scalar(select(func.count()).select_from(Asset)) == 1  # the tables are all there
    assert _counts(database)[0] == 1


def test_hostile_header_and_device_values_are_refused(client, database, site):
    for agent_uuid in (SQL, SCRIPT, "0" * 10_000):
        response = post(client, fixture("glpi_linux.json"), site.secret, agent_uuid=agent_uuid)
        assert response.status_code == 422
    document = fixture("glpi_linux.json")
    document["content"]["hardware"]["name"] = "build\x00-07"
    assert post(client, document, site.secret).status_code == 422
    document["content"]["hardware"]["name"] = "b" * 10_000
    assert post(client, document, site.secret).status_code == 422
    assert _counts(database) == (0, 0, 0, 0, 0)


def test_hostile_xml_is_refused_before_anything_is_stored(client, database, site):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              b"<REQUEST><QUERY>&lol2;</QUERY></REQUEST>")
    external = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><REQUEST>&x;</REQUEST>'
    for body in (laughs, external, gzip.compress(laughs)):
        response = client.post(f"/glpi/{site.secret}", data=body, content_type="application/xml",
                               headers={"GLPI-Agent-ID": AGENT_UUID, "User-Agent": USER_AGENT})
        assert response.status_code == 400
        assert "XML refused" in answer(response)["message"]
    assert _counts(database) == (0, 0, 0, 0, 0)


def test_a_first_report_refused_after_conversion_leaves_no_agent_behind(client, database, site):
    document = fixture("glpi_linux.json")
    # 300 addresses on one interface: each entry is valid GLPI, the merged NIC exceeds Stocktake's 256.
    document["content"]["networks"] = [{"description": "eno1", "mac": "3c:ec:ef:10:20:31",
                                        "ipaddress": f"198.18.{n // 250}.{n % 250 + 1}"} for n in range(300)]
    response = post(client, document, site.secret)
    assert response.status_code == 422
    assert answer(response)["fields"][0]["field"] == "nics.0.ipv4"
    assert _counts(database) == (0, 0, 0, 0, 0)
