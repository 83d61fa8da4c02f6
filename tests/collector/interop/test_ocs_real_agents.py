"""The real Debian agents (ocsinventory-agent, fusioninventory-agent) report this machine to a
live collector (gunicorn) over loopback, and Stocktake stores what its own agent stores.

Each test first stores this machine as Stocktake's own agent sees it (agent.runner's real probes,
posted to the same server), keeps the stored facts, then runs the foreign agent twice: the first
run is stored, the second recognised as unchanged. The agents' state (device id, last state)
lives in the test's tmp directory; their system configuration under /etc is not read (OCS:
``--nolocal`` and explicit options; Fusion: an empty --conf-file and a tmp vardir).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from collector.models import Agent, Asset, AssetDisk, AssetNic, ReportReceipt

OCS_AGENT = shutil.which("ocsinventory-agent")
FUSION_AGENT = shutil.which("fusioninventory-agent")
FUSION_LIB = Path("/usr/share/fusioninventory/lib")
AGENT_TIMEOUT_S = 240


@pytest.fixture
def native_facts(live_server, database, make_agent):
    """What Stocktake's own agent stores for this machine, stored through the same server."""
    from agent.runner import collect_inventory

    agent = make_agent(hostname="native")
    report = collect_inventory(agent.agent_id)
    response = requests.post(f"{live_server.url}/api/v1/inventory", json=report, timeout=60,
                             headers={"Authorization": f"Bearer {agent.node_key}"})
    assert response.status_code == 201, response.text
    return _stored_facts(database, agent.agent_id)


def _stored_facts(database, agent_id: str) -> dict:
    with database.session() as session:
        asset = session.execute(select(Asset).where(Asset.agent_id == agent_id)).scalar_one()
        nics = session.execute(select(AssetNic.mac).where(AssetNic.asset_id == asset.id)).scalars().all()
        disks = session.execute(select(AssetDisk.name, AssetDisk.size_bytes).where(AssetDisk.asset_id == asset.id)).all()
        return {
            "asset_id": asset.id, "hostname": asset.hostname, "serial": asset.serial, "smbios_uuid": asset.smbios_uuid,
            "cpu": (asset.cpu_model, asset.cpu_sockets, asset.cpu_cores, asset.cpu_threads),
            "memory_bytes": asset.memory_bytes, "macs": sorted(mac for mac in nics if mac),
            "disks": dict(disks), "software_count": asset.software_count,
        }


def _assert_same_machine(foreign: dict, native: dict) -> None:
    assert foreign["hostname"] == native["hostname"]
    assert (foreign["serial"], foreign["smbios_uuid"]) == (native["serial"], native["smbios_uuid"])
    assert foreign["cpu"] == native["cpu"]
    # The agents report MiB (MemTotal / 1024, rounded down); the native agent bytes.
    assert abs(foreign["memory_bytes"] - native["memory_bytes"]) < 1024 * 1024
    assert foreign["macs"] == native["macs"]
    assert foreign["disks"].keys() == native["disks"].keys()
    for name, size in native["disks"].items():  # DISKSIZE is decimal MB (Fusion drops the fraction)
        assert abs(foreign["disks"][name] - size) < 1_000_000, name
    assert foreign["software_count"] == native["software_count"] > 0


def _foreign_agent(database, protocol: str) -> tuple[str, str]:
    with database.session() as session:
        row = session.execute(select(Agent.id, Agent.agent_version).where(Agent.protocol == protocol)).one()
        return row.id, row.agent_version


def _outcomes(database, agent_id: str) -> list[str]:
    with database.session() as session:
        return list(session.execute(select(ReportReceipt.outcome).where(ReportReceipt.agent_id == agent_id)
                                    .order_by(ReportReceipt.received_at)).scalars())


def _run(command: list[str], tmp_path: Path, log: Path) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    finished = subprocess.run(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=AGENT_TIMEOUT_S, check=False)
    output = finished.stdout.decode(errors="replace") + (log.read_text(errors="replace") if log.exists() else "")
    assert finished.returncode == 0, output[-3000:]


