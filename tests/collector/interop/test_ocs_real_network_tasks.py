"""FusionInventory's real network tasks against a real snmpd on loopback, their results posted to a
live collector by FusionInventory's own injector: NETDISCOVERY and SNMPQUERY become devices.

Only 127.0.0.1 is scanned (a one-address range), so nothing leaves the machine.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from collector.models import Agent, Device, Observation
from tests.agent.discovery.test_snmp_sweep import COMMUNITY, free_udp_port, start_snmpd, stop, wait_until_answering

TOOLS = {name: shutil.which(name) for name in ("fusioninventory-netdiscovery", "fusioninventory-netinventory",
                                               "fusioninventory-injector")}
TIMEOUT_S = 120
SNMPD_CONFIG = """\
agentAddress udp:127.0.0.1:{port}
rocommunity stocktake-ro 127.0.0.1
sysName lab-switch-01
sysLocation rack 4
sysContact noc@example.org
"""

pytestmark = pytest.mark.skipif(None in TOOLS.values(), reason="fusioninventory-agent-task-network is not installed "
                                                               "(scripts/bootstrap-debian.sh installs it)")


@pytest.fixture
def snmp_port(tmp_path):
    port = free_udp_port()
    process = start_snmpd(tmp_path / "snmpd", SNMPD_CONFIG.format(port=port))
    try:
        wait_until_answering([("127.0.0.1", port)], COMMUNITY)
        yield port
    finally:
        stop(process)


def _run(command: list[str], tmp_path: Path) -> bytes:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, timeout=TIMEOUT_S, check=False)
    assert finished.returncode == 0, (finished.stdout + finished.stderr).decode(errors="replace")[-3000:]
    return finished.stdout


def test_netdiscovery_and_netinventory_results_become_a_device(live_server, database, make_site, snmp_port, tmp_path):
    snmp = ["--port", str(snmp_port), "--community", COMMUNITY.community]
    _run([TOOLS["fusioninventory-netdiscovery"], "--first", "127.0.0.1", "--last", "127.0.0.1", *snmp,
          "--save", str(tmp_path)], tmp_path)
    discovery = tmp_path / "netdiscovery" / "127.0.0.1.xml"
    assert b"<QUERY>NETDISCOVERY</QUERY>" in discovery.read_bytes()
    inventory = tmp_path / "netinventory.xml"
    inventory.write_bytes(_run([TOOLS["fusioninventory-netinventory"], "--host", "127.0.0.1", *snmp], tmp_path))
    assert b"<QUERY>SNMPQUERY</QUERY>" in inventory.read_bytes()

    site = make_site("scanners")
    for result in (discovery, inventory):
        _run([TOOLS["fusioninventory-injector"], "--file", str(result), "--url",
              f"{live_server.url}/ocsinventory/{site.secret}", "--useragent", "FusionInventory-Agent_v2.6", "-v"],
             tmp_path)

    with database.session() as session:
        (device,) = session.execute(select(Device).where(Device.sys_name == "lab-switch-01")).scalars().all()
        assert (device.vendor, device.ip) == ("Net-SNMP", "127.0.0.1")
        assert device.sys_descr.startswith("Linux")
        agent = session.execute(select(Agent).where(Agent.protocol == "fusioninventory")).scalar_one()
        kinds = session.execute(select(Observation.kind).where(Observation.agent_id == agent.id)).scalars().all()
    assert sorted(kinds) == ["discovery", "discovery"]
