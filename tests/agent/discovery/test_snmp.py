"""SNMP polling against a real net-snmp agent on loopback: v2c and v3 authPriv, credentials
tried in order, precise per-target errors, and a sweep that survives bad targets."""

import asyncio
import os
import shutil
import socket
import subprocess
import time

import pytest

from agent.discovery.classify import DeviceFacts, classify
from agent.discovery.snmp import SnmpCredential, sweep_system

COMMUNITY = SnmpCredential("office", "2c", community="stocktake-ro")
V3 = SnmpCredential("lab-v3", "3", user="stkv3", auth_protocol="SHA", auth_key="authpass-123",
                    priv_protocol="AES", priv_key="privpass-456")
CONFIG = """\
agentAddress udp:127.0.0.1:{port}
rocommunity stocktake-ro 127.0.0.1
createUser stkv3 SHA "authpass-123" AES "privpass-456"
rouser stkv3 priv
sysName lab-printer
sysDescr HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23900015
sysObjectID 1.3.6.1.4.1.11.2.3.9.1
sysLocation 2nd floor
sysContact it@example.org
sysServices 72
"""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    binary = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not os.path.exists(binary):
        pytest.skip("net-snmp snmpd is not installed (make test installs it)")
    directory = tmp_path_factory.mktemp("snmpd")
    port = _free_udp_port()
    (directory / "snmpd.conf").write_text(CONFIG.format(port=port))
    process = subprocess.Popen([binary, "-f", "-Lo", "-C", "-c", str(directory / "snmpd.conf")],
                               env={**os.environ, "SNMP_PERSISTENT_DIR": str(directory / "persist")},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # ready once it answers
        result = asyncio.run(sweep_system([("127.0.0.1", port)], [COMMUNITY], timeout_s=0.2, retries=0))
        if not isinstance(result[f"127.0.0.1:{port}"], Exception):
            break
    yield port
    process.terminate()
    process.wait(timeout=10)


def _sweep(targets, credentials):
    return asyncio.run(sweep_system(targets, credentials, timeout_s=0.3, retries=0))


def test_v2c_system_group_and_classification(snmpd):
    info = _sweep([("127.0.0.1", snmpd)], [COMMUNITY])[f"127.0.0.1:{snmpd}"]
    assert (info.sys_name, info.sys_object_id, info.sys_services, info.credential) == (
        "lab-printer", "1.3.6.1.4.1.11.2.3.9.1", 72, "office")
    assert tuple(classify(DeviceFacts(info.sys_object_id, info.sys_descr, info.sys_services)))[:3] == (
        "printer", "HP", "hp-jetdirect")


def test_v3_auth_priv_sha_aes(snmpd):
    info = _sweep([("127.0.0.1", snmpd)], [V3])[f"127.0.0.1:{snmpd}"]
    assert info.sys_location == "2nd floor" and info.credential == "lab-v3"


def test_credentials_are_tried_in_order_until_one_works(snmpd):
    wrong = SnmpCredential("guess", "2c", community="public")
    info = _sweep([("127.0.0.1", snmpd)], [wrong, COMMUNITY])[f"127.0.0.1:{snmpd}"]
    assert info.credential == "office"


@pytest.mark.parametrize(
    "credential, message",
    [
        (SnmpCredential("guess", "2c", community="public"), "guess: no response (timeout: wrong community"),
        (V3._replace(name="bad-auth", auth_key="wrong-auth-1"), "bad-auth: wrong authentication password"),
        (V3._replace(name="bad-priv", priv_key="wrong-priv-1"), "bad-priv: no response (timeout: wrong privacy password"),
        (V3._replace(name="stranger", user="nobody"), "stranger: unknown user"),
    ],
)
def test_failures_are_named_per_target_and_the_sweep_keeps_other_results(snmpd, credential, message):
    silent = _free_udp_port()  # nothing listens there
    results = _sweep([("127.0.0.1", snmpd), ("127.0.0.1", silent)], [credential])
    assert message in str(results[f"127.0.0.1:{snmpd}"])
    assert "no response" in str(results[f"127.0.0.1:{silent}"])
    good = _sweep([("127.0.0.1", snmpd), ("127.0.0.1", silent)], [credential, COMMUNITY])
    assert good[f"127.0.0.1:{snmpd}"].sys_name == "lab-printer"
    assert isinstance(good[f"127.0.0.1:{silent}"], Exception)


def test_secrets_never_show_in_a_credential_repr():
    assert "authpass" not in repr(V3) and "privpass" not in repr(V3) and "stocktake-ro" not in repr(COMMUNITY)


def _with_engine(coroutine_factory):
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    async def run():
        engine = SnmpEngine()
        try:
            return await coroutine_factory(engine)
        finally:
            engine.close_dispatcher()

    return asyncio.run(run())


V3_ARGS = ["-v3", "-l", "authPriv", "-u", "stkv3", "-a", "SHA", "-A", "authpass-123", "-x", "AES", "-X", "privpass-456"]


@pytest.mark.parametrize("credential, anchor_args", [(COMMUNITY, ["-v2c", "-c", "stocktake-ro"]), (V3, V3_ARGS)],
                         ids=["v2c-fast-path", "v3-pysnmp"])
def test_walk_returns_what_snmpbulkwalk_returns(snmpd, credential, anchor_args):
    from agent.discovery.snmp import walk

    if shutil.which("snmpbulkwalk") is None:
        pytest.skip("snmpbulkwalk (Debian snmp) is not installed")
    ours = _with_engine(lambda engine: walk(engine, "127.0.0.1", snmpd, credential, "1.3.6.1.2.1.1"))
    anchor = subprocess.run(["snmpbulkwalk", *anchor_args, "-On", "-Oe", "-Cr50", f"127.0.0.1:{snmpd}", "1.3.6.1.2.1.1"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    theirs = [line.split(" = ", 1)[0].lstrip(".") for line in anchor.splitlines() if " = " in line]
    assert len(ours) > 10 and [oid for oid, _ in ours] == theirs
    values = dict(ours)
    assert values["1.3.6.1.2.1.1.5.0"] == b"lab-printer"
    assert values["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.11.2.3.9.1"
    assert values["1.3.6.1.2.1.1.7.0"] == 72


def test_v2c_walk_of_the_whole_interfaces_subtree_matches_snmpbulkwalk(snmpd):
    from agent.discovery.snmp import walk

    ours = _with_engine(lambda engine: walk(engine, "127.0.0.1", snmpd, COMMUNITY, "1.3.6.1.2.1.2"))
    anchor = subprocess.run(["snmpbulkwalk", "-v2c", "-c", "stocktake-ro", "-On", "-Cr50", f"127.0.0.1:{snmpd}",
                             "1.3.6.1.2.1.2"], capture_output=True, text=True, timeout=30, check=True).stdout
    assert [oid for oid, _ in ours] == [line.split(" = ", 1)[0].lstrip(".") for line in anchor.splitlines() if " = " in line]


def test_v2c_walk_with_a_wrong_community_times_out_clearly(snmpd):
    from agent.discovery.snmp import SnmpError, walk

    wrong = SnmpCredential("guess", "2c", community="public")
    with pytest.raises(SnmpError, match="no response after 1 tries"):
        _with_engine(lambda engine: walk(engine, "127.0.0.1", snmpd, wrong, "1.3.6.1.2.1.1", timeout_s=0.3, retries=0))


@pytest.mark.parametrize("credential", [COMMUNITY, V3], ids=["v2c", "v3"])
def test_interfaces_from_if_mib_match_the_kernels(snmpd, credential):
    from agent.discovery.snmp import walk_interfaces

    interfaces = _with_engine(lambda engine: walk_interfaces(engine, "127.0.0.1", snmpd, credential))
    by_name = {i["name"]: i for i in interfaces}
    assert set(by_name) == set(os.listdir("/sys/class/net"))
    for name, interface in by_name.items():
        with open(f"/sys/class/net/{name}/address") as handle:
            mac = handle.read().strip()
        if mac != "00:00:00:00:00:00":
            assert interface["mac"] == mac, name


@pytest.mark.parametrize("credential", [COMMUNITY, V3], ids=["v2c", "v3"])
def test_get_and_getnext_through_the_walker(snmpd, credential):
    """GET answers each OID asked (None for a missing instance); GETNEXT each OID's successor,
    which tells in one request whether a table has rows (IF-MIB here, Printer-MIB not)."""
    from agent.discovery.snmp import open_walker

    async def ask(engine):
        walker = await open_walker(engine, "127.0.0.1", snmpd, credential, timeout_s=2.0)
        got = await walker.get(["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.6.0", "1.3.6.1.2.1.1.5.7"])
        following = await walker.next(["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.43.5.1.1", "1.3.6.1.2.1.1.5.0"])
        return got, following

    got, following = _with_engine(ask)
    assert got == [("1.3.6.1.2.1.1.5.0", b"lab-printer"), ("1.3.6.1.2.1.1.6.0", b"2nd floor"), ("1.3.6.1.2.1.1.5.7", None)]
    assert following[0][0].startswith("1.3.6.1.2.1.2.2.1.2.") and isinstance(following[0][1], bytes)
    assert not following[1][0].startswith("1.3.6.1.2.1.43.5.1.1.")  # no Printer-MIB: the answer lies beyond it
    assert following[2] == ("1.3.6.1.2.1.1.6.0", b"2nd floor")


def test_a_walk_asks_for_no_more_rows_than_wanted(snmpd, monkeypatch):
    """GETBULK sizes: small first and growing while the subtree's size is unknown (8, 16, 32,
    then max-repetitions), never beyond the rows still wanted; all at once when the caller
    knows how many rows there are (ramp=False)."""
    import agent.discovery.snmp_v2c as v2c

    sizes = []
    request = v2c._request
    monkeypatch.setattr(v2c, "_request", lambda community, request_id, size, oid: (
        sizes.append(size), request(community, request_id, size, oid))[1])
    rows = asyncio.run(v2c.walk_v2c("127.0.0.1", snmpd, "stocktake-ro", "1.3.6.1.2.1", 50, 2.0, 1, max_oids=100))
    assert (len(rows), sizes) == (100, [8, 16, 32, 44])
    sizes.clear()
    rows = asyncio.run(v2c.walk_v2c("127.0.0.1", snmpd, "stocktake-ro", "1.3.6.1.2.1", 50, 2.0, 1, max_oids=30,
                                    ramp=False))
    assert (len(rows), sizes) == (30, [30])
