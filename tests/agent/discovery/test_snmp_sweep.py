"""The SNMP discovery sweep against real net-snmp agents: on loopback (credentials in order,
the SNMPv3 fallback, pacing, early end) and across a /24 swept from the scanner namespace."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.discovery.snmp import SnmpCredential, SnmpError, SystemInfo, sweep_system
from agent.discovery import snmp_sweep
from agent.discovery.snmp_sweep import sweep_range, sweep_snmp

ROOT = Path(__file__).resolve().parents[3]
SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
COMMUNITY = SnmpCredential("office", "2c", community="stocktake-ro")
GUESS = SnmpCredential("guess", "2c", community="public")
V3 = SnmpCredential("lab-v3", "3", user="stkv3", auth_protocol="SHA", auth_key="authpass-123",
                    priv_protocol="AES", priv_key="privpass-456")
LOOPBACK_CONFIG = """\
agentAddress udp:127.0.0.1:{port}
rocommunity stocktake-ro 127.0.0.1
createUser stkv3 SHA "authpass-123" AES "privpass-456"
rouser stkv3 priv
sysName sweep-lab
sysObjectID 1.3.6.1.4.1.11.2.3.9.1
sysServices 72
"""

def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _distinct_free_udp_ports(count: int) -> list[int]:
    """``count`` different free ports: ports freed one by one may come back twice (the sweep's
    results are keyed by address, so a repeat made 39 results of 40 requests once)."""
    sockets = []
    try:
        for _ in range(count):  # held open together, so the kernel hands out each once
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start_snmpd(directory: Path, config: str, argv_prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    """net-snmp's agent in the foreground with ``config``; its state stays in ``directory``."""
    if not os.path.exists(SNMPD):
        pytest.skip("net-snmp snmpd is not installed (make test installs it)")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "snmpd.conf").write_text(config)
    return subprocess.Popen([*argv_prefix, SNMPD, "-f", "-Lo", "-C", "-c", str(directory / "snmpd.conf")],
                            env={**os.environ, "SNMP_PERSISTENT_DIR": str(directory)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_answering(targets: list[tuple[str, int]], credential: SnmpCredential) -> None:
    for _ in range(50):  # snmpd needs a fraction of a second to load its modules
        results = asyncio.run(sweep_snmp(targets, [credential], timeout_s=0.2, retries=0))
        if all(isinstance(result, SystemInfo) for result in results.values()):
            return
    raise AssertionError(f"snmpd never answered: {results}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def agent_port(tmp_path_factory):
    port = free_udp_port()
    process = start_snmpd(tmp_path_factory.mktemp("snmpd"), LOOPBACK_CONFIG.format(port=port))
    try:
        wait_until_answering([("127.0.0.1", port)], COMMUNITY)
        yield port
    finally:
        stop(process)


def _sweep(targets, credentials, **options):
    return asyncio.run(sweep_snmp(targets, credentials, **options))


@pytest.mark.parametrize("call, message", [
    (lambda: sweep_range("8.8.8.0/24", [COMMUNITY]), "public address space"),
    (lambda: sweep_range("198.18.0.0/16", [COMMUNITY]), "the limit per sweep is 4096"),
    (lambda: _sweep([("printer.example", 161)], [COMMUNITY]), "not an IPv4 address"),
    (lambda: _sweep([("127.0.0.1", 0)], [COMMUNITY]), "not a UDP port"),
    (lambda: _sweep([("127.0.0.1", 161)], []), "no SNMP credentials"),
    (lambda: _sweep([("127.0.0.1", 161)], [COMMUNITY._replace(version="1")]), "version must be 2c or 3"),
])
def test_unacceptable_ranges_targets_and_credentials_fail_before_anything_is_sent(call, message, monkeypatch):
    # Whatever validation does, nothing may be sent: opening the sweep's socket fails the test.
    def no_sending(*_args, **_kwargs):
        raise AssertionError("the sweep reached the network with input it should have refused")

    monkeypatch.setattr(snmp_sweep._V2cSweeper, "open", no_sending)
    monkeypatch.setattr(snmp_sweep, "_sweep_v3", no_sending)
    with pytest.raises(ValueError, match=message):
        call()


def test_the_fast_path_returns_what_pysnmp_returns(agent_port):
    target = [("127.0.0.1", agent_port)]
    ours = _sweep(target, [COMMUNITY])[f"127.0.0.1:{agent_port}"]
    theirs = asyncio.run(sweep_system(target, [COMMUNITY]))[f"127.0.0.1:{agent_port}"]
    assert ours == theirs
    assert (ours.sys_name, ours.sys_object_id, ours.sys_services, ours.credential) == (
        "sweep-lab", "1.3.6.1.4.1.11.2.3.9.1", 72, "office")


def test_communities_are_tried_in_order_and_every_failure_is_named(agent_port):
    silent = free_udp_port()
    results = _sweep([("127.0.0.1", agent_port), ("127.0.0.1", silent)], [GUESS, COMMUNITY], timeout_s=0.3)
    assert results[f"127.0.0.1:{agent_port}"].credential == "office"
    error = results[f"127.0.0.1:{silent}"]
    assert isinstance(error, SnmpError)
    assert str(error) == ("127.0.0.1: no credential worked (guess: no response (timeout: wrong community, or no "
                          "SNMP agent); office: no response (timeout: wrong community, or no SNMP agent))")


def test_snmpv3_credentials_go_through_pysnmp_for_the_targets_left(agent_port):
    silent = free_udp_port()
    results = _sweep([("127.0.0.1", agent_port), ("127.0.0.1", silent)], [GUESS, V3, COMMUNITY], timeout_s=0.3)
    assert results[f"127.0.0.1:{agent_port}"].credential == "lab-v3"  # v3 comes before the later community
    assert str(results[f"127.0.0.1:{silent}"]).count("no response") == 3


def test_a_sweep_whose_targets_all_answered_ends_at_once(agent_port):
    started = time.monotonic()
    results = _sweep([("127.0.0.1", agent_port)], [COMMUNITY], timeout_s=5.0, retries=3)
    assert isinstance(results[f"127.0.0.1:{agent_port}"], SystemInfo)
    assert time.monotonic() - started < 3.0  # not the 5 s timeout: nothing left to wait for


def test_requests_are_paced_and_silent_addresses_get_their_timeout():
    closed = [("127.0.0.1", port) for port in _distinct_free_udp_ports(40)]  # nothing listens: no answer
    started = time.monotonic()
    results = _sweep(closed, [COMMUNITY], timeout_s=0.3, retries=0, rate_pps=100)
    elapsed = time.monotonic() - started
    assert len(results) == 40 and all(isinstance(r, SnmpError) for r in results.values())
    # 40 requests at 100/s, then the timeout after the last one: pacing sets a floor a slow
    # machine cannot break; the ceiling only says nothing waited on anything else.
    assert 0.39 + 0.3 <= elapsed < 10.0


# ---------------------------------------------------------------- a /24 in namespaces

NETNS_CONFIG = "agentAddress udp:{ip}:161\nrocommunity {community} 198.18.0.0/24\nsysName {name}\nsysServices 72\n"
SWEEP_IN_SCANNER = """\
import json, sys, time
from agent.discovery.snmp import SnmpCredential, SystemInfo
from agent.discovery.snmp_sweep import sweep_range
credentials = [SnmpCredential("guess", "2c", community="public"), SnmpCredential("lab", "2c", community="lab-ro")]
started = time.monotonic()
results = sweep_range("198.18.0.0/24", credentials, timeout_s=0.5)
print(json.dumps({"elapsed": time.monotonic() - started,
                  "results": {k: v._asdict() if isinstance(v, SystemInfo) else str(v) for k, v in results.items()}}))
"""


def test_a_24_swept_from_the_scanner_namespace_finds_exactly_the_snmp_agents(l2_network, tmp_path):
    """Real agents in three host namespaces; one has another community. Every other address
    of the /24 is either a host without an agent (port closed) or nobody at all."""
    hosts = [(l2_network.hosts[2], "lab-ro"), (l2_network.hosts[7], "lab-ro"), (l2_network.hosts[11], "other-ro")]
    agents = [start_snmpd(tmp_path / host.namespace, NETNS_CONFIG.format(ip=host.ip, community=community,
                                                                         name=f"node-{host.ip}"),
                          ("ip", "netns", "exec", host.namespace)) for host, community in hosts]
    try:
        for host, community in hosts:
            for _ in range(50 if shutil.which("snmpget") else 0):  # bounded wait for each agent
                probe = l2_network.run_in_scanner(["snmpget", "-v2c", "-c", community, "-t", "0.2", "-r", "0",
                                                   host.ip, "1.3.6.1.2.1.1.5.0"], timeout=10)
                if probe.returncode == 0:
                    break
            else:
                time.sleep(1.0)  # no snmpget (Debian snmp): give the agent the time it usually needs
        done = l2_network.run_in_scanner([sys.executable, "-c", SWEEP_IN_SCANNER], cwd=ROOT,
                                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        for agent in agents:
            stop(agent)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    results = outcome["results"]
    assert len(results) == 254
    found = {key: value for key, value in results.items() if isinstance(value, dict)}
    assert set(found) == {f"{l2_network.hosts[2].ip}:161", f"{l2_network.hosts[7].ip}:161"}
    assert all(info["sys_name"] == f"node-{info['host']}" and info["credential"] == "lab" for info in found.values())
    assert "guess: no response" in results[f"{l2_network.hosts[11].ip}:161"]
    assert "lab: no response" in results[f"{l2_network.hosts[11].ip}:161"]
    assert outcome["elapsed"] < 3.0  # two communities, each given 0.5 s
