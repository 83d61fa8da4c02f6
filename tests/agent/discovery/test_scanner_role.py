"""The scanner role end to end, on the namespace network: a profile made with the collector's CLI
reaches the agent at check-in, ``run --once`` sweeps and polls, and the collector lists every host.

Hosts of the network run real SNMP agents: net-snmp's snmpd, and snmpsim serving recordings of a
real Cisco switch and a real Sharp printer; one host runs a Stocktake agent, so its device is
linked to its asset instead of being unmanaged. A namespace cannot reach the host's loopback, so
the collector (gunicorn on a SQLite file) runs inside the scanner namespace, beside the scanner
agent, listening on the test bridge too (nothing else can reach that). The CLI on the host
writes to the same SQLite file. Needs root (the l2_network fixture skips otherwise).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.netns import SCANNER_IP

ROOT = Path(__file__).resolve().parents[3]
COMMUNITY = "e2e-c0mmunity-4471"
_HTTP_GET = """
import sys, time, urllib.request
url, token, deadline = sys.argv[1], sys.argv[2], time.monotonic() + float(sys.argv[3])
while True:
    try:
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
        with urllib.request.urlopen(request, timeout=5) as response:
            sys.stdout.write(response.read().decode()); break
    except OSError as exc:
        if time.monotonic() > deadline: sys.exit(f"{url}: {exc}")
        time.sleep(0.2)
"""


class _Collector:
    """gunicorn in the scanner namespace, and the collector CLI on the host, sharing one SQLite file."""

    def __init__(self, network, tmp_path: Path) -> None:
        self.network = network
        self.port = random.randint(20000, 40000)  # the namespace's loopback is ours alone
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "STOCKTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'stocktake.db'}",
                    "STOCKTAKE_DATA_DIR": str(tmp_path / "collector"), "STOCKTAKE_LOG_LEVEL": "INFO",
                    "STOCKTAKE_LOG_FORMAT": "text"}
        self.env.pop("STOCKTAKE_CONFIG", None)
        self.cli("db", "upgrade")
        self.log_path = tmp_path / "gunicorn.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", network.scanner, sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "1",
                 "--threads", "4", "-b", f"127.0.0.1:{self.port}", "-b", f"{SCANNER_IP}:{self.port}", "--no-control-socket",
                 "collector.app:create_app()"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            self.get("/api/v1/health", wait_s=30)
        except BaseException:
            self.stop()
            raise

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "collector.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def get(self, path: str, token: str = "", wait_s: float = 5) -> dict:
        done = self.network.run_in_scanner([sys.executable, "-c", _HTTP_GET, self.url + path, token, str(wait_s)],
                                           timeout=wait_s + 30)
        assert done.returncode == 0, done.stderr + self.log_path.read_text()
        return json.loads(done.stdout)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _all_devices(collector: _Collector, token: str, managed: str) -> list[dict]:
    devices, page = [], 1
    while page <= 20:
        answer = collector.get(f"/api/v1/devices?managed={managed}&per_page=100&page={page}", token)
        devices += answer["items"]
        if len(devices) >= answer["total"] or not answer["items"]:
            return devices
        page += 1
    raise AssertionError("more than 20 pages of devices")


def _start_snmpd(network, host, tmp_path: Path):
    if not os.path.exists("/usr/sbin/snmpd"):
        return None
    (tmp_path / "snmpd.conf").write_text(
        f"agentAddress udp:{host.ip}:161\nrocommunity {COMMUNITY} 198.18.0.0/24\nsysName floor2-printer\n"
        "sysDescr HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153\nsysObjectID 1.3.6.1.4.1.11.2.3.9.1\n"
        "sysServices 72\n")
    return subprocess.Popen(["ip", "netns", "exec", host.namespace, "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c",
                             str(tmp_path / "snmpd.conf")], env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_SNMP_PROBE = """
import asyncio, sys
from agent.discovery.snmp_v2c import V2cError, walk_v2c
try:
    sys.exit(0 if asyncio.run(walk_v2c(sys.argv[1], int(sys.argv[2]), sys.argv[3], "1.3.6.1.2.1.1", 5, 0.5, 0)) else 1)
except (V2cError, OSError):
    sys.exit(1)
