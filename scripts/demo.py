"""`make demo`: run Stocktake on this machine with the embedded SQLite database.

Starts the collector (the production gunicorn command) on http://127.0.0.1:8000 with its
data under ./var/demo, creates an enrollment secret and an API token, enrols this machine's
agent, sends its real inventory, prints what the collector now knows (discovery, reconciliation,
workflows, software licence compliance), and keeps serving until Ctrl-C. Scans reach only
loopback and network namespaces the demo makes itself.

Each run starts from an empty data directory: a second run removes what the previous demo
left there (and says so), so the register it prints is this run's. It only ever removes a
directory carrying the demo's marker file; a directory the demo did not make is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Marks a data directory as the demo's own, the only kind a later run may empty: the
# collector's default data directory is ./var itself (credentials.key, stocktake.db).
MARKER = ".stocktake-demo"


def _say(text: str = "") -> None:
    print(text, flush=True)


def _shown(value: object) -> str:
    """A field for a fixed-width column: devices learnt from an ARP cache or a forwarding table
    lack most fields (no IP, no vendor, sometimes no MAC), and None takes no format spec."""
    return "-" if value is None or value == "" else str(value)


def unmanaged_line(device: dict) -> str:
    """One row of GET /api/v1/devices?managed=false."""
    return (f"  {_shown(device.get('ip')):<14} {_shown(device.get('mac')):<17}  {_shown(device.get('device_type')):<9} "
            f"{_shown(device.get('oui_vendor'))}")


def polled_line(device: dict) -> str:
    """One device of a `stocktake-agent scan` report, as polled by SNMP."""
    return (f"  {_shown(device.get('ip')):<10} {_shown(device.get('device_type')):<8} {_shown(device.get('vendor')):<16} "
            f"{_shown(device.get('model')):<22} serial {_shown(device.get('serial')):<12} "
            f"{len(device.get('interfaces') or [])} interfaces")


def _fresh_data_dir(data_dir: Path) -> str:
    """Empty the data directory a previous demo run left (its database, agent state, log), so
    that a second `make demo` neither crashes on nor mixes in the first run's records.
    Returns what was done, to be printed."""
    if data_dir.exists() and not data_dir.is_dir():
        raise SystemExit(f"demo: {data_dir} is not a directory; pass --data-dir with a new or empty directory")
    if data_dir.is_dir() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).is_file():
            raise SystemExit(f"demo: {data_dir} holds files the demo did not make; "
                             "remove them or pass --data-dir with a new or empty directory")
        shutil.rmtree(data_dir)
        said = f"removed the previous demo's data in {data_dir}"
    else:
        said = f"new data directory {data_dir}"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("Made by scripts/demo.py; the next demo run empties this directory.\n")
    return said


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _get(url: str, token: str | None = None) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait_ready(url: str, server: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"demo: the collector exited with status {server.returncode}; see {log}")
        try:
            _get(url + "/api/v1/health")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"demo: the collector did not answer within 30 s; see {log}")


def _credentials(env: dict) -> tuple[str, str]:
    os.environ.update(env)
    from collector.access.api_tokens import create_api_token
    from collector.access.enrollment import create_enrollment_secret
    from collector.config import load_config
    from collector.db import Database
    from collector.migrate import upgrade

    db = Database(load_config().effective_database_url)
    upgrade(db.engine)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    with db.write() as session:
        secret = create_enrollment_secret(session, f"demo-{stamp}").secret
        token = create_api_token(session, f"demo-{stamp}", "admin").token
    db.dispose()
    return secret, token


def _summary(base: str, token: str, agent_output: str) -> int:
    """Print the register as the API shows it; returns the first asset's id."""
    assets = _get(base + "/api/v1/assets", token)
    _say()
    _say("== What the collector now knows ==")
    _say(agent_output.strip())
    for item in assets["items"]:
        detail = _get(f"{base}/api/v1/assets/{item['id']}", token)
        hw, source = detail["hardware"], detail["hardware"]["provenance"] or {}
        _say(f"asset #{item['id']}: {_shown(item['hostname'])}  ({item['os'] or 'unknown OS'}, "
             f"kernel {_shown(detail['os']['kernel'])})")
        _say(f"  vendor/model : {_shown(item['vendor'])} / {_shown(item['model'])}   "
             f"serial: {item['serial'] or '- (needs root or SMBIOS)'}")
        _say(f"  cpu          : {_shown(hw['cpu']['model'])} ({_shown(hw['cpu']['cores'])} cores, "
             f"{_shown(hw['cpu']['threads'])} threads)")
        _say(f"  memory       : {(hw['memory']['total_bytes'] or 0) / 2**30:.1f} GiB")
        _say(f"  packages     : {len(detail['software'])}   NICs: {len(detail['nics'])}   disks: {len(detail['disks'])}")
        _say(f"  facts from   : report {_shown(source.get('report_id'))} collected {_shown(source.get('collected_at'))}")
    _say(f"assets in the register: {assets['total']}")
    return assets["items"][0]["id"] if assets["items"] else 1


