"""Hostile input on /ocsinventory: 4xx or inert storage, never 5xx, nothing partial stored.

XML attacks (billion laughs, external entities, DOCTYPE, 10,000-deep nesting, element floods),
a zlib bomb inflating to 200 MB (generated streamed, a few hundred KB on the wire), and every
field of a real-shaped inventory given a nested element, SQL or a script in turn.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, text

from collector.models import Agent, Asset, AssetSoftware, Base

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
WINDOWS = (FIXTURES / "ocs_windows.xml").read_text()
UA = {"User-Agent": "OCS-NG_windows_client_v2.10.1.0", "Content-Type": "application/x-compress"}
SQL = "'; DROP TABLE assets; --"
SCRIPT = "<script>alert(1)</script>"

BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
                  + ']><REQUEST><DEVICEID>&lol9;</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>')
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   "<REQUEST><DEVICEID>&xxe;</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>")
EXTERNAL_DTD = ('<?xml version="1.0"?><!DOCTYPE REQUEST SYSTEM "http://127.0.0.1:9/ocs.dtd">'
                "<REQUEST><DEVICEID>d</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>")
PARAMETER_ENTITY = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
                    "<REQUEST><DEVICEID>d</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>")
DEEP = "<REQUEST>" + "<CONTENT>" * 10_000 + "</CONTENT>" * 10_000 + "<DEVICEID>d</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>"
FLOOD = "<REQUEST><CONTENT>" + "<S/>" * 300_000 + "</CONTENT><DEVICEID>d</DEVICEID><QUERY>INVENTORY</QUERY></REQUEST>"


def _row_counts(database) -> dict[str, int]:
    """Rows in every table, in one round trip (the battery asks ~500 times)."""
    tables = Base.metadata.sorted_tables
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in tables]
    with database.session() as session:
        return dict(zip((table.name for table in tables), session.execute(select(*counts)).one()))


def _post(client, path: str, xml: str):
    return client.post(path, data=zlib.compress(xml.encode()), headers=UA)


@pytest.mark.parametrize("document, status", [
    (BILLION_LAUGHS, 400), (EXTERNAL_ENTITY, 400), (EXTERNAL_DTD, 400), (PARAMETER_ENTITY, 400),
    (DEEP, 400), (FLOOD, 400), ("<REQUEST><DEVICEID>d</DEVICEID>", 400), ("\x00" * 10, 400),
])
def test_xml_attacks_are_refused_and_store_nothing(client, database, make_site, document, status):
    site = make_site()
    before = _row_counts(database)
    response = _post(client, f"/ocsinventory/{site.secret}", document)
    assert response.status_code == status, response.get_data(as_text=True)
    assert "root:" not in response.get_data(as_text=True)
    assert _row_counts(database) == before


def _zlib_bomb(inflated_mb: int) -> bytes:
    """zeros deflated chunk by chunk: never more than 1 MB of plain text in memory."""
    packer, chunk = zlib.compressobj(9), bytes(1024 * 1024)
    parts = [packer.compress(b"<REQUEST><DEVICEID>")] + [packer.compress(chunk) for _ in range(inflated_mb)]
    return b"".join(parts) + packer.flush()


def test_a_200_mb_zlib_bomb_is_413_and_the_live_server_keeps_serving(live_server, database, make_site):
    site = make_site()
    bomb = _zlib_bomb(200)
    assert len(bomb) < 1024 * 1024  # small on the wire; the inflated cap (16 MiB) stops it
    url = f"{live_server.url}/ocsinventory/{site.secret}"
    for body in (bomb, zlib.compress(DEEP.encode()), zlib.compress(BILLION_LAUGHS.encode())):
        response = requests.post(url, data=body, headers=UA, timeout=60)
        assert response.status_code in (400, 413), response.text
    assert requests.post(url, data=bomb, headers=UA, timeout=60).status_code == 413
    good = b"<REQUEST><DEVICEID>after-the-bomb</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>"
    answer = requests.post(url, data=zlib.compress(good), headers=UA, timeout=60)
    assert answer.status_code == 200 and b"SEND" in zlib.decompress(answer.content)
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(Agent)).scalar() == 1


def test_a_body_over_the_wire_cap_is_413(config, database, make_site):
    from collector.app import create_app

    app = create_app(replace(config, max_wire_bytes=64 * 1024))
    try:
        site = make_site()
        response = app.test_client().post(f"/ocsinventory/{site.secret}", data=b"<" + bytes(200 * 1024), headers=UA)
        assert response.status_code == 413
    finally:
        app.extensions["stocktake"]["db"].dispose()


def _leaves(document: str) -> list[tuple[int, int, str]]:
    """Every element holding only text in CONTENT (the fields), as regex matches on the text."""
    body = document[document.index("<CONTENT>"):document.index("</CONTENT>")]
    offset = document.index("<CONTENT>")
    return [(offset + m.start(2), offset + m.end(2), m.group(1)) for m in re.finditer(r"<(\w+)>([^<]*)</\1>", body)]


def _with_value(document: str, leaf, value: str) -> str:
    start, end, _ = leaf
    return document[:start] + value + document[end:]


def _field_names(response) -> list[str]:
    return [field["field"] for field in response.get_json().get("fields", [])]


BATTERY = [
    ("ocs_windows.xml", "OCS-NG_windows_client_v2.10.1.0",
     {"NAME", "MEMORY", "SSN", "CORES", "DISKSIZE", "MACADDR", "CAPACITY", "VERSION"}),
    ("fusion_linux.xml", "FusionInventory-Agent_v2.6",
     {"NAME", "FQDN", "KERNEL_VERSION", "CORE", "THREAD", "MEMORY", "DISKSIZE", "IPADDRESS6", "VIRTUALDEV"}),
    ("fusion_netinventory_switch.xml", "FusionInventory-Agent_v2.6",
     {"NAME", "SERIAL", "IFNUMBER", "IFSPEED", "SYSNAME", "SYSMAC", "MAC", "CDP"}),
]


@pytest.mark.parametrize("fixture, user_agent, read_fields", BATTERY)
def test_every_field_given_a_nested_element_sql_or_a_script_is_refused_by_name_or_stored_inertly(
        client, database, make_site, fixture, user_agent, read_fields):
    document = (FIXTURES / fixture).read_text()
    site = make_site()
    path, headers = f"/ocsinventory/{site.secret}", {**UA, "User-Agent": user_agent}
    assert client.post(path, data=zlib.compress(document.encode()), headers=headers).status_code == 200
    leaves = _leaves(document)
    assert len(leaves) >= 40
    refused_by_name, stored = set(), 0
    # SQL and a script in one value: both kinds of payload reach every field, half the requests.
    hostile_text = (SQL + SCRIPT).replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;").replace(">", "&gt;")
    for leaf in leaves:
        for value in ("<NESTED>1</NESTED>", hostile_text):
            before = _row_counts(database)
            body = zlib.compress(_with_value(document, leaf, value).encode())
            response = client.post(path, data=body, headers=headers)
            assert response.status_code < 500, (leaf[2], value, response.get_data(as_text=True))
            if response.status_code >= 400:
                assert _row_counts(database) == before, (leaf[2], value)
                names = _field_names(response)
                assert names and all("." in name for name in names), names
                refused_by_name.add(leaf[2])
            else:
                stored += 1
    # The fields the converter reads refuse a nested element, naming it; free text stores inertly.
    assert read_fields <= refused_by_name, read_fields - refused_by_name
    assert stored > len(leaves) // 2  # SQL and scripts in text fields are data, not errors
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(Agent)).scalar() == 1
        session.execute(text("SELECT count(*) FROM assets"))  # the table is still there


def test_sql_and_script_values_are_stored_as_the_literal_text(client, database, make_site):
    site = make_site()
    hostile = (WINDOWS.replace("<NAME>FIN-LT-0421</NAME>", "<NAME>FIN&apos;; DROP TABLE assets; --</NAME>")
               .replace("<NAME>7-Zip 24.08 (x64)</NAME>", "<NAME>&lt;script&gt;alert(1)&lt;/script&gt;</NAME>")
               .replace("<SSN>PF3XK2QZ</SSN>", "<SSN>' OR '1'='1</SSN>"))
    response = _post(client, f"/ocsinventory/{site.secret}", hostile)
    assert response.status_code == 200, response.get_data(as_text=True)
    with database.session() as session:
        asset = session.execute(select(Asset)).scalar_one()
        assert (asset.hostname, asset.serial) == ("FIN'; DROP TABLE assets; --", "' OR '1'='1")
        assert session.execute(select(func.count()).select_from(AssetSoftware)).scalar() == 4
        names = session.execute(text("SELECT s.name FROM software s JOIN asset_software a ON a.software_id = s.id"))
        assert SCRIPT in {row[0] for row in names}


def test_a_refused_first_report_leaves_no_agent_behind(client, database, make_site):
    """Conversion passes but the wire contract refuses (an IP address with SQL): 422, and the
    new device is not registered, since the report is validated before the agent is created."""
    site = make_site()
    before = _row_counts(database)
    bad_ip = WINDOWS.replace("<IPADDRESS>198.18.10.23</IPADDRESS>", "<IPADDRESS>1; DROP TABLE agents</IPADDRESS>")
    response = _post(client, f"/ocsinventory/{site.secret}", bad_ip)
    assert response.status_code == 422
    assert any(name.startswith("nics.") for name in _field_names(response))
    assert _row_counts(database) == before
