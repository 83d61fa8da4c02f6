"""ARP sweeps: range validation, and a real sweep of a namespace network from inside it."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from agent.discovery.arp import sweep_targets

ROOT = Path(__file__).resolve().parents[3]
SWEEP = "import json, sys; from agent.discovery.arp import sweep; print(json.dumps(sweep(*sys.argv[1:3])))"


@pytest.mark.parametrize(
    "cidr, message",
    [
        ("198.18.0.0/15", "limit per sweep is 4096"),
        ("8.8.8.0/24", "public address space"),
        ("2001:db8::/120", "IPv4 only"),
        ("127.0.0.0/24", "cannot be ARP-swept"),
        ("198.18.0.0/33", "not an IP range"),
        ("printers", "not an IP range"),
    ],
)
def test_unacceptable_ranges_are_refused_before_any_frame(cidr, message):
    with pytest.raises(ValueError, match=message):
        sweep_targets(cidr)


def test_targets_are_the_hosts_of_the_range():
    assert sweep_targets("198.18.0.0/30") == ["198.18.0.1", "198.18.0.2"]
    assert len(sweep_targets("198.18.0.0/24")) == 254
    assert sweep_targets("203.0.113.0/30", allow_public=True) == ["203.0.113.1", "203.0.113.2"]


def test_sweep_finds_every_host_with_its_exact_mac(l2_network):
    done = l2_network.run_in_scanner([sys.executable, "-c", SWEEP, "198.18.0.0/24", l2_network.interface], cwd=ROOT)
    assert done.returncode == 0, done.stderr
    found = {ip: mac for ip, mac in json.loads(done.stdout)}
    assert found == {host.ip: host.mac for host in l2_network.hosts}


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def readable_copy():
    """agent/ and common/ (the sweep needs only the standard library besides) where the
    unprivileged user can read them: a checkout in root's 0700 home is closed to it."""
    directory = Path(tempfile.mkdtemp(prefix="stocktake-arp-"))
    try:
        directory.chmod(0o755)  # mkdtemp makes it 0700
        for package in ("agent", "common"):
            shutil.copytree(ROOT / package, directory / package, ignore=shutil.ignore_patterns("__pycache__"))
        yield directory
    finally:
        shutil.rmtree(directory)


def test_without_cap_net_raw_the_sweep_says_so(l2_network, readable_copy):
    if not Path("/usr/bin/setpriv").exists():
        pytest.skip("setpriv (util-linux) is needed to drop privileges")
    # The real interpreter, not the virtualenv's link to it, which may sit in the closed checkout.
    python = os.path.realpath(sys.executable)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "PYTHONPATH": str(readable_copy)}
    probe = subprocess.run([*AS_NOBODY, python, "-c", "import ipaddress, socket"], cwd=readable_copy, env=env,
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"the unprivileged user (uid 65534) cannot run {python}: {probe.stderr.strip()[-300:]}")
    done = l2_network.run_in_scanner([*AS_NOBODY, python, "-c", SWEEP, "198.18.0.0/24", l2_network.interface],
                                     cwd=readable_copy, env=env)
    assert done.returncode != 0
    assert "ARP sweeps need CAP_NET_RAW" in done.stderr


