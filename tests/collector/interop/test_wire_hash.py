"""The wire hash (collector/interop/wire_hash.py): an unchanged foreign inventory recognised from its
bytes, and only ever one that converts to the report stored last.

Equal hashes must mean equal converted reports: every leaf value of a recorded payload is changed
in turn, and a change the hash does not see must be one the converter does not see either, and
be one of the volatile values found by diffing two runs of the Debian agents. Bodies that could
parse differently (markup, entities, CDATA, comments, control characters, bad UTF-8 in a blanked
value) never share a hash with the body they imitate, and through the endpoints they take the
full path and are refused.
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from collector.interop.glpi_json import glpi_inventory_report, parse_glpi_message
from collector.interop.ocs_xml import inventory_report, read_request
from collector.interop.safe_xml import parse_xml
from collector.interop.wire_hash import glpi_wire_hash, ocs_inventory_key, ocs_wire_hash
from collector.models import Agent, ReportReceipt
from tests.collector.interop import test_ocs_real_agents as real_agents
from tests.collector.interop.glpi_cases import nodes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
MAX_ELEMENTS = 250_000
# The Windows agent's recorded inventory, with the sections FusionInventory adds (as
# fusioninventory-agent 2.6 writes them; values made up) to cover every blanking rule.
FUSION_SECTIONS = b"""
    <ACCESSLOG><LOGDATE>2026-03-01 10:00:01</LOGDATE></ACCESSLOG>
    <ENVS><KEY>LANG</KEY><VAL>C.UTF-8</VAL></ENVS>
    <ENVS><KEY>PATH</KEY><VAL>/usr/bin:/bin</VAL></ENVS>
    <OPERATINGSYSTEM><BOOT_TIME>2026-03-01 08:00:00</BOOT_TIME></OPERATINGSYSTEM>
    <PROCESSES><CMD>/usr/sbin/cron -f &amp; echo &lt;x&gt;</CMD><CPUUSAGE>0.0</CPUUSAGE><PID>612</PID></PROCESSES>
    <PROCESSES><CMD>[kworker/0:2-events]</CMD><CPUUSAGE>1.5</CPUUSAGE><PID>7001</PID></PROCESSES>
  </CONTENT>"""
# Without the fixture's leading comment: agents send none (and a body with one never gets a hash).
OCS_BODY = re.sub(rb"<!--.*?-->\n", b"", (FIXTURES / "ocs_windows.xml").read_bytes(), count=1, flags=re.S).replace(
    b"</CONTENT>", FUSION_SECTIONS, 1).replace(b"</HARDWARE>", b"  <ETIME>2</ETIME>\n    </HARDWARE>", 1)
CONTEXT = "ocs|ocs|ocsinventory-agent 2.10.0|device"
# Tags whose values the hash ignores; DESCRIPTION only inside HARDWARE (elsewhere it is read).
OCS_BLANKED = {"FREE", "HARDWARE.CHECKSUM", "LOGDATE", "BOOT_TIME", "DATELASTLOGGEDUSER", "LASTLOGGEDUSER", "HARDWARE.DESCRIPTION",
               "HARDWARE.ETIME", "PROCESSES.CMD", "PROCESSES.CPUUSAGE", "PROCESSES.PID", "ENVS.KEY", "ENVS.VAL"}
_LEAF = re.compile(rb"<([A-Z_0-9]+)>([^<]*)</\1>")


def convert_ocs(body: bytes) -> dict:
    return inventory_report(read_request(parse_xml(body)), "agent", "ocsinventory-agent 2.10.0", NOW, report_id="r")


def _section(body: bytes, position: int) -> str:
    """The CONTENT section (HARDWARE, PROCESSES ...) a position lies in."""
    opened = body.rfind(b"\n    <", 0, position)
    return body[opened + 6:body.find(b">", opened)].decode()


def _ocs_mutations(body: bytes):
    for match in _LEAF.finditer(body):
        tag, text = match.group(1).decode(), match.group(2)
        changed = body[:match.start(2)] + (text + b"9" if text else b"7") + body[match.end(2):]
        section = _section(body, match.start())
        yield (tag if section == tag or tag in {"FREE", "LOGDATE", "BOOT_TIME", "DATELASTLOGGEDUSER", "LASTLOGGEDUSER"}
               else f"{section}.{tag}"), changed


def test_ocs_hash_ignores_exactly_the_values_the_converter_ignores():
    base_hash, base_report = ocs_wire_hash(OCS_BODY, CONTEXT, MAX_ELEMENTS), convert_ocs(OCS_BODY)
    assert base_hash is not None
    ignored, seen = set(), 0
    for name, changed in _ocs_mutations(OCS_BODY):
        seen += 1
        if ocs_wire_hash(changed, CONTEXT, MAX_ELEMENTS) == base_hash:
            ignored.add(name)
            assert convert_ocs(changed) == base_report, name  # equal hash => equal report
    assert seen > 150
    assert ignored == OCS_BLANKED


def test_ocs_hash_ignores_the_number_and_order_of_processes_and_environment_entries():
    base_hash = ocs_wire_hash(OCS_BODY, CONTEXT, MAX_ELEMENTS)
    fewer = re.sub(rb"\s*<PROCESSES><CMD>\[kworker.*?</PROCESSES>", b"", OCS_BODY)
    more = OCS_BODY.replace(b"<ENVS>", b"<ENVS><KEY>TZ</KEY><VAL>UTC</VAL></ENVS>\n    <ENVS>", 1)
    for body in (fewer, more):
        assert body != OCS_BODY
        assert ocs_wire_hash(body, CONTEXT, MAX_ELEMENTS) == base_hash
        assert convert_ocs(body) == convert_ocs(OCS_BODY)


def test_fusions_run_time_and_checksum_may_be_there_or_not_but_only_where_no_text_is_read():
    base_hash = ocs_wire_hash(OCS_BODY, CONTEXT, MAX_ELEMENTS)
    without = OCS_BODY.replace(b"\n      <ETIME>2</ETIME>", b"").replace(b"\n      <CHECKSUM>262143</CHECKSUM>", b"")
    assert without != OCS_BODY and ocs_wire_hash(without, CONTEXT, MAX_ELEMENTS) == base_hash
    assert convert_ocs(without) == convert_ocs(OCS_BODY)
    inside_text = without.replace(b"<NAME>FIN-LT-0421</NAME>", b"<NAME><ETIME>2</ETIME>FIN-LT-0421</NAME>", 1)
    assert inside_text != without and ocs_wire_hash(inside_text, CONTEXT, MAX_ELEMENTS) != base_hash


def test_the_request_context_is_part_of_the_hash():
    assert ocs_wire_hash(OCS_BODY, CONTEXT, MAX_ELEMENTS) != ocs_wire_hash(OCS_BODY, CONTEXT + "x", MAX_ELEMENTS)
    device_id, _ = ocs_inventory_key(OCS_BODY, "ocs", "v", None, MAX_ELEMENTS)
    assert device_id == "FIN-LT-0421-2024-03-20-10-15-42"
    assert ocs_inventory_key(OCS_BODY, "glpi", "v", "3b1f0c1e-5a39-4a0e-9a4b-6d1c2e3f4a5b", MAX_ELEMENTS)[0] == \
        "3b1f0c1e-5a39-4a0e-9a4b-6d1c2e3f4a5b"


@pytest.mark.parametrize("value", [b"&xxe;", b"&#0;", b"<X/>", b"1]]>", b"\x01", b"\xff\xfe", b"<!-- -->"])
def test_a_blanked_value_that_could_parse_differently_never_shares_the_hash(value):
    base_hash = ocs_wire_hash(OCS_BODY, CONTEXT, MAX_ELEMENTS)
    for tag in (b"FREE", b"LOGDATE", b"PID"):
        hostile = re.sub(b"<" + tag + b">[^<]*</" + tag + b">", lambda m: b"<" + tag + b">" + value + b"</" + tag + b">",
                         OCS_BODY, count=1)
        assert ocs_wire_hash(hostile, CONTEXT, MAX_ELEMENTS) != base_hash


@pytest.mark.parametrize("extra", [b"<!-- note -->", b"<!DOCTYPE REQUEST []>", b"<![CDATA[x]]>", b"<?pi x?>", b"\x00"])
def test_bodies_with_comments_dtds_cdata_instructions_or_nul_have_no_hash(extra):
    assert ocs_wire_hash(OCS_BODY.replace(b"<CONTENT>", b"<CONTENT>" + extra, 1), CONTEXT, MAX_ELEMENTS) is None


def test_values_among_the_package_entries_are_hashed_as_they_are():
    """The rules do not look between the first and the last SOFTWARES entry (~90% of a body):
    a volatile value placed there is hashed like any other, so a change to it is seen."""
    first_package = OCS_BODY.index(b"<SOFTWARES>")
    interleaved = (OCS_BODY[:first_package] + b"<ACCESSLOG><LOGDATE>2026-03-01 10:00:01</LOGDATE></ACCESSLOG>\n    "
                   + OCS_BODY[first_package:].replace(b"</SOFTWARES>", b"</SOFTWARES><DRIVES><FREE>1</FREE></DRIVES>", 1))
    base_hash = ocs_wire_hash(interleaved, CONTEXT, MAX_ELEMENTS)
    assert base_hash is not None
    # Before the first package, a LOGDATE is blanked; after it, among the packages, FREE is not.
    assert ocs_wire_hash(interleaved.replace(b"10:00:01", b"11:11:11"), CONTEXT, MAX_ELEMENTS) == base_hash
    assert ocs_wire_hash(interleaved.replace(b"<FREE>1</FREE>", b"<FREE>2</FREE>"), CONTEXT, MAX_ELEMENTS) != base_hash
    # A HARDWARE among the packages is not taken for the one whose DESCRIPTION is blanked.
    second = interleaved.replace(b"</SOFTWARES>", b"</SOFTWARES><HARDWARE><DESCRIPTION>x</DESCRIPTION></HARDWARE>", 1)
    assert ocs_wire_hash(second.replace(b">x<", b">y<"), CONTEXT, MAX_ELEMENTS) != ocs_wire_hash(second, CONTEXT,
                                                                                                 MAX_ELEMENTS)


def test_exclamation_and_question_marks_in_text_do_not_cost_the_hash():
    body = OCS_BODY.replace(b"<NAME>FIN-LT-0421</NAME>", b"<NAME>FIN-LT-0421</NAME><WORKGROUP>ok! why?</WORKGROUP>", 1)
    assert body.startswith(b"<?xml") and ocs_wire_hash(body, CONTEXT, MAX_ELEMENTS) is not None
    assert ocs_wire_hash(body.replace(b"ok!", b"ok<!-- -->"), CONTEXT, MAX_ELEMENTS) is None
    assert ocs_wire_hash(body.replace(b"why?", b"<?x why?>"), CONTEXT, MAX_ELEMENTS) is None


def test_a_body_with_more_elements_than_allowed_has_no_hash():
    assert ocs_wire_hash(OCS_BODY, CONTEXT, max_elements=OCS_BODY.count(b"<") - 1) is None


GLPI_MESSAGE = json.loads((FIXTURES / "glpi_linux.json").read_text())
GLPI_MESSAGE["content"]["accesslog"] = {"logdate": "2026-03-01 10:00:01"}
GLPI_CONTEXT = "glpi|GLPI-Agent_v1.11|3b1f0c1e-5a39-4a0e-9a4b-6d1c2e3f4a5b"
GLPI_BLANKED = {"content.drives.free", "content.operatingsystem.boot_time", "content.accesslog.logdate"}


def convert_glpi(body: bytes) -> dict:
    report = glpi_inventory_report(parse_glpi_message(body), "agent", "glpi-agent 1.11", NOW)
    report.pop("report_id")
    return report


def _replaced(document, path, value):
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value and value[-1].isdigit():  # dates and times stay valid: 03:12:09 -> 03:12:00
        return value[:-1] + str((int(value[-1]) + 1) % 10)
    return (value or "") + "9"


def test_glpi_hash_ignores_exactly_the_values_the_converter_ignores():
    body = json.dumps(GLPI_MESSAGE).encode()
    base_hash, base_report = glpi_wire_hash(body, GLPI_CONTEXT), convert_glpi(body)
    assert base_hash is not None
    ignored, seen = set(), 0
    for path, value in ((p, v) for p, v in nodes(GLPI_MESSAGE) if not isinstance(v, (dict, list))):
        seen += 1
        changed = json.dumps(_replaced(GLPI_MESSAGE, path, _changed(value))).encode()
        if glpi_wire_hash(changed, GLPI_CONTEXT) == base_hash:
            name = ".".join(str(key) for key in path if not isinstance(key, int))
            ignored.add(name)
            assert convert_glpi(changed) == base_report, path
    assert seen > 50
    assert ignored == GLPI_BLANKED


@pytest.mark.parametrize("path,value", [
    (("content", "operatingsystem", "boot_time"), "not a date"),
    (("content", "operatingsystem", "boot_time"), 20260301),
    (("content", "operatingsystem", "boot_time"), "2026-03-01 08:00:00\\u0000"),
    (("content", "drives", 0, "free"), -1),
    (("content", "drives", 0, "free"), 2**64),
    (("content", "drives", 0, "free"), "514321"),
    (("content", "accesslog", "logdate"), ["x"]),
])
def test_glpi_blanked_values_of_another_type_or_invalid_never_share_the_hash(path, value):
    base_hash = glpi_wire_hash(json.dumps(GLPI_MESSAGE).encode(), GLPI_CONTEXT)
    hostile = json.dumps(_replaced(GLPI_MESSAGE, path, value)).encode().replace(b"\\\\u0000", b"\\u0000")
    assert glpi_wire_hash(hostile, GLPI_CONTEXT) != base_hash


# Through the endpoints --------------------------------------------------------------------------

def _wire_unchanged(client, protocol: str) -> float:
    found = re.search(rf'^stocktake_foreign_wire_unchanged_total{{protocol="{protocol}"}} (\S+)$',
                      client.get("/metrics").get_data(as_text=True), re.M)
    return float(found.group(1)) if found else 0.0


def _outcomes(database, protocol: str) -> list[str]:
    with database.session() as session:
        return list(session.execute(select(ReportReceipt.outcome).join(Agent, Agent.id == ReportReceipt.agent_id)
                                    .where(Agent.protocol == protocol).order_by(ReportReceipt.received_at)).scalars())


def _post_ocs(client, secret: str, body: bytes):
    return client.post(f"/ocsinventory/{secret}", data=zlib.compress(body), content_type="application/x-compress",
                       headers={"User-Agent": "OCS-NG_unified_unix_agent_v2.10.0"})


def test_an_unchanged_ocs_inventory_is_recognised_unparsed_and_a_hostile_twin_is_refused(client, database, make_site):
    site = make_site()
    before = _wire_unchanged(client, "ocs")
    assert _post_ocs(client, site.secret, OCS_BODY).status_code == 200
    volatile = OCS_BODY.replace(b"<FREE>402113</FREE>", b"<FREE>402001</FREE>").replace(b"612", b"613")
    assert volatile != OCS_BODY
    answer = _post_ocs(client, site.secret, volatile)
    assert b"NO_ACCOUNT_UPDATE" in zlib.decompress(answer.data)
    assert _wire_unchanged(client, "ocs") == before + 1
    assert _outcomes(database, "ocs") == ["stored", "unchanged"]

    hostile = OCS_BODY.replace(b"<FREE>402113</FREE>", b"<FREE>&xxe;</FREE>")
    assert _post_ocs(client, site.secret, hostile).status_code == 400
    other_site = make_site()
    assert _post_ocs(client, other_site.secret, OCS_BODY).status_code == 403
    assert _wire_unchanged(client, "ocs") == before + 1
    assert _outcomes(database, "ocs") == ["stored", "unchanged"]


def test_a_wire_hash_stands_only_for_the_content_stored_with_it(client, database, make_site):
    site = make_site()
    changed = OCS_BODY.replace(b"<VERSION>133.0</VERSION>", b"<VERSION>134.0</VERSION>")
    for body in (OCS_BODY, changed, OCS_BODY):
        assert _post_ocs(client, site.secret, body).status_code == 200
    assert _outcomes(database, "ocs") == ["stored", "stored", "stored"]


def test_a_revoked_agent_is_refused_even_with_an_unchanged_body(client, database, make_site):
    site = make_site()
    assert _post_ocs(client, site.secret, OCS_BODY).status_code == 200
    with database.write() as session:
        session.execute(Agent.__table__.update().where(Agent.protocol == "ocs").values(revoked_at=NOW))
    assert _post_ocs(client, site.secret, OCS_BODY).status_code == 403
    assert _outcomes(database, "ocs") == ["stored"]


def _post_glpi(client, secret: str, message: dict):
    return client.post(f"/glpi/{secret}", data=zlib.compress(json.dumps(message).encode()),
                       content_type="application/x-compress-zlib",
                       headers={"User-Agent": "GLPI-Agent_v1.11", "GLPI-Agent-ID": "3b1f0c1e-5a39-4a0e-9a4b-6d1c2e3f4a5b"})


def test_an_unchanged_glpi_inventory_is_recognised_unparsed_and_a_hostile_twin_is_refused(client, database, make_site):
    site = make_site()
    before = _wire_unchanged(client, "glpi")
    assert _post_glpi(client, site.secret, GLPI_MESSAGE).status_code == 200
    volatile = _replaced(GLPI_MESSAGE, ("content", "drives", 0, "free"), 1)
    volatile = _replaced(volatile, ("content", "operatingsystem", "boot_time"), "2026-03-02 07:00:00")
    assert _post_glpi(client, site.secret, volatile).status_code == 200
    assert _wire_unchanged(client, "glpi") == before + 1
    hostile = _replaced(GLPI_MESSAGE, ("content", "operatingsystem", "boot_time"), "2026-13-45 99:00:00")
    assert _post_glpi(client, site.secret, hostile).status_code == 422
    assert _wire_unchanged(client, "glpi") == before + 1
    assert _outcomes(database, "glpi") == ["stored", "unchanged"]


# The real Debian agents, twice: the second run is recognised from its bytes ----------------------

def _live_wire_unchanged(live_server, protocol: str) -> float:
    import requests

    text = requests.get(f"{live_server.url}/metrics", timeout=30).text
    found = re.search(rf'^stocktake_foreign_wire_unchanged_total{{protocol="{protocol}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.mark.skipif(real_agents.OCS_AGENT is None, reason="ocsinventory-agent is not installed")
def test_the_second_run_of_the_debian_ocsinventory_agent_is_recognised_unparsed(live_server, database, make_site,
                                                                                 tmp_path):
    site = make_site("ocs-wire")
    log = tmp_path / "ocs.log"
    command = [real_agents.OCS_AGENT, "--server", f"{live_server.url}/ocsinventory/{site.secret}", "--nolocal",
               "--basevardir", str(tmp_path / "ocs-var"), "--logfile", str(log)]
    real_agents._run(command, tmp_path, log)
    before = _live_wire_unchanged(live_server, "ocs")
    real_agents._run(command, tmp_path, log)
    assert _live_wire_unchanged(live_server, "ocs") == before + 1
    assert _outcomes(database, "ocs") == ["stored", "unchanged"]


@pytest.mark.skipif(real_agents.FUSION_AGENT is None or not (real_agents.FUSION_LIB / "setup.pm").exists(),
                    reason="fusioninventory-agent is not installed")
def test_the_second_run_of_the_debian_fusioninventory_agent_is_recognised_unparsed(live_server, database, make_site,
                                                                                   tmp_path):
    site = make_site("fusion-wire")
    command = real_agents._fusion_command(tmp_path) + ["--server", f"{live_server.url}/ocsinventory/{site.secret}"]
    real_agents._run(command, tmp_path, tmp_path / "fusion.log")
    before = _live_wire_unchanged(live_server, "fusioninventory")
    real_agents._run(command, tmp_path, tmp_path / "fusion.log")
    assert _live_wire_unchanged(live_server, "fusioninventory") == before + 1
    assert _outcomes(database, "fusioninventory") == ["stored", "unchanged"]


def _last_wire_hash(database, protocol: str) -> str | None:
    with database.session() as session:
        return session.execute(select(Agent.last_wire_hash).where(Agent.protocol == protocol)).scalar()


def test_a_refused_report_leaves_no_wire_hash_and_is_refused_again(client, database, make_site):
    site = make_site()
    assert _post_ocs(client, site.secret, OCS_BODY).status_code == 200
    stored = _last_wire_hash(database, "ocs")
    assert stored is not None
    # A value of the wrong type is refused (4xx, nothing stored): the stored hash stays as it was.
    bad = OCS_BODY.replace(b"<MEMORY>32510</MEMORY>", b"<MEMORY>many</MEMORY>", 1)
    assert bad != OCS_BODY
    for _attempt in range(2):
        assert _post_ocs(client, site.secret, bad).status_code in (400, 422)
    assert _last_wire_hash(database, "ocs") == stored
    assert _outcomes(database, "ocs") == ["stored"]


def test_a_glpi_partial_message_is_never_recognised_by_its_bytes(client, database, make_site):
    site = make_site()
    assert _post_glpi(client, site.secret, GLPI_MESSAGE).status_code == 200
    stored = _last_wire_hash(database, "glpi")
    partial = {**GLPI_MESSAGE, "partial": True,
               "content": {key: GLPI_MESSAGE["content"][key] for key in ("versionclient", "hardware", "bios")}}
    before = _wire_unchanged(client, "glpi")
    for _attempt in range(2):
        assert _post_glpi(client, site.secret, partial).status_code == 200
    assert _wire_unchanged(client, "glpi") == before
    assert _last_wire_hash(database, "glpi") == stored
    assert _outcomes(database, "glpi") == ["stored", "unchanged", "unchanged"]
