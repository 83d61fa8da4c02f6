"""The demo's software licence compliance step (scripts/demo.py calls :func:`software_compliance`).

This machine's real packages are normalised to products; a small office reports through the
agents' API as its agents would (Windows laptops with their real Uninstall titles, a SQL Server
host and two SQL Server VMs); the sample entitlement file is imported; the positions are computed,
which raises an over-deployment exception and its remediation workflow; the Effective License
Position of one publisher is exported. Every step is a command or route a user would run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ENTITLEMENTS = ROOT / "config" / "sample-entitlements.csv"

# Real Windows "Uninstall" DisplayName / DisplayVersion / Publisher triples, as the agent reads them.
OFFICE = ("Microsoft Office Professional Plus 2019 - en-us", "16.0.10827.20138", "Microsoft Corporation")
ZOOM = ("Zoom Workplace (64-bit)", "6.2.11.51500", "Zoom Video Communications, Inc.")
ACROBAT = ("Adobe Acrobat (64-bit)", "24.004.20272", "Adobe")
IDEA = ("IntelliJ IDEA 2024.2.3", "242.23339.11", "JetBrains s.r.o.")
JAVA = ("Java 8 Update 421 (64-bit)", "8.0.4210.9", "Oracle Corporation")
SQL = ("Microsoft SQL Server 2019 (64-bit)", "15.0.2000.5", "Microsoft Corporation")
COMMON = [("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"), ("Mozilla Firefox (x64 en-US)", "131.0.2", "Mozilla"),
          ("Microsoft Edge", "129.0.2792.89", "Microsoft Corporation"),
          ("Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.40.33810", "14.40.33810.0",
           "Microsoft Corporation")]
# hostname, primary user, (vendor, model), cpu (sockets, cores), installed titles, programs run (days ago)
OFFICE_FLEET = [
    ("ws-demo-01", "alice", ("Dell Inc.", "Latitude 7440"), (1, 12), [OFFICE, ZOOM, ACROBAT], {"winword": 1, "zoom": 2}),
    ("ws-demo-02", "bob", ("Dell Inc.", "Latitude 7440"), (1, 12), [OFFICE, ZOOM, IDEA, JAVA], {"idea64": 1}),
    ("ws-demo-03", "carol", ("LENOVO", "21HD003XGE"), (1, 10), [OFFICE, ZOOM, ACROBAT], {"excel": 3}),
    ("ws-demo-04", "dave", ("LENOVO", "21HD003XGE"), (1, 10), [OFFICE, IDEA, JAVA], {"winword": 200}),
    ("db-demo-01", "svc-sql", ("HPE", "ProLiant DL380 Gen10"), (2, 16), [SQL], {"sqlservr": 0}),
    ("sql-vm-01", "svc-sql", ("VMware, Inc.", "VMware Virtual Platform"), (1, 8), [SQL], {"sqlservr": 0}),
    ("sql-vm-02", "svc-sql", ("VMware, Inc.", "VMware Virtual Platform"), (1, 2), [SQL], {"sqlservr": 0}),
]


def _report(hostname: str, user: str, hardware: tuple, cpu: tuple, titles: list, ran: dict, now: datetime) -> dict:
    vendor, model = hardware
    sockets, cores = cpu
    software = [{"name": n, "version": v, "publisher": p, "source": "registry", "arch": "x64"}
                for n, v, p in [*titles, *COMMON]]
    usage = [{"path": f"C:\\Program Files\\Demo\\{program}.exe",
              "last_seen_running": (now - timedelta(days=days)).replace(microsecond=0).isoformat()}
             for program, days in ran.items()]
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": "",
            "agent_version": "demo", "collected_at": now.replace(microsecond=0).isoformat(),
            "host": {"hostname": hostname, "serial": f"DEMO-{hostname.upper()}", "vendor": vendor, "model": model,
                     "smbios_uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, hostname))},
            "os": {"name": "Windows 11 Pro" if hostname.startswith("ws") else "Windows Server 2022 Standard",
                   "version": "10.0.22631", "arch": "x86_64"},
            "cpu": {"model": "Intel(R) Xeon(R)" if cores > 12 else "Intel(R) Core(TM) i7", "sockets": sockets,
                    "cores": sockets * cores, "threads": sockets * cores * (1 if "Virtual" in model else 2)},
            "users": {"logged_in": [user], "primary": user}, "software": software, "usage": usage}


def _send_office_fleet(base: str, secret: str, say: Callable[[str], None]) -> int:
    """Each machine enrols with the demo's enrolment secret and sends its report, as an agent does."""
    from agent.transport import CollectorClient

    client, now, sent = CollectorClient(base), datetime.now(timezone.utc), 0
    for hostname, user, hardware, cpu, titles, ran in OFFICE_FLEET:
        enrolled = client.enroll(secret, hostname, platform="windows")
        report = _report(hostname, user, hardware, cpu, titles, ran, now)
        client.post_inventory(enrolled["node_key"], {**report, "agent_id": enrolled["agent_id"]})
        sent += 1
    say(f"  {sent} machines of a demo office reported (Windows laptops with Office, Zoom, Acrobat, IntelliJ and "
        "Java; a SQL Server host with 2 x 16 cores and two SQL Server VMs)")
    return sent


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "collector.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def _indented(done: subprocess.CompletedProcess, lines: int = 40) -> str:
    text = (done.stdout.strip() or done.stderr.strip()).splitlines()
    shown = text[:lines] + ([f"... ({len(text) - lines} more lines)"] if len(text) > lines else [])
    return "  " + "\n  ".join(shown)


