"""Per-inventory ingest of the foreign agents' formats next to Stocktake's own, through gunicorn.

The same machines (tests/factories.py reports: 1,500 packages each, drawn from a shared pool)
are written three ways and posted over loopback to one production server command:
  native  POST /api/v1/inventory, gzip JSON, node key (what bench/ingest.py measures);
  glpi    POST /glpi/<site secret>, zlib JSON in GLPI's inventory format, GLPI-Agent-ID header;
  ocs     POST /ocsinventory/<site secret>, zlib OCS XML (<REQUEST><QUERY>INVENTORY ...).
GLPI also runs a third phase, postponed: what GLPI agents send between full inventories by
default (full-inventory-postpone), a partial message with only HARDWARE and BIOS when nothing
changed, merged into the last stored report and recognised as unchanged.
Each format has its own machines (distinct serials and UUIDs, so nothing is adopted across
formats) and runs two phases: first-time (each device's first report) and unchanged (the same
content again). Prints reports/s per format and phase, ratios to native, and the Debian OCS
server anchor; the last line is JSON.

    python bench/interop.py [--db postgresql|sqlite] [--quick]

Targets (issue 15): each foreign format >= 0.5x native, and >= 50x faster than the Debian OCS
server's ~1.4 s per inventory measured on this machine kind (i.e. >= 36 inventories/s).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import sys
import tempfile
import uuid
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Collector, post_all, prepare_database, wait_facts_drained  # noqa: E402
from tests.factories import ReportFactory  # noqa: E402

OCS_SERVER_S_PER_INVENTORY = 1.4
TARGET_RATIO = 0.5  # each foreign format's throughput against native's, same phase, same run
FORMATS = ("native", "glpi", "ocs")
MiB = 1024 * 1024


def _prepare(url: str, agents: int) -> tuple[list[tuple[str, str]], str]:
    """Enrolled native agents (id, node key) and a foreign-agent site secret."""
    from collector.access.enrollment import create_enrollment_secret, enroll_agent
    from collector.access.foreign_sites import create_foreign_site
    from collector.db import Database
    from common.schema import EnrollRequest

    db = Database(url)
    native = []
    with db.write() as session:
        secret = create_enrollment_secret(session, "bench").secret
        for n in range(agents):
            enrolled = enroll_agent(session, EnrollRequest(enroll_secret=secret, hostname=f"native-{n}"))
            native.append((enrolled.agent_id, enrolled.node_key))
        site = create_foreign_site(session, "bench")
    db.dispose()
    return native, site.secret


def glpi_message(report: dict) -> dict:
    """The GLPI agent's JSON for the machine a native report describes."""
    host, cpu, memory = report["host"], report.get("cpu") or {}, report.get("memory") or {}
    return {"action": "inventory", "deviceid": f"{host['hostname']}-2026-03-01-00-00-00", "itemtype": "Computer",
            "content": {
                "versionclient": "GLPI-Agent_v1.11",
                "hardware": {"name": host["hostname"], "uuid": host.get("smbios_uuid"),
                             "memory": memory.get("total_bytes", 0) // MiB},
                "bios": {"ssn": host.get("serial"), "smanufacturer": host.get("vendor"), "smodel": host.get("model")},
                "operatingsystem": {"name": report["os"]["name"], "version": report["os"].get("version"),
                                    "kernel_name": "linux", "kernel_version": report["os"].get("kernel")},
                "cpus": [{"name": cpu.get("model"), "core": cpu.get("cores", 1), "thread": cpu.get("threads", 1)}],
                "storages": [{"name": disk["name"], "model": disk.get("model"), "serial": disk.get("serial"),
                              "disksize": (disk.get("size_bytes") or 0) // 1_000_000} for disk in report["disks"]],
                "networks": [{"description": nic["name"], "mac": nic.get("mac"), "ipaddress": address,
                              "type": "ethernet", "virtualdev": nic.get("virtual", False)}
                             for nic in report["nics"] for address in nic.get("ipv4") or [None]],
                "softwares": [{"name": item["name"], "version": item.get("version"), "publisher": item.get("publisher"),
                               "arch": item.get("arch"), "from": "deb"} for item in report["software"]],
            }}


def ocs_xml(report: dict) -> bytes:
    """The OCS agent's XML for the machine a native report describes."""
    host, cpu, memory = report["host"], report.get("cpu") or {}, report.get("memory") or {}

    def element(tag, value):
        return f"<{tag}>{escape(str(value))}</{tag}>" if value not in (None, "") else ""

    parts = ["<?xml version='1.0' encoding='UTF-8'?><REQUEST><CONTENT><HARDWARE>",
             element("NAME", host["hostname"]), element("UUID", host.get("smbios_uuid")),
             element("MEMORY", memory.get("total_bytes", 0) // MiB), element("OSNAME", report["os"]["name"]),
             element("OSVERSION", report["os"].get("version")), "</HARDWARE><BIOS>",
             element("SSN", host.get("serial")), element("SMANUFACTURER", host.get("vendor")),
             element("SMODEL", host.get("model")), "</BIOS><CPUS>", element("TYPE", cpu.get("model")),
             element("CORES", cpu.get("cores")), element("LOGICAL_CPUS", cpu.get("threads")), "</CPUS>"]
    for disk in report["disks"]:
        parts += ["<STORAGES>", element("NAME", disk["name"]), element("MODEL", disk.get("model")),
                  element("SERIALNUMBER", disk.get("serial")), element("TYPE", "disk"),
                  element("DISKSIZE", (disk.get("size_bytes") or 0) // 1_000_000), "</STORAGES>"]
    for nic in report["nics"]:
        for address in nic.get("ipv4") or [None]:
            parts += ["<NETWORKS>", element("DESCRIPTION", nic["name"]), element("MACADDR", nic.get("mac")),
                      element("IPADDRESS", address), "</NETWORKS>"]
    for item in report["software"]:
        parts += ["<SOFTWARES>", element("NAME", item["name"]), element("VERSION", item.get("version")),
                  element("PUBLISHER", item.get("publisher")), element("FROM", "deb"), "</SOFTWARES>"]
    parts.append(f"</CONTENT><DEVICEID>{escape(host['hostname'])}-2026-03-01-00-00-00</DEVICEID>"
                 "<QUERY>INVENTORY</QUERY></REQUEST>")
    return "".join(parts).encode()


def glpi_postponed(message: dict) -> dict:
    """The partial message a GLPI agent sends when no section's checksum changed."""
    content = {key: message["content"][key] for key in ("versionclient", "hardware", "bios")}
    return {**message, "partial": True, "content": content}


def _requests(native, secret: str, software: int, rounds: int) -> dict[str, tuple[list, ...]]:
    """Pre-built (path, headers, body, expected) per format and phase: no JSON work during the run."""
    factory = ReportFactory(seed=11, pool_size=max(6000, software * 4))
    built = {name: ([], [], []) for name in FORMATS}
    for n, (agent_id, key) in enumerate(native):
        for offset, name in enumerate(FORMATS):
            report = factory.report(agent_id, software_count=software, host_seed=n + offset * 100_000)
            if name == "native":
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
                first = ("/api/v1/inventory", headers, gzip.compress(json.dumps(report).encode(), 6), b'"stored"')
                again = [("/api/v1/inventory", headers,
                          gzip.compress(json.dumps({**report, "report_id": str(uuid.uuid4())}).encode(), 6),
                          b'"unchanged"') for _ in range(rounds)]
            elif name == "glpi":
                headers = {"Content-Type": "application/x-compress-zlib", "GLPI-Agent-ID": str(uuid.uuid4()),
                           "User-Agent": "GLPI-Agent_v1.11"}
                message = glpi_message(report)
                first = (f"/glpi/{secret}", headers, zlib.compress(json.dumps(message).encode(), 6), None)
                again = [first] * rounds  # an unchanged machine sends the same bytes again
                postponed = zlib.compress(json.dumps(glpi_postponed(message)).encode(), 6)
                built[name][2].extend([(f"/glpi/{secret}", headers, postponed, None)] * rounds)
            else:
                headers = {"Content-Type": "application/x-compress", "User-Agent": "OCS-NG_unified_unix_agent_v2.10.0"}
                first = (f"/ocsinventory/{secret}", headers, zlib.compress(ocs_xml(report), 6), None)
                again = [first] * rounds
            built[name][0].append(first)
            built[name][1].extend(again)
    return built


def _run_phase(port: int, requests: list, clients: int) -> float:
    """Send every (path, headers, body, expected) once from ``clients`` keep-alive connections; the
    wall time until the last answer and the reconciliation the reports caused. An answer must be
    a success holding ``expected`` (when given)."""
    def accept(request, status: int, payload: bytes) -> bool:
        expected = request[3]
        return status < 300 and (expected is None or expected in payload)

    # Until the reconciliation these reports caused has run too (batched after the answers).
    return post_all(port, requests, clients, accept)[0] + wait_facts_drained(port)


def _targets_met(figures: dict) -> bool:
    """Issue 15's targets: every foreign phase >= 0.5x native, and every foreign format's
    first-time and unchanged ingest >= 50x the Debian OCS server's rate."""
    floor = 50 / OCS_SERVER_S_PER_INVENTORY
    return all(figures[f"{name}_{phase}_ratio"] >= TARGET_RATIO and figures[f"{name}_{phase}_rps"] >= floor
               for name in ("glpi", "ocs") for phase in ("first", "unchanged"))


def _wire_unchanged(port: int) -> dict[str, int]:
    """Foreign inventories the server recognised from their bytes (stocktake_foreign_wire_unchanged_total)."""
    import re

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    return {protocol: int(float(value)) for protocol, value in
            re.findall(r'^stocktake_foreign_wire_unchanged_total\{protocol="(\w+)"\} (\S+)$', text, re.M)}


def _observations(url: str) -> dict[str, int]:
    """Observations per agent protocol: first-time reports add one each, unchanged ones none."""
    from sqlalchemy import func, select

    from collector.db import Database
    from collector.models import Agent, Observation

    db = Database(url)
    with db.session() as session:
        rows = session.execute(select(Agent.protocol, func.count(Observation.id))
                               .join(Observation, Observation.agent_id == Agent.id).group_by(Agent.protocol)).all()
    db.dispose()
    return {getattr(protocol, "value", protocol): total for protocol, total in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--quick", action="store_true", help="fewer machines, for CI and a first look")
    parser.add_argument("--agents", type=int, help="machines per format (default 150, quick 30)")
    parser.add_argument("--software", type=int, default=1500, help="packages per inventory")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    agents = args.agents or (30 if args.quick else 150)
    rounds = 2

    figures: dict = {"db": args.db, "agents_per_format": agents, "software_per_report": args.software}
    with tempfile.TemporaryDirectory(prefix="stocktake-bench-") as tmp:
        workdir = Path(tmp)
        url, cleanup = prepare_database(args.db, workdir)
        try:
            native, secret = _prepare(url, agents)
            print(f"preparing {agents} machines x 3 formats x {args.software} packages ...", flush=True)
            requests = _requests(native, secret, args.software, rounds)
            server = Collector(url, workdir, args.workers, args.threads, extra_env={"STOCKTAKE_SHED_QUEUE_WAIT_MS": "0"})
            try:
                for name in FORMATS:
                    first, unchanged, postponed = requests[name]
                    figures[f"{name}_first_rps"] = round(len(first) / _run_phase(server.port, first, args.clients), 1)
                    figures[f"{name}_unchanged_rps"] = round(
                        len(unchanged) / _run_phase(server.port, unchanged, args.clients), 1)
                    if postponed:
                        figures[f"{name}_postponed_rps"] = round(
                            len(postponed) / _run_phase(server.port, postponed, args.clients), 1)
                wire = _wire_unchanged(server.port)
            finally:
                server.stop()
            stored = _observations(url)
        finally:
            cleanup()

    expected = {"stocktake": agents, "glpi": agents, "ocs": agents}
    if {key: stored.get(key, 0) for key in expected} != expected:
        raise SystemExit(f"bench: expected one observation per machine (unchanged reports add none), got {stored}")
    for name in ("glpi", "ocs"):
        for phase in ("first", "unchanged"):
            figures[f"{name}_{phase}_ratio"] = round(figures[f"{name}_{phase}_rps"] / figures[f"native_{phase}_rps"], 2)
    for name in ("glpi", "ocs"):  # every unchanged foreign report should have been recognised unparsed
        figures[f"{name}_wire_unchanged"] = wire.get(name, 0)
    figures["ocs_server_s_per_inventory_recorded"] = OCS_SERVER_S_PER_INVENTORY
    figures["target_rps"] = round(50 / OCS_SERVER_S_PER_INVENTORY, 1)
    figures["server"] = f"gunicorn gthread {args.workers}x{args.threads}"
    figures["clients"] = args.clients
    figures["glpi_postponed_ratio"] = round(figures["glpi_postponed_rps"] / figures["native_unchanged_rps"], 2)
    figures["targets_met"] = _targets_met(figures)
    for name in FORMATS:
        print(f"{name:<7} first-time {figures[f'{name}_first_rps']:>7} reports/s   "
              f"unchanged {figures[f'{name}_unchanged_rps']:>7} reports/s")
    print(f"glpi    postponed (partial, nothing changed) {figures['glpi_postponed_rps']:>7} reports/s")
    print(f"unchanged recognised from the bytes: glpi {figures['glpi_wire_unchanged']}, ocs {figures['ocs_wire_unchanged']}")
    print(f"targets (each foreign format >= {TARGET_RATIO}x native, and >= {figures['target_rps']}/s first-time and unchanged): "
          f"{'met' if figures['targets_met'] else 'NOT met'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