@pytest.mark.skipif(OCS_AGENT is None, reason="ocsinventory-agent is not installed (scripts/bootstrap-debian.sh installs it)")
def test_ocsinventory_agent_reports_this_machine_as_the_native_agent_does(live_server, database, make_site,
                                                                           native_facts, tmp_path):
    site = make_site("ocs-lab")
    log = tmp_path / "ocs.log"
    command = [OCS_AGENT, "--server", f"{live_server.url}/ocsinventory/{site.secret}", "--nolocal",
               "--basevardir", str(tmp_path / "ocs-var"), "--logfile", str(log), "--info"]
    _run(command, tmp_path, log)

    agent_id, version = _foreign_agent(database, "ocs")
    assert version.startswith("ocsinventory-agent 2.")
    _assert_same_machine(_stored_facts(database, agent_id), native_facts)

    _run(command, tmp_path, log)  # the same machine again: the device id persisted in basevardir
    assert _outcomes(database, agent_id) == ["stored", "unchanged"]
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(Agent).where(Agent.protocol == "ocs")).scalar() == 1


def _fusion_command(tmp_path: Path) -> list[str]:
    """fusioninventory-agent with its state directory in tmp: its setup.pm (vardir) is shadowed
    by one in tmp, put first on @INC by a copy of the script; nothing else changes."""
    shim = tmp_path / "fusion-lib"
    shim.mkdir()
    setup = (FUSION_LIB / "setup.pm").read_text()
    (shim / "setup.pm").write_text(setup.replace("/var/lib/fusioninventory-agent", str(tmp_path / "fusion-var")))
    script = Path(FUSION_AGENT).read_text()
    original = f'use lib "{FUSION_LIB}";'
    assert original in script
    (tmp_path / "fusioninventory-agent").write_text(script.replace(original, f'{original}\nuse lib "{shim}";', 1))
    (tmp_path / "agent.cfg").write_text("")
    return ["perl", str(tmp_path / "fusioninventory-agent"), "--conf-file", str(tmp_path / "agent.cfg"),
            "--tasks", "inventory", "--no-httpd", "--logfile", str(tmp_path / "fusion.log")]


@pytest.mark.skipif(FUSION_AGENT is None or not (FUSION_LIB / "setup.pm").exists(),
                    reason="fusioninventory-agent is not installed (scripts/bootstrap-debian.sh installs it)")
def test_fusioninventory_agent_reports_this_machine_as_the_native_agent_does(live_server, database, make_site,
                                                                             native_facts, tmp_path):
    site = make_site("fusion-lab")
    command = _fusion_command(tmp_path) + ["--server", f"{live_server.url}/ocsinventory/{site.secret}"]
    log = tmp_path / "fusion.log"
    _run(command, tmp_path, log)

    agent_id, version = _foreign_agent(database, "fusioninventory")
    assert version.startswith("fusioninventory-agent 2.")
    _assert_same_machine(_stored_facts(database, agent_id), native_facts)

    _run(command, tmp_path, log)
    assert _outcomes(database, agent_id) == ["stored", "unchanged"]
    assert (tmp_path / "fusion-var").is_dir()  # its state stayed in tmp


@pytest.mark.skipif(OCS_AGENT is None, reason="ocsinventory-agent is not installed (scripts/bootstrap-debian.sh installs it)")
def test_ocsinventory_agent_authenticates_with_http_basic_as_documented(live_server, database, make_site, tmp_path):
    """docs/migrating-from-ocs-glpi.md: a plain URL with user, password and realm=Stocktake; the
    agent (2.10, Ocsinventory::Agent::Encrypt) takes user and password base64-encoded."""
    site = make_site("ocs-basic")
    log = tmp_path / "ocs.log"
    _run([OCS_AGENT, "--server", f"{live_server.url}/ocsinventory", "--nolocal", "--user", _base64("paris"),
          "--password", _base64(site.secret), "--realm", "Stocktake", "--basevardir", str(tmp_path / "ocs-var"),
          "--logfile", str(log)], tmp_path, log)
    agent_id, _ = _foreign_agent(database, "ocs")
    assert _outcomes(database, agent_id) == ["stored"]
    with database.session() as session:
        assert session.execute(select(Agent.site_id).where(Agent.id == agent_id)).scalar() == site.site_id


@pytest.mark.skipif(FUSION_AGENT is None or not (FUSION_LIB / "setup.pm").exists(),
                    reason="fusioninventory-agent is not installed (scripts/bootstrap-debian.sh installs it)")
def test_fusioninventory_agent_authenticates_with_http_basic_as_documented(live_server, database, make_site, tmp_path):
    """Fusion answers the Basic challenge with the realm it names: user and password suffice."""
    site = make_site("fusion-basic")
    _run(_fusion_command(tmp_path) + ["--server", f"{live_server.url}/ocsinventory", "--user", "paris",
                                      "--password", site.secret], tmp_path, tmp_path / "fusion.log")
    agent_id, _ = _foreign_agent(database, "fusioninventory")
    assert _outcomes(database, agent_id) == ["stored"]


def _base64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()