"""


def _start_recorded_devices(network, hosts: list) -> list:
    """snmpsim in each host's namespace serving that host's recording (``[(host, recording)]``)."""
    from tests.snmpsim import start_snmpsim

    def answers(host, port, community):  # probed from the scanner, which can reach the hosts
        return network.run_in_scanner([sys.executable, "-c", _SNMP_PROBE, host, str(port), community], cwd=ROOT,
                                      timeout=30).returncode == 0

    sims = []
    try:
        for host, source in hosts:
            sims.append(start_snmpsim({COMMUNITY: source}, [(host.ip, 161)], netns=host.namespace, answers=answers))
    except BaseException:
        for sim in sims:
            sim.stop()
        raise
    return sims


def _agent_env(collector_url: str, secret: str, state: Path) -> dict:
    return {**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": collector_url,
            "STOCKTAKE_AGENT_ENROLL_SECRET": secret, "STOCKTAKE_AGENT_STATE_DIR": str(state)}


@pytest.mark.live
def test_a_profile_from_the_cli_is_scanned_by_its_agent_and_every_host_listed(l2_network, tmp_path):
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    if shutil.which("snmpsim-command-responder", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("snmpsim is not installed (dev extra)")
    from tests.snmpsim import recording

    collector = _Collector(l2_network, tmp_path)
    printer, switch, sharp, laptop = (l2_network.hosts[i] for i in (5, 3, 8, 9))
    snmpd = _start_snmpd(l2_network, printer, tmp_path)
    sims = _start_recorded_devices(l2_network, [(switch, recording("network/switch/cisco-c3560")),
                                                (sharp, ROOT / "tests/fixtures/snmp/sharp-mx-3570n.snmprec")])
    try:
        secret = collector.cli("enroll-secret", "create", "--name", "e2e", "--quiet").strip()
        token = collector.cli("api-token", "create", "--name", "e2e", "--role", "auditor", "--quiet").strip()
        # A fleet machine on the scanned network, with an agent: its inventory names its NIC's MAC.
        fleet_env = _agent_env(f"http://{SCANNER_IP}:{collector.port}", secret, tmp_path / "laptop-agent")
        inventory = subprocess.run(["ip", "netns", "exec", laptop.namespace, sys.executable, "-m", "agent.cli", "run",
                                    "--once"], cwd=ROOT, env=fleet_env, capture_output=True, text=True, timeout=180)
        assert inventory.returncode == 0, inventory.stdout + inventory.stderr
        state = tmp_path / "agent"
        agent_env = _agent_env(collector.url, secret, state)
        enrolled = l2_network.run_in_scanner([sys.executable, "-m", "agent.cli", "enroll"], cwd=ROOT, env=agent_env)
        assert enrolled.returncode == 0, enrolled.stderr
        agent_id = enrolled.stdout.split()[-1]
        credentials = tmp_path / "snmp.toml"
        credentials.write_text(f'[[credential]]\nversion = "2c"\ncommunity = "{COMMUNITY}"\n')
        collector.cli("scan-profile", "create", "--name", "lab", "--range", "198.18.0.0/24", "--interface", "eth0",
                      "--interval", "3600", "--credentials-file", str(credentials), "--agent", agent_id)

        started = time.monotonic()
        run = l2_network.run_in_scanner([sys.executable, "-m", "agent.cli", "run", "--once"], cwd=ROOT, env=agent_env,
                                        timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr
        reported = re.search(r"scan profile 'lab': 1 report\(s\), (\d+) device\(s\); sent 1, spooled 0", run.stdout)
        # every host, and the devices the switch's ARP cache and forwarding table name
        assert reported and int(reported.group(1)) > len(l2_network.hosts), run.stdout
        assert time.monotonic() - started < 150

        unmanaged = _all_devices(collector, token, "false")
        hosts = {d["ip"]: d for d in unmanaged if d["ip"] in {h.ip for h in l2_network.hosts}}
        assert {ip: d["mac"] for ip, d in hosts.items()} == {h.ip: h.mac for h in l2_network.hosts if h is not laptop}
        managed = _all_devices(collector, token, "true")
        assert [(d["ip"], d["mac"]) for d in managed] == [(laptop.ip, laptop.mac)]
        assert managed[0]["asset_id"] and "eth0" in managed[0]["link_reason"]
        # type, vendor, model and serial from the recordings of real devices
        assert [hosts[switch.ip][key] for key in ("device_type", "vendor", "model", "serial")] == [
            "switch", "Cisco", "WS-C3560G-48TS-E", "FOC1408Z61U"]
        assert [hosts[sharp.ip][key] for key in ("device_type", "vendor", "serial")] == ["printer", "Sharp", "3502147X00"]
        assert hosts[sharp.ip]["page_count"] and "MX-3570N" in hosts[sharp.ip]["model"]
        learnt = [d for d in unmanaged if d["ip"] not in hosts]
        assert learnt and all(set(d["found_by"]) & {"router_arp", "switch_fdb"} for d in learnt)
        if snmpd is not None:  # the credentials went from the CLI, encrypted, through check-in to the poll
            assert hosts[printer.ip]["sys_name"] == "floor2-printer", hosts[printer.ip]
        profile = json.loads(collector.cli("scan-profile", "list", "--json"))["items"][0]
        assert profile["last_report_at"] and profile["last_report_by"] == agent_id

        again = l2_network.run_in_scanner([sys.executable, "-m", "agent.cli", "run", "--once"], cwd=ROOT,
                                          env=agent_env, timeout=180)
        assert "scan profile" not in again.stdout  # not due again for an hour
    finally:
        for sim in sims:
            sim.stop()
        if snmpd is not None:
            snmpd.terminate()
            snmpd.wait(timeout=10)
        collector.stop()
    leaks = [str(p) for p in state.rglob("*") if p.is_file() and COMMUNITY.encode() in p.read_bytes()]
    assert leaks == [] and COMMUNITY not in collector.log_path.read_text() + run.stdout + run.stderr