def test_scan_command_reports_every_host_with_vendor_as_a_valid_discovery_report(l2_network):
    from common.schema import DiscoveryReport

    done = l2_network.run_in_scanner(
        [sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24", "--interface", "eth0", "--once"],
        cwd=ROOT, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    assert done.returncode == 0, done.stderr
    report = DiscoveryReport.model_validate_json(done.stdout)
    assert {d.ip: d.mac for d in report.devices} == {h.ip: h.mac for h in l2_network.hosts}
    assert {d.oui_vendor for d in report.devices} == {"Hewlett Packard"}
    assert all(d.found_by[0].value == "arp" for d in report.devices)


def test_scan_command_refuses_a_public_range_with_exit_2(l2_network):
    # Run inside the scanner namespace all the same: even a validation bug could only reach the test bridge.
    done = l2_network.run_in_scanner(
        [sys.executable, "-m", "agent.cli", "scan", "--range", "8.8.8.0/24", "--interface", "eth0", "--once"],
        cwd=ROOT, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    assert done.returncode == 2
    assert "public address space" in done.stderr


@pytest.mark.live
def test_swept_devices_reach_the_collector_and_agent_machines_are_not_unmanaged(l2_network, live_server, database,
                                                                                  make_agent, make_token, reports):
    """The scan runs inside the namespace network; its report goes to the real collector,
    where a host that also runs an agent (same NIC MAC) is linked instead of unmanaged."""
    import requests

    from agent.transport import CollectorClient

    laptop_agent = make_agent()
    laptop = reports.report(laptop_agent.agent_id, host_seed=3)
    laptop["nics"][0]["mac"] = l2_network.hosts[3].mac
    assert requests.post(f"{live_server.url}/api/v1/inventory", json=laptop, headers=laptop_agent.headers).status_code == 201
    scanner = make_agent()
    done = l2_network.run_in_scanner(
        [sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24", "--interface", "eth0", "--once"],
        cwd=ROOT, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    report = json.loads(done.stdout)
    report["agent_id"] = scanner.agent_id
    answer = CollectorClient(live_server.url).post_discovery(scanner.node_key, report)
    assert (answer["devices"], answer["linked"]) == (24, 1)
    devices = requests.get(f"{live_server.url}/api/v1/devices?managed=false&per_page=100", headers=make_token()).json()
    assert devices["total"] == 23
    assert l2_network.hosts[3].mac not in {d["mac"] for d in devices["items"]}
    assert {d["oui_vendor"] for d in devices["items"]} == {"Hewlett Packard"}


def test_scan_with_snmp_credentials_names_and_types_the_snmp_host(l2_network, tmp_path):
    """A real net-snmp agent runs inside one host namespace; the sweep polls every responder."""
    import shutil
    import subprocess
    import time

    from common.schema import DiscoveryReport

    if shutil.which("snmpd") is None and not os.path.exists("/usr/sbin/snmpd"):
        pytest.skip("net-snmp snmpd is not installed")
    printer = l2_network.hosts[5]
    (tmp_path / "snmpd.conf").write_text(
        f"agentAddress udp:{printer.ip}:161\nrocommunity lab-ro 198.18.0.0/24\nsysName floor2-printer\n"
        "sysDescr HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153\nsysObjectID 1.3.6.1.4.1.11.2.3.9.1\nsysServices 72\n")
    (tmp_path / "snmp.toml").write_text('[[credential]]\nname = "guess"\nversion = "2c"\ncommunity = "public"\n\n'
                                        '[[credential]]\nname = "lab"\nversion = "2c"\ncommunity = "lab-ro"\n')
    agent = subprocess.Popen(["ip", "netns", "exec", printer.namespace, "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c",
                              str(tmp_path / "snmpd.conf")], env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        done = l2_network.run_in_scanner(
            [sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24", "--interface", "eth0", "--once",
             "--snmp-credentials", str(tmp_path / "snmp.toml")], cwd=ROOT, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    report = DiscoveryReport.model_validate_json(done.stdout)
    by_ip = {d.ip: d for d in report.devices}
    assert len(by_ip) == len(l2_network.hosts)
    snmp_host = by_ip[printer.ip]
    assert (snmp_host.sys_name, snmp_host.device_type, snmp_host.vendor) == ("floor2-printer", "printer", "HP")
    assert [m.value for m in snmp_host.found_by] == ["arp", "snmp"]
    others = [d for ip, d in by_ip.items() if ip != printer.ip]
    assert all([m.value for m in d.found_by] == ["arp"] and d.error is None for d in others)


def test_a_bad_credentials_file_is_a_clear_error(tmp_path):
    from agent.discovery.scan import load_credentials

    (tmp_path / "bad.toml").write_text('[[credential]]\nversion = "1"\ncommunity = "x"\n')
    with pytest.raises(ValueError, match="credential 1: version must be"):
        load_credentials(str(tmp_path / "bad.toml"))
    (tmp_path / "typo.toml").write_text('[[credential]]\nversion = "2c"\ncomunity = "x"\n')
    with pytest.raises(ValueError, match="unknown key 'comunity'"):
        load_credentials(str(tmp_path / "typo.toml"))