def _get(base: str, token: str, path: str) -> dict:
    import urllib.request

    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def _this_machine(base: str, token: str, asset_id: int, say: Callable[[str], None]) -> None:
    found = _get(base, token, f"/api/v1/sam/assets/{asset_id}/products")
    products = found["products"]
    names = ", ".join(f"{p['name']}{' ' + p['edition'] if p['edition'] else ''}"
                      f"{' ' + '/'.join(p['versions']) if p['versions'] else ''}" for p in products[:12])
    say(f"  this machine: {found['titles']} installed packages are {len(products)} products "
        f"({found['ignored']} libraries, patches and the OS's own packages; {found['uncovered']} no rule covers "
        f"yet, listed at /sam/titles for curation)")
    say(f"    {names}{', ...' if len(products) > 12 else ''}")


def software_compliance(base: str, token: str, secret: str, env: dict, data_dir: Path, asset_id: int,
                        say: Callable[[str], None]) -> None:
    """Normalise, import the entitlements, compute the positions, show the exception and its workflow, export."""
    say()
    say("== Software licence compliance (stocktake-collector sam ...) ==")
    _send_office_fleet(base, secret, say)
    say("  sam normalise:")
    say(_indented(_cli(env, "sam", "normalise")))
    _this_machine(base, token, asset_id, say)
    say(f"  sam entitlements import {SAMPLE_ENTITLEMENTS.relative_to(ROOT)}:")
    say(_indented(_cli(env, "sam", "entitlements", "import", str(SAMPLE_ENTITLEMENTS))))
    say("  sam positions --run:")
    say(_indented(_cli(env, "sam", "positions", "--run")))
    _over_deployment(base, token, env, say)
    say("  sam reclaim (installs whose program has not run for 90 days):")
    say(_indented(_cli(env, "sam", "reclaim"), 8))
    say("  sam renewals (subscriptions ending within 90/60/30 days, or expired):")
    say(_indented(_cli(env, "sam", "renewals"), 8))
    elp = data_dir / "elp-microsoft.xlsx"
    say(f"  sam elp --publisher Microsoft --format xlsx -o {elp}:")
    say(_indented(_cli(env, "sam", "elp", "--publisher", "Microsoft", "--format", "xlsx", "-o", str(elp))))
    say(f"  web: {base}/sam/ (overview), /sam/positions (chart, ELP and audit pack downloads), /sam/reclaim, "
        "/sam/renewals, /sam/entitlements, /sam/titles")


def _over_deployment(base: str, token: str, env: dict, say: Callable[[str], None]) -> None:
    exceptions = _get(base, token, "/api/v1/exceptions?kind=over_deployed&status=open")["items"]
    if not exceptions:
        say("  no product is over-deployed")
        return
    for exception in exceptions[:3]:
        say(f"  exception {exception['id']} (over_deployed): {exception['summary']}")
    listed = json.loads(_cli(env, "workflow", "list", "--template", "license_remediation", "--json").stdout or "{}")
    for workflow in listed.get("items", [])[:3]:
        say(f"    workflow {workflow['id']} (license_remediation) raised for it: stage {workflow['stage']}, "
            f"status {workflow['status']}")
