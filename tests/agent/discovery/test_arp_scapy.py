"""The scapy ARP engine, forced, in the namespace network: the same hosts and MACs as the raw
engine finds in the same run, the same bounds, the same report through the scan command."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SWEEP = ("import json, sys, time\n"
         "from agent.discovery.arp_engine import arp_sweep\n"
         "started = time.perf_counter()\n"
         "found = arp_sweep(sys.argv[1], sys.argv[2], sys.argv[3], **json.loads(sys.argv[4]))\n"
         "print(json.dumps({'found': found, 'seconds': time.perf_counter() - started}))")


def _sweep(network, engine: str, cidr: str = "198.18.0.0/24", interface: str = "eth0", **bounds):
    done = network.run_in_scanner([sys.executable, "-c", SWEEP, cidr, interface, engine, json.dumps(bounds)],
                                  timeout=60, cwd=ROOT)
    return done, (json.loads(done.stdout) if done.returncode == 0 else None)


def test_scapy_and_raw_engines_find_the_same_hosts_and_macs(l2_network):
    expected = {host.ip: host.mac for host in l2_network.hosts}
    answers = {}
    for engine in ("raw", "scapy"):
        done, answer = _sweep(l2_network, engine)
        assert done.returncode == 0, done.stderr
        answers[engine] = answer
    assert {ip: mac for ip, mac in answers["scapy"]["found"]} == expected
    assert answers["scapy"]["found"] == answers["raw"]["found"]  # same records, same order
    # One round listens 1 s at most, and one retry: bounded well under 5 s with scapy's import.
    assert answers["scapy"]["seconds"] < 5


def test_the_scapy_engine_keeps_the_rate_and_the_answer_window(l2_network):
    started = time.perf_counter()
    done, answer = _sweep(l2_network, "scapy", "198.18.0.0/26", rate_pps=200, retries=0, timeout_s=0.5)
    assert done.returncode == 0, done.stderr
    assert {ip for ip, _ in answer["found"]} == {h.ip for h in l2_network.hosts}  # all 24 sit in .10-.33
    assert 62 / 200 <= answer["seconds"] < 62 / 200 + 0.5 + 1.5  # 62 paced frames, one window, the import
    assert time.perf_counter() - started < 10


def test_the_scapy_engine_refuses_what_the_raw_one_refuses(l2_network):
    done, _ = _sweep(l2_network, "scapy", "8.8.8.0/24")
    assert done.returncode != 0 and "ValueError: 8.8.8.0/24 is public address space" in done.stderr
    done, _ = _sweep(l2_network, "scapy", "198.18.0.0/19")
    assert done.returncode != 0 and "limit per sweep is 4096" in done.stderr
    done, _ = _sweep(l2_network, "scapy", interface="stk-none0")
    assert done.returncode != 0 and "ArpError: cannot use interface 'stk-none0'" in done.stderr


def test_scan_command_with_the_scapy_engine_reports_what_the_raw_one_does(l2_network):
    from common.schema import DiscoveryReport

    devices = {}
    for engine in ("raw", "scapy"):
        done = l2_network.run_in_scanner(
            [sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24", "--interface", "eth0", "--once",
             "--arp-engine", engine], cwd=ROOT, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # scapy's start-up warnings are silenced
        report = DiscoveryReport.model_validate_json(done.stdout)
        devices[engine] = {d.ip: (d.mac, d.oui_vendor, [m.value for m in d.found_by]) for d in report.devices}
    assert devices["scapy"] == devices["raw"]
    assert devices["scapy"] == {h.ip: (h.mac, "Hewlett Packard", ["arp"]) for h in l2_network.hosts}


def test_the_agent_setting_chooses_the_engine_and_the_option_overrides_it(l2_network, tmp_path):
    # A scapy that fails to import shows which engine ran: only the scapy one imports it.
    (tmp_path / "scapy").mkdir()
    (tmp_path / "scapy" / "__init__.py").write_text("raise ImportError('scapy withheld by the test')\n")
    env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "PYTHONPATH": str(tmp_path)}
    scan = [sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24", "--interface", "eth0", "--once"]
    runs = {name: l2_network.run_in_scanner(scan + extra, cwd=ROOT, env={**env, "STOCKTAKE_AGENT_ARP_ENGINE": setting})
            for name, setting, extra in (("setting", "scapy", []), ("override", "scapy", ["--arp-engine", "raw"]),
                                         ("bad", "pcap", []))}
    assert runs["setting"].returncode == 2 and "the scapy ARP engine needs scapy" in runs["setting"].stderr
    assert runs["override"].returncode == 0, runs["override"].stderr
    assert len(json.loads(runs["override"].stdout)["devices"]) == len(l2_network.hosts)
    assert runs["bad"].returncode == 2 and "arp_engine must be auto, raw or scapy, got 'pcap'" in runs["bad"].stderr


@pytest.mark.parametrize("engine, message", [
    ("raw", "ArpError: ARP sweeps need CAP_NET_RAW"),
    ("auto", "ArpError: ARP sweeps need CAP_NET_RAW"),  # on Linux scapy would need it too: not tried
    ("scapy", "ArpError: ARP sweeps need raw-frame privileges: run the scanner as root (CAP_NET_RAW on Linux"),
])
def test_without_cap_net_raw_each_engine_says_so(l2_network, engine, message):
    if not Path("/usr/bin/setpriv").exists():
        pytest.skip("setpriv (util-linux) is needed to drop the capability")
    # Root without CAP_NET_RAW in its bounding set: the interpreter stays readable, raw sockets do not open.
    done = l2_network.run_in_scanner(["setpriv", "--bounding-set=-net_raw", sys.executable, "-c", SWEEP,
                                      "198.18.0.0/24", "eth0", engine, "{}"], timeout=60, cwd=ROOT)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr[-500:]
