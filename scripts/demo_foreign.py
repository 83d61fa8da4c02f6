"""`make demo`'s foreign-agent step: the real Debian OCS Inventory agent reports this machine.

A site secret is made with ``stocktake-collector foreign-sites create``, then ``ocsinventory-agent``
(installed by scripts/bootstrap-debian.sh) runs twice against ``/ocsinventory/<secret>``, its state
kept in the demo's data directory: the first run is stored, the second recognised as unchanged.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ocs_agent_reports"]


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _site_secret(base: str, env: dict) -> str | None:
    created = subprocess.run([sys.executable, "-m", "collector.cli", "foreign-sites", "create", "demo-office", "--url", base],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    found = re.search(r"stkf_[A-Za-z0-9_\-]+", created.stdout)
    return found.group() if created.returncode == 0 and found else None


def ocs_agent_reports(base: str, token: str, env: dict, data_dir: Path, say: Callable[[str], None]) -> None:
    say("")
    say("== An OCS Inventory agent already on this machine ==")
    agent = shutil.which("ocsinventory-agent")
    if agent is None:
        say("  skipped: ocsinventory-agent is not installed (scripts/bootstrap-debian.sh installs it)")
        return
    secret = _site_secret(base, env)
    if secret is None:
        say("  skipped: could not create the foreign-agent site")
        return
    state = data_dir / "ocs-agent"
    state.mkdir(exist_ok=True)
    say(f"  site demo-office created; the agent's line: server={base}/ocsinventory/stkf_…")
    for run in ("first", "second"):
        done = subprocess.run([agent, "--server", f"{base}/ocsinventory/{secret}", "--nolocal", "--basevardir",
                               str(state), "--logfile", str(state / "agent.log")],
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(state), "LANG": "C.UTF-8"},
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            say(f"  the agent's {run} run failed (log: {state / 'agent.log'})")
            return
    for item in _get(base + "/api/v1/assets?per_page=100", token)["items"]:
        detail = _get(f"{base}/api/v1/assets/{item['id']}", token)
        reporter = detail.get("reported_by") or {}
        if reporter.get("protocol") != "ocs":
            continue
        runs = max((o["report_count"] for o in detail["observations"] if o["agent"] and
                    o["agent"]["protocol"] == "ocs"), default=0)
        say(f"  asset #{item['id']}: {item['hostname']}, reported by {reporter['label']}")
        say(f"    packages: {len(detail['software'])}   NICs: {len(detail['nics'])}   disks: {len(detail['disks'])}"
            f"   reports: {runs} (the second one unchanged, stored as one observation)")