def _send_scan(base: str, state_dir: Path, scan: subprocess.CompletedProcess) -> tuple[dict, dict] | None:
    """Send a `stocktake-agent scan --once` report as this machine's agent; (report, answer), or None if it failed."""
    from agent.state import load_identity
    from agent.transport import CollectorClient

    if scan.returncode != 0:
        _say(f"  scan failed: {scan.stderr.strip()}")
        return None
    identity = load_identity(str(state_dir))
    report = json.loads(scan.stdout)
    report["agent_id"] = identity.agent_id
    return report, CollectorClient(base).post_discovery(identity.node_key, report)


# A small lab network for the discovery demo: nothing real is ever scanned. Vendors by OUI.
LAB_MACS = ["3c:52:82:00:01:01", "3c:52:82:00:01:02", "b8:27:eb:00:01:03", "00:00:0c:00:01:04",
            "f0:18:98:00:01:05", "00:d0:ef:00:01:06"]


def _discovery(base: str, token: str, state_dir: Path) -> None:
    """Sweep a lab network built in namespaces (198.18.0.0/24) and send what was found."""
    _say()
    _say("== Discovery: ARP sweep of a lab network in network namespaces (198.18.0.0/24) ==")
    if os.geteuid() != 0 or not shutil.which("ip"):
        _say("  skipped: building the lab network needs root and iproute2")
        return
    sys.path.insert(0, str(ROOT))
    from tests.netns import build_l2_network, remove_l2_network

    network = build_l2_network(len(LAB_MACS), mac_for=lambda i: LAB_MACS[i])
    try:
        scan = network.run_in_scanner([sys.executable, "-m", "agent.cli", "scan", "--range", "198.18.0.0/24",
                                       "--interface", network.interface, "--once"], cwd=ROOT,
                                      env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    finally:
        remove_l2_network(network)
    sent = _send_scan(base, state_dir, scan)
    if sent is None:
        return
    _report, answer = sent
    _say(f"  found {answer['devices']} devices ({answer['linked']} linked to known assets); unmanaged:")
    for device in _get(base + "/api/v1/devices?managed=false", token)["items"]:
        _say(unmanaged_line(device))


# Recorded real devices (snmpsim-data) and a printer written by hand (tests/fixtures/snmp),
# served by snmpsim on loopback addresses: SNMP discovery with nothing real on the wire.
SIMULATED = (("127.0.5.1", "network/switch/cisco-c3560"), ("127.0.5.2", "network/switch/hpe-procurve-516733-b21"),
             ("127.0.5.3", "tests/fixtures/snmp/sharp-mx-3570n.snmprec"), ("127.0.5.4", "UPS/apc-7902b"),
             ("127.0.5.5", "network/wifi/ubiquiti-m5"))



def _snmp_discovery(base: str, token: str, state_dir: Path, data_dir: Path) -> None:
    """Poll simulated devices (snmpsim on 127.0.5.x) by SNMP alone and send what was found."""
    _say()
    _say("== Discovery: SNMP poll of recorded real devices, simulated by snmpsim on 127.0.5.1-5 ==")
    sys.path.insert(0, str(ROOT))
    try:
        from tests.snmpsim import POLL_SUBTREES, free_udp_port, recording, start_snmpsim
    except ImportError as exc:
        _say(f"  skipped: snmpsim is not installed ({exc})")
        return

    port, community, sims = free_udp_port(), "demo-ro", []
    try:
        for host, name in SIMULATED:
            source = ROOT / name if name.startswith("tests/") else recording(name)
            sims.append(start_snmpsim({community: source}, [(host, port)], POLL_SUBTREES + ("1.3.6.1.4.1.",)))
        credentials = data_dir / "demo-snmp.toml"
        credentials.write_text(f'[[credential]]\nname = "demo"\nversion = "2c"\ncommunity = "{community}"\n')
        targets = [argument for host, _name in SIMULATED for argument in ("--snmp-target", f"{host}:{port}")]
        scan = subprocess.run([sys.executable, "-m", "agent.cli", "scan", "--once", *targets,
                               "--snmp-credentials", str(credentials)], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    except (OSError, RuntimeError) as exc:
        _say(f"  skipped: snmpsim did not start ({exc})")
        return
    finally:
        for sim in sims:
            sim.stop()
    sent = _send_scan(base, state_dir, scan)
    if sent is None:
        return
    report, answer = sent
    polled = [d for d in report["devices"] if (d.get("ip") or "").startswith("127.0.5.")]
    _say(f"  polled {len(polled)} devices; {answer['devices']} devices stored, counting the "
         f"{len(report['devices']) - len(polled)} learnt from their ARP caches and forwarding tables")
    for device in polled:
        _say(polled_line(device))


def _web_logins(env: dict) -> list[tuple[str, str, str]]:
    """A demo admin and a demo auditor for the web UI, with fresh random passwords each run."""
    logins = []
    for username, role in (("demo-admin", "admin"), ("demo-operator", "operator"), ("demo-auditor", "auditor")):
        password = secrets.token_urlsafe(12)
        cli = [sys.executable, "-m", "collector.cli", "user"]
        done = subprocess.run([*cli, "create", username, "--role", role, "--password-stdin"], input=password + "\n",
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 and "exists" in (done.stderr + done.stdout):
            done = subprocess.run([*cli, "set-password", username, "--password-stdin"], input=password + "\n",
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            _say(f"  could not set up {username}: {(done.stderr or done.stdout).strip()}")
            continue
        logins.append((username, password, role))
    return logins


def _operations(base: str, data_dir: Path, env: dict) -> None:
    """What an operator watches and keeps: readiness, metrics, a backup whose audit log verifies."""
    _say()
    _say("== Operations: health, metrics, a backup (docs/operations.md) ==")
    _say(f"  ready: {_get(base + '/api/v1/health/ready').get('status')}  (GET /api/v1/health/ready; /health/live for restarts)")
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    wanted = ("stocktake_reports_total{", "stocktake_fleet_agents ", "stocktake_load_shed_total")
    for line in metrics.splitlines():
        if line.startswith(wanted):
            _say(f"  {line}")
    cli = [sys.executable, "-m", "collector.cli"]
    backup = data_dir / "backups" / "stocktake-backup.db"
    backup.parent.mkdir(exist_ok=True)
    made = subprocess.run([*cli, "db", "backup", "--to", str(backup)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    _say("  " + (made.stdout.strip() or made.stderr.strip()))
    verified = subprocess.run([*cli, "user", "verify-audit-log"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={**env, "STOCKTAKE_DATABASE_URL": f"sqlite:///{backup}"})
    _say("  the backup's " + (verified.stdout.strip() or verified.stderr.strip()))


def _reconciliation(base: str, token: str, data_dir: Path, env: dict) -> None:
    """Import the sample register (plus a row for this machine) and reconcile it."""
    _say()
    _say("== Reconciliation: the sample register (scripts/sample-cmdb.csv) against what was observed ==")
    this_host = _get(base + "/api/v1/assets", token)["items"][0]
    register = data_dir / "demo-cmdb.csv"
    sample = (ROOT / "scripts" / "sample-cmdb.csv").read_text(encoding="utf-8").rstrip("\n").splitlines()
    width = sample[0].count(",") + 1

    def row(**values) -> str:
        header = sample[0].split(",")
        return ",".join(values.get(name, "") for name in header)

    extra = [
        row(**{"Asset Tag": "LT-DEMO", "Name": "This machine", "Class": "Computer", "Status": "Deployed",
               "Hostname": this_host["hostname"], "Location": "Demo lab"}),
    ]  # the sample register already lists some of the lab network's MACs
    assert all(line.count(",") + 1 == width for line in extra)
    register.write_text("\n".join(sample + extra) + "\n", encoding="utf-8")
    cli = [sys.executable, "-m", "collector.cli"]
    imported = subprocess.run([*cli, "cmdb", "import", str(register)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    _say("  " + (imported.stdout.strip() or imported.stderr.strip()).replace("\n", "\n  "))
    if imported.returncode != 0:
        return
    run = subprocess.run([*cli, "reconcile", "--rows", "12"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    _say("  " + (run.stdout.strip() or run.stderr.strip()).replace("\n", "\n  "))
    _discovered_nodes(base, token)
    explain = subprocess.run([*cli, "reconcile", "--explain", "LT-DEMO"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    _say("  why LT-DEMO is this machine:")
    _say("  " + (explain.stdout.strip() or explain.stderr.strip()).replace("\n", "\n  "))


def _discovered_nodes(base: str, token: str) -> None:
    """The MACs learnt from other devices' tables: listed and searchable, raising no exception by policy."""
    nodes = _get(base + "/api/v1/devices?managed=false&quieted=policy&per_page=3", token)
    _say(f"  discovered nodes (not registered, no exception by policy): {nodes['total']}, for example:")
    for device in nodes["items"]:
        _say(f"    {_shown(device['mac']):<17}  {device['not_raised']['reason']}")


def _cli_json(env: dict, *args: str) -> dict:
    """One ``stocktake-collector`` command with --json; its answer, or the demo stops saying why."""
    done = subprocess.run([sys.executable, "-m", "collector.cli", *args, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"demo: stocktake-collector {' '.join(args[:3])} failed: {(done.stderr or done.stdout).strip()}")
    return json.loads(done.stdout)


def _act(env: dict, instance_id: int, task: str, actor: str, **fields: str) -> dict:
    """Complete ``task`` as ``actor`` (``stocktake-collector workflow act``), saying what happened."""
    args = ["workflow", "act", str(instance_id), task, "--as", actor]
    for name, value in fields.items():
        args += ["-d", f"{name}={value}"]
    shown = _cli_json(env, *args)
    ready = ", ".join(t["id"] for t in shown["ready_tasks"]) or "none"
    _say(f"    {task:<12} by {actor:<14} -> stage {shown['stage']:<13} status {shown['status']:<8} next: {ready}")
    return shown


def _validate(env: dict, instance_id: int, evidence_hint: str) -> dict:
    """The validation task: passes on the evidence, or an admin overrides it and says why."""
    args = ["workflow", "act", str(instance_id), "validate", "--as", "demo-operator"]
    done = subprocess.run([sys.executable, "-m", "collector.cli", *args, "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        shown = json.loads(done.stdout)
        _say(f"    validate     by demo-operator  -> passed on the evidence ({evidence_hint})")
        return shown
    _say(f"    validate     refused: {(done.stderr or done.stdout).strip()}")
    shown = _cli_json(env, *args[:-2], "--as", "demo-admin", "--override-reason", f"demo: {evidence_hint}")
    _say("    validate     overridden by demo-admin, with the reason recorded")
    return shown


def _workflows(base: str, token: str, env: dict, agent_env: dict, data_dir: Path) -> None:
    """A new-hire provisioning of this machine and an exception's resolution, each to closure."""
    _say()
    _say("== Workflows: new-hire provisioning of LT-DEMO, then an exception resolved (stocktake-collector workflow) ==")
    ci = next((c for c in _get(base + "/api/v1/cis?q=LT-DEMO", token)["items"] if c["asset_tag"] == "LT-DEMO"), None)
    asset = _get(base + "/api/v1/assets", token)["items"][0]
    if ci is None:
        _say("  LT-DEMO is not in the register (the import above failed): skipped")
        return
    user = (_get(f"{base}/api/v1/assets/{asset['id']}", token).get("primary_user") or "").strip()
    need_by = (datetime.now(timezone.utc) + timedelta(days=7)).date().isoformat()
    started = _cli_json(env, "workflow", "start", "ham_deployment", "--as", "demo-operator", "--ci", str(ci["id"]))
    wf = started["id"]
    _say(f"  workflow {wf} (ham_deployment) about CI {ci['id']} LT-DEMO, requested by demo-operator")
    shown = _act(env, wf, "request", "demo-operator", user=user or "demo-user", department="IT",
                 location="Demo lab", need_by=need_by, cost="1500")
    if any(t["id"] == "approve_cost" for t in shown["ready_tasks"]):
        _act(env, wf, "approve_cost", "demo-admin", decision="approve")  # the policy's approver, not the requester
    _act(env, wf, "deploy", "demo-operator", note="handed over at the demo desk")
    _act(env, wf, "document", "demo-operator", handover=f"LT-DEMO to {user or 'demo-user'}, Demo lab",
         delivered_on=datetime.now(timezone.utc).date().isoformat())
    again = subprocess.run([sys.executable, "-m", "agent.cli", "run", "--once"], env=agent_env, capture_output=True,
                           text=True, timeout=300)
    _say("    the agent reports again" + (" (stored)" if again.returncode == 0 else f" (failed: {again.stderr.strip()})"))
    hint = (f"the agent reports user {user}" if user else
            "this machine reports no logged-in user, so no agent evidence can show the new user")
    _validate(env, wf, hint)
    _act(env, wf, "close", "demo-operator")
    _exception_workflow(base, token, env, data_dir)
    kpis = subprocess.run([sys.executable, "-m", "collector.cli", "kpis", "--weeks", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    _say("  KPIs (stocktake-collector kpis):")
    _say("  " + (kpis.stdout.strip() or kpis.stderr.strip()).replace("\n", "\n  "))


def _exception_workflow(base: str, token: str, env: dict, data_dir: Path) -> None:
    """An unmanaged device's exception: its workflow (opened by the trigger), the device registered, closed."""
    exceptions = _get(base + "/api/v1/exceptions?kind=unmanaged&status=open&per_page=200", token)["items"]
    listed = _cli_json(env, "workflow", "list", "--template", "exception_resolution", "--status", "running",
                       "--limit", "1000")
    by_exception = {w["exception_id"]: w["id"] for w in listed["items"]}
    devices = {d["id"]: d for d in _get(base + "/api/v1/devices?managed=false&per_page=200", token)["items"]}
    for exception in exceptions:
        device = devices.get(exception["subject_id"]) if exception["subject_type"] == "device" else None
        if device and device.get("mac") and exception["id"] in by_exception:
            break
    else:
        _say("  no unmanaged device with a MAC and a workflow to resolve: skipped")
        return
    wf = by_exception[exception["id"]]
    _say(f"  workflow {wf} (exception_resolution), opened by Stocktake for exception {exception['id']}: "
         f"{exception['summary']}")
    _act(env, wf, "triage", "demo-operator", plan="register the device in the CMDB")
    register = data_dir / "demo-register-fix.csv"
    header = (ROOT / "scripts" / "sample-cmdb.csv").read_text(encoding="utf-8").splitlines()[0]
    values = {"Asset Tag": "NET-DEMO-1", "Name": device.get("sys_name") or "Lab device", "Class": "Network device",
              "Status": "Deployed", "IP Address": device.get("ip") or "", "MAC Address(es)": device["mac"],
              "Location": "Demo lab"}
    register.write_text(header + "\n" + ",".join(values.get(name, "") for name in header.split(",")) + "\n",
                        encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "collector.cli", "cmdb", "import", str(register)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
    _say("    fix: " + (imported.stdout.strip() or imported.stderr.strip()).splitlines()[0])
    _act(env, wf, "fix", "demo-operator", action_taken=f"registered {device['mac']} as NET-DEMO-1")
    _act(env, wf, "document", "demo-operator", record="DEMO-CHG-1")
    _validate(env, wf, "the reconciliation after the import resolved the exception")
    _act(env, wf, "close", "demo-operator")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "demo"),
                        help="emptied at start if a previous demo run made it; refused if anything else did")
    parser.add_argument("--once", action="store_true", help="print the summary and stop (no serving)")
    args = parser.parse_args()

    data_dir = Path(args.data_dir).resolve()
    base = f"http://{args.host}:{args.port}"
    # The port first: a demo still serving from this directory holds it, and its data must stay.
    if not _port_free(args.host, args.port):
        raise SystemExit(f"demo: {args.host}:{args.port} is already in use; stop what runs there or pass --port")
    said = _fresh_data_dir(data_dir)
    env = {"STOCKTAKE_DATA_DIR": str(data_dir), "STOCKTAKE_LOG_FORMAT": "json"}
    env_all = {k: v for k, v in os.environ.items() if k != "STOCKTAKE_CONFIG" and k != "STOCKTAKE_DATABASE_URL"}
    env_all.update(env)

    _say(f"== Stocktake demo: data in {data_dir} (SQLite) ==")
    _say(f"  {said}")
    secret, token = _credentials(env)
    log = open(data_dir / "collector.log", "ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:collector.gunicorn_conf", "-k", "gthread", "-w", "3", "--threads", "3", "-b", f"{args.host}:{args.port}",
         "--no-control-socket", "collector.app:create_app()"],
        cwd=ROOT, env=env_all, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_ready(base, server, data_dir / "collector.log")
        _say(f"collector up at {base} (gunicorn, 3 workers; log: {data_dir / 'collector.log'})")
        agent_env = {**env_all, "STOCKTAKE_AGENT_CONFIG": os.devnull, "STOCKTAKE_AGENT_SERVER_URL": base,
                     "STOCKTAKE_AGENT_ENROLL_SECRET": secret, "STOCKTAKE_AGENT_STATE_DIR": str(data_dir / "agent-state")}
        agent = subprocess.run([sys.executable, "-m", "agent.cli", "run", "--once"], env=agent_env,
                               capture_output=True, text=True, timeout=300)
        if agent.returncode != 0:
            raise SystemExit(f"demo: the agent failed: {agent.stderr.strip()}")
        first_id = _summary(base, token, agent.stdout)
        _discovery(base, token, data_dir / "agent-state")
        _snmp_discovery(base, token, data_dir / "agent-state", data_dir)
        _reconciliation(base, token, data_dir, env_all)
        logins = _web_logins(env_all)
        _workflows(base, token, env_all, agent_env, data_dir)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from demo_sam import software_compliance  # scripts/demo_sam.py, beside this script

        software_compliance(base, token, secret, env_all, data_dir, first_id, _say)
        from demo_web import daily_work  # scripts/demo_web.py: the web UI as an auditor uses it

        daily_work(base, token, logins, _say)
        _operations(base, data_dir, env_all)
        from demo_interop import foreign_agent  # scripts/demo_interop.py: a real OCS agent; last, it takes the asset

        foreign_agent(base, token, env_all, data_dir, first_id, _say)
        _say()
        _say("== Try it ==")
        _say(f"  web UI: {base}/  (demo logins, new passwords each run)")
        for username, password, role in logins:
            _say(f"    {username:<13} {password}   ({role})")
        _say(f"  API token (admin, shown once): {token}")
        _say(f"  curl -H 'Authorization: Bearer {token}' {base}/api/v1/assets")
        _say(f"  curl -H 'Authorization: Bearer {token}' {base}/api/v1/assets/{first_id}")
        _say(f"  curl -H 'Authorization: Bearer {token}' '{base}/api/v1/devices?managed=false'")
        _say(f"  curl -H 'Authorization: Bearer {token}' '{base}/api/v1/devices?quieted=policy&q=00:1b'")
        _say(f"  curl -H 'Authorization: Bearer {token}' '{base}/api/v1/reconciliation?outcome=unmanaged'")
        _say(f"  curl -H 'Authorization: Bearer {token}' '{base}/api/v1/exceptions?status=open'")
        _say(f"  OpenAPI document: {base}/api/v1/openapi.json")
        _say(f"  Prometheus metrics: curl {base}/metrics")
        _say(f"  send again: STOCKTAKE_AGENT_SERVER_URL={base} STOCKTAKE_AGENT_STATE_DIR={data_dir / 'agent-state'} "
             f"{Path(sys.executable).parent / 'stocktake-agent'} run --once")
        if args.once:
            return 0
        _say("\nServing until Ctrl-C ...")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while server.poll() is None:
            time.sleep(0.5)
        return server.returncode or 0
    except KeyboardInterrupt:
        _say("\nstopping the collector ...")
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()
        _say("stopped.")


if __name__ == "__main__":
    sys.exit(main())
