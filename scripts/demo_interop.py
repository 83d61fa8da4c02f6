"""`make demo`'s interop step (issue 15): the real Debian OCS Inventory agent reports to the demo collector.

A site secret is made with ``stocktake-collector foreign-sites create``; Debian's unmodified
``ocsinventory-agent`` is pointed at ``/ocsinventory/<secret>`` on the demo collector (loopback)
and run twice. The first run stores this machine's inventory over the OCS protocol; the second is
recognised as unchanged. Stocktake's own agent reported the same machine earlier in the demo, so
the OCS agent's report joins that asset when the two agree on SMBIOS UUID and serial (identity
rules, not agent ids): one machine, one asset, each observation naming the agent that sent it.
This step runs last, because the asset then belongs to the OCS agent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

__all__ = ["foreign_agent"]

ROOT = Path(__file__).resolve().parent.parent
AGENT_TIMEOUT_S = 300
SITE = "demo-office"


def foreign_agent(base: str, token: str, env: dict, data_dir: Path, first_asset_id: int, say: Callable) -> None:
    say()
    say("== Interop: Debian's ocsinventory-agent reports this machine over the OCS protocol "
        "(docs/migrating-from-ocs-glpi.md) ==")
    agent = shutil.which("ocsinventory-agent")
    if agent is None:
        say("  skipped: ocsinventory-agent is not installed (scripts/bootstrap-debian.sh installs it)")
        return
    created = subprocess.run([sys.executable, "-m", "collector.cli", "foreign-sites", "create", SITE, "--url", base],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if created.returncode != 0:
        say(f"  site not created: {created.stderr.strip()}")
        return
    secret = created.stdout.splitlines()[1].strip()
    say(f"  site {SITE!r} created (stocktake-collector foreign-sites create {SITE}); the agent is run as")
    say(f"    ocsinventory-agent --server {base}/ocsinventory/<site secret> --nolocal")
    state = data_dir / "ocs-agent"
    state.mkdir(exist_ok=True)
    command = [agent, "--server", f"{base}/ocsinventory/{secret}", "--nolocal", "--basevardir", str(state / "var"),
               "--logfile", str(state / "agent.log")]
    agent_env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(state), "LANG": "C.UTF-8"}
    for run in ("first run", "second run"):
        finished = subprocess.run(command, env=agent_env, cwd=state, capture_output=True, text=True,
                                  timeout=AGENT_TIMEOUT_S)
        outcome = _last_outcome(base, token)
        say(f"  {run}: exit {finished.returncode}, report {outcome}")
        if finished.returncode != 0:
            say(f"    see {state / 'agent.log'}")
            return
    asset = _ocs_asset(base, token)
    if asset is None:
        say("  no asset reported over the OCS protocol: see the collector log")
        return
    reporter = (asset.get("reported_by") or {}).get("label", "?")
    say(f"  asset {asset['id']} {asset.get('hostname')}: reported by {reporter}")
    if asset["id"] == first_asset_id:
        say(f"    the same asset as Stocktake's own agent's reports (asset {first_asset_id}): matched by SMBIOS UUID "
            "and serial, so the machine's history goes on")
    else:
        say(f"    a second asset beside Stocktake's own agent's (asset {first_asset_id}): this machine shows no SMBIOS "
            "UUID and serial (a container or a VM without DMI), and one machine is only recognised by both")
    memory = ((asset.get("hardware") or {}).get("memory") or {}).get("total_bytes") or 0
    say(f"    {asset.get('software_count') or 0} packages, {memory // 2**20} MiB of memory, "
        f"{len(asset.get('nics') or [])} NICs, {len(asset.get('disks') or [])} disks")


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _ocs_asset(base: str, token: str) -> dict | None:
    for item in _get(base + "/api/v1/assets?per_page=200", token)["items"]:
        detail = _get(f"{base}/api/v1/assets/{item['id']}", token)
        if (detail.get("reported_by") or {}).get("protocol") == "ocs":
            return detail
    return None


def _last_outcome(base: str, token: str) -> str:
    """The outcome of the OCS agent's latest report, from its asset's observations."""
    asset = _ocs_asset(base, token)
    if asset is None:
        return "not stored"
    observations = [o for o in asset.get("observations") or [] if ((o.get("agent") or {}).get("protocol")) == "ocs"]
    if not observations:
        return "not stored"
    latest = max(observations, key=lambda o: o["observation_id"])
    return "unchanged" if (latest.get("report_count") or 1) > 1 else "stored"
