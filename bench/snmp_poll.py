"""500 simulated SNMP devices fully polled: system group, IF-MIB, ENTITY-MIB, ARP and FDB tables and the rest.

snmpsim (dev extra) serves recordings of real devices (snmpsim-data, and a printer recording
written by hand under tests/fixtures/snmp) on 127.0.x.y loopback addresses, one snmpsim process
per recording, all with the community ``public``. The devices are an office network's mix:
access switches with their forwarding tables, routers with ARP caches, printers, UPS cards,
wireless controllers and cameras (``MIX``). What is timed is what a scanner agent does for
explicit targets, in process: ``snmp_scan_report`` (system-group sweep, then the full poll
of every device that answered, 16 devices at a time) until the report is built.

The simulator runs on the same two cores as the poller and costs more CPU per OID than the
poller does, so the figure is bounded by snmpsim; its CPU time and the poller's are printed
beside the wall time. Every device must come back polled without an error for the run to
count. Traffic stays on 127.0.0.0/8.

    python bench/snmp_poll.py [--quick] [--devices 500] [--concurrency 64]

The machine's speed varies from run to run (a shared VM: the same poll has taken 19 s and
32 s), so the poll is repeated (--runs, default 3) and the median run reported, every
run's wall time beside it. --quick: 100 devices, one run. The last line printed is JSON
with at least snmp_500_devices_s (the median wall time, whatever --devices is), runs_s,
devices, polled, errors, poller_cpu_s, simulator_cpu_s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.discovery.scan import snmp_scan_report  # noqa: E402
from agent.discovery.snmp import SnmpCredential  # noqa: E402
from tests.snmpsim import _write_recording, free_udp_port, recording, start_snmpsim  # noqa: E402

COMMUNITY = "public"
# (kind, recording, devices per 100): the SNMP-managed devices of an office of some 1,500 people
# (per 100: 12 access switches, 2 routers, 30 printers, 12 UPS cards, 24 access points, 20
# cameras). Per-kind simulator CPU is printed, so other mixes can be judged from one run.
MIX = (
    ("access switch (48 ports, FDB)", "network/switch/cisco-c3560", 6),
    ("access switch (FDB, LLDP)", "network/switch/hpe-procurve-516733-b21", 3),
    ("access switch (FDB)", "network/switch/dlink-des3200", 3),
    ("router (ARP cache, software)", "network/router/vyatta-unknown", 2),
    ("printer", str(ROOT / "tests/fixtures/snmp/sharp-mx-3570n.snmprec"), 30),
    ("UPS", "UPS/apc-7902b", 12),
    ("wireless AP", "network/wifi/ubiquiti-m5", 24),
    ("camera", "camera/samsung-ipolis", 20),
)

# Catalyst switches keep one bridge instance per VLAN, read with community@vlan (agent/discovery/vlan_fdb.py):
# the recording's operational VLANs (CISCO-VTP-MIB vtpVlanState) are served under those communities too,
# trimmed to BRIDGE-MIB (four more copies of the whole recording left snmpsim too busy to answer in time).
VLANS = {"network/switch/cisco-c3560": (1, 2, 3, 1119)}


def _recordings(name: str, source: Path, directory: Path) -> dict[str, Path]:
    if not VLANS.get(name):
        return {COMMUNITY: source}
    bridge = directory / f"{Path(name).name}-bridge.snmprec"
    if not bridge.exists():
        _write_recording(source, bridge, ("1.3.6.1.2.1.17.",))
    return {COMMUNITY: source, **{f"{COMMUNITY}@{vlan}": bridge for vlan in VLANS[name]}}


def _plan(devices: int) -> list[tuple[str, Path, list[tuple[str, int]]]]:
    """Each recording with its share of the loopback endpoints (127.0.1.1 onwards, one port)."""
    port, shares = free_udp_port(), [share for _kind, _name, share in MIX]
    counts = [devices * share // sum(shares) for share in shares]
    counts[0] += devices - sum(counts)
    addresses = iter(f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(devices))
    plan = []
    for (kind, name, _share), count in zip(MIX, counts):
        source = Path(name) if name.startswith("/") else recording(name)
        plan.append((kind, name, source, [(next(addresses), port) for _ in range(count)]))
    return plan


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _group_cpu_s(group) -> float:
    return sum(_cpu_s(sim.process.pid) for sim in group)


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 devices instead of 500, one run")
    parser.add_argument("--runs", type=int, default=3, help="polls of all the devices; the median is reported")
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64, help="devices at once (the full poll caps it at 16)")
    parser.add_argument("--per-process", type=int, default=25, help="endpoints per snmpsim process")
    args = parser.parse_args()
    devices, args.runs = (100, 1) if args.quick else (args.devices, args.runs)
    if not 1 <= devices <= 5000 or not 1 <= args.per_process <= 1000 or not 1 <= args.runs <= 20:
        raise SystemExit("bench: --devices must be 1-5000, --per-process 1-1000, --runs 1-20")
    plan = _plan(devices)
    sims, scratch = [], Path(tempfile.mkdtemp(prefix="stocktake-bench-"))
    try:
        for kind, name, source, endpoints in plan:
            # One snmpsim process per 25 endpoints at most: 8 processes of ~60 measured slower
            # (0.16 s of simulator CPU per device against 0.11 s), 50 of 10 no faster.
            sims.append([start_snmpsim(_recordings(name, source, scratch), endpoints[start:start + args.per_process])
                         for start in range(0, len(endpoints), args.per_process)])
        # Addresses of the kinds interleaved, as on a real network (and so that the devices
        # polled at once spread over every snmpsim process).
        rounds = itertools.zip_longest(*(endpoints for _kind, _name, _source, endpoints in plan))
        targets = [endpoint for round_ in rounds for endpoint in round_ if endpoint is not None]
        runs = []  # (wall, poller CPU, simulator CPU per kind, report) of each run; the median run is reported
        for _ in range(args.runs):
            simulator_before, own_before = [_group_cpu_s(group) for group in sims], _own_cpu_s()
            started = time.perf_counter()
            report = snmp_scan_report("bench", targets, [SnmpCredential("bench", "2c", community=COMMUNITY)],
                                      concurrency=args.concurrency)
            wall = time.perf_counter() - started
            runs.append((wall, _own_cpu_s() - own_before,
                         [_group_cpu_s(group) - before for group, before in zip(sims, simulator_before)], report))
        wall, poller_cpu, simulator_cpus, report = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        simulator_cpu = sum(simulator_cpus)
    finally:
        for sim in (sim for group in sims for sim in group):
            sim.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    wanted = {host for host, _port in targets}
    polled = [d for d in report["devices"] if d.get("ip") in wanted and d.get("found_by") == ["snmp"]]
    errors = [f"{d['ip']}: {d['error']}" for d in polled if d.get("error")]
    by_kind = {}
    cpus = iter(simulator_cpus)
    for kind, _name, _source, endpoints in plan:
        hosts = {host for host, _port in endpoints}
        mine = [d for d in polled if d["ip"] in hosts]
        by_kind[kind] = {"devices": len(endpoints), "polled": len(mine),
                         "with_serial": sum(1 for d in mine if d.get("serial")),
                         "interfaces": sum(len(d.get("interfaces", [])) for d in mine),
                         "simulator_cpu_s": next(cpus)}
    learnt, processes = len(report["devices"]) - len(polled), sum(len(group) for group in sims)
    figures = {
        "snmp_500_devices_s": round(wall, 2),
        "runs_s": [round(run[0], 2) for run in runs],
        "devices": devices,
        "polled": len(polled),
        "errors": len(errors),
        "learnt_devices": learnt,
        "poller_cpu_s": round(poller_cpu, 2),
        "simulator_cpu_s": round(simulator_cpu, 2),
        "simulator_processes": processes,
        "concurrency": args.concurrency,
        "target_met": len(polled) == devices and not errors and wall <= 30,
    }
    for kind, counts in by_kind.items():
        print(f"{kind:32} {counts['polled']:4}/{counts['devices']:<4} polled, {counts['with_serial']:4} with a serial, "
              f"{counts['interfaces']:6} interfaces, snmpsim CPU {counts['simulator_cpu_s']:5.1f} s")
    for error in errors[:10]:
        print("error:", error)
    print(f"{devices} devices polled in {wall:.2f} s (median of {len(runs)}; target <= 30 s); poller CPU {poller_cpu:.1f} s, "
          f"snmpsim CPU {simulator_cpu:.1f} s in {processes} processes; {learnt} more devices learnt from ARP/FDB tables")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
