"""SNMP discovery sweep of a /24 in network namespaces: Stocktake against nmap -sU and FusionInventory.

The script builds a test network (tests/netns.py: a bridge namespace, a scanner namespace
and N host namespaces on 198.18.0.0/24) and starts a real net-snmp `snmpd` in most hosts
(SNMPv2c community, bound to the host's address); the others run no agent, so their
port 161 is closed, and the rest of the /24 is empty. Then it times whole processes run
inside the scanner namespace, in the same run:

- Stocktake: `python -c` calling agent.discovery.snmp_sweep.sweep_range on 198.18.0.0/24
  with the credentials from a TOML file (as `stocktake-agent scan --snmp-credentials` reads
  them), printing each host that answered with its sysName;
- `nmap -sU -p161 --open -n` on 198.18.0.0/24 (ARP host discovery, then its SNMP probe);
- `fusioninventory-netdiscovery --first 198.18.0.1 --last 198.18.0.254 --community C
  --timeout 1 --threads T`: its default timeout is 60 s per address, not the 1 s its
  --help states, so 1 s is given (Stocktake's timeout too); T is its default, 1 thread,
  and then 16 threads (`--netdiscovery-threads 1,16`; the first count gives
  netdiscovery_s, every count is reported).

Stocktake and nmap: median of several interleaved runs; netdiscovery once per thread
count (it takes minutes: each address costs it an SNMP timeout, two pings and a NetBIOS
query). Wall time and peak RSS of each process come from wait4. The sets of hosts
found are compared with the hosts that run an agent. Traffic never leaves the test
bridge. Needs root; installs nmap, snmpd and fusioninventory-agent-task-network with
apt-get if missing.

    python bench/snmp_sweep.py [--quick] [--hosts 60] [--agents 40] [--netdiscovery-threads 1,16] [--timeout 1.0]

--quick: 3 runs instead of 7, and netdiscovery on 198.18.0.1-198.18.0.20 with the largest
thread count only (its time is then not comparable and the speedup is left out). The last line printed is JSON with
at least snmp_sweep_s, nmap_udp_s, netdiscovery_s, hosts, snmp_found, ratio_vs_nmap,
speedup_vs_netdiscovery.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.netns import SUBNET, build_l2_network, remove_l2_network  # noqa: E402

COMMUNITY = "bench-ro"
SWEEP = """\
import sys
from agent.discovery.scan import load_credentials
from agent.discovery.snmp import SystemInfo
from agent.discovery.snmp_sweep import sweep_range
for target, result in sweep_range(sys.argv[2], load_credentials(sys.argv[1]), timeout_s=float(sys.argv[3])).items():
    if isinstance(result, SystemInfo):
        print(target, result.sys_name)
"""
_IP = re.compile(r"\b198\.18\.0\.(\d{1,3})\b")


def _ensure_tools() -> None:
    wanted = {"nmap": "nmap", "/usr/sbin/snmpd": "snmpd",
              "fusioninventory-netdiscovery": "fusioninventory-agent-task-network"}
    missing = [package for tool, package in wanted.items() if shutil.which(tool) is None and not os.path.exists(tool)]
    if missing:
        print(f"installing {' '.join(missing)} ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)


def _start_agents(network, count: int, directory: Path) -> tuple[list[subprocess.Popen], set[str]]:
    """snmpd in ``count`` hosts spread over the network (two of every three), each on its own address."""
    chosen = [host for index, host in enumerate(network.hosts) if index % 3 != 2][:count]
    agents = []
    for index, host in enumerate(chosen):
        state = directory / f"snmpd-{index}"
        state.mkdir()
        (state / "snmpd.conf").write_text(f"agentAddress udp:{host.ip}:161\nrocommunity {COMMUNITY} 198.18.0.0/24\n"
                                          f"sysName bench-host-{index}\nsysServices 72\n")
        agents.append(network.start_in(host.namespace, ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c",
                                                        str(state / "snmpd.conf")],
                                       env={**os.environ, "SNMP_PERSISTENT_DIR": str(state)},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return agents, {host.ip for host in chosen}


def _timed(network, argv: list[str], timeout: float = 120) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one whole process in the scanner namespace, from
    os.wait4: the rusage of the child and every descendant it waited for (`ip netns exec` execs)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(["ip", "netns", "exec", network.scanner, *argv], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        watchdog = threading.Timer(timeout, process.kill)  # bounded even if a tool hangs
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"bench: {argv[0]} failed ({process.returncode}): {errors.strip()[:300]}")
    return elapsed, round(usage.ru_maxrss / 1024, 1), output


def _found(output: str, lines: re.Pattern | None = None) -> set[str]:
    text = output if lines is None else "\n".join(lines.findall(output))
    return {f"198.18.0.{m}" for m in _IP.findall(text)}


def _netdiscovery_found(output: str) -> set[str]:
    """Devices whose SNMP answered (AUTHSNMP); netdiscovery also lists hosts found by ping or ARP."""
    devices = [re.sub(r"<IPS>.*?</IPS>", "", device, flags=re.S)  # the agent's own addresses, 127.0.0.1 too
               for device in re.findall(r"<DEVICE>(.*?)</DEVICE>", output, re.S)]
    return {ip for device in devices if "<AUTHSNMP>" in device for ip in re.findall(r"<IP>([\d.]+)</IP>", device)}


def _wait_until_ready(network, sweep: list[str], expected: set[str]) -> None:
    for _ in range(30):  # each agent loads its MIB modules; bounded: 30 sweeps of ~1.2 s
        _, _, output = _timed(network, sweep)
        if _found(output) >= expected:
            return
    raise SystemExit(f"bench: only {len(_found(output))} of {len(expected)} agents answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs, netdiscovery on 20 addresses only")
    parser.add_argument("--hosts", type=int, default=60)
    parser.add_argument("--agents", type=int, default=40, help="hosts running snmpd (default 40)")
    parser.add_argument("--netdiscovery-threads", default="1,16", help="thread counts to time (default 1,16)")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="Stocktake's timeout_s, the wait for a silent address (default 1.0, the library default)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: network namespaces need root")
    if not 0 < args.agents <= args.hosts <= 200:
        raise SystemExit("bench: need 0 < agents <= hosts <= 200")
    _ensure_tools()
    runs = 3 if args.quick else 7
    last = "198.18.0.20" if args.quick else "198.18.0.254"
    network = build_l2_network(args.hosts)
    agents = []
    with tempfile.TemporaryDirectory(prefix="stocktake-bench-") as scratch:
        directory = Path(scratch)
        os.chmod(directory, 0o755)
        (directory / "snmp.toml").write_text(f'[[credential]]\nname = "bench"\nversion = "2c"\n'
                                             f'community = "{COMMUNITY}"\n')
        sweep = [sys.executable, "-c", SWEEP, str(directory / "snmp.toml"), SUBNET, str(args.timeout)]
        nmap = ["nmap", "-sU", "-p161", "--open", "-n", "-e", "eth0", SUBNET]
        netdiscovery = ["fusioninventory-netdiscovery", "--first", "198.18.0.1", "--last", last, "--community",
                        COMMUNITY, "--timeout", "1", "--threads"]
        thread_counts = [int(count) for count in args.netdiscovery_threads.split(",")]
        thread_counts = [max(thread_counts)] if args.quick else thread_counts
        try:
            agents, expected = _start_agents(network, min(args.agents, args.hosts), directory)
            _wait_until_ready(network, sweep, expected)
            times = {"sweep": [], "nmap": []}
            found = {}
            for _ in range(runs):  # interleaved, so background load hits both alike
                elapsed, rss_sweep, output = _timed(network, sweep)
                times["sweep"].append(elapsed)
                found["sweep"] = _found(output)
                elapsed, rss_nmap, output = _timed(network, nmap)
                times["nmap"].append(elapsed)
                found["nmap"] = _found(output, re.compile(r"^Nmap scan report for (\S+)", re.M))
            netdiscovery_runs = {}
            for count in thread_counts:
                print(f"running fusioninventory-netdiscovery on 198.18.0.1-{last}, {count} threads ...", flush=True)
                elapsed, rss, output = _timed(network, [*netdiscovery, str(count)], timeout=3600)
                netdiscovery_runs[count] = (elapsed, rss, _netdiscovery_found(output))
        finally:
            for agent in agents:
                agent.terminate()
            for agent in agents:
                agent.wait(timeout=30)
            remove_l2_network(network)
    _report(args, runs, last, times, found, expected, netdiscovery_runs, {"sweep": rss_sweep, "nmap": rss_nmap})


def _report(args, runs, last, times, found, expected, netdiscovery_runs, rss_mib) -> None:
    in_nd_range = {ip for ip in expected if int(ip.rsplit(".", 1)[1]) <= int(last.rsplit(".", 1)[1])}
    first = next(iter(netdiscovery_runs))
    nd_s, rss_mib["netdiscovery"], found["netdiscovery"] = netdiscovery_runs[first]
    figures = {
        "hosts": args.hosts,
        "snmp_agents": len(expected),
        "runs": runs,
        "snmp_sweep_s": round(statistics.median(times["sweep"]), 3),
        "snmp_sweep_timeout_s": args.timeout,
        "nmap_udp_s": round(statistics.median(times["nmap"]), 3),
        "netdiscovery_s": round(nd_s, 1),
        "netdiscovery_range": f"198.18.0.1-{last}",
        "netdiscovery_threads": first,
        "netdiscovery_by_threads": {str(count): {"s": round(elapsed, 1), "peak_rss_mib": rss,
                                                 "found": len(nd_found & in_nd_range),
                                                 "speedup": None if args.quick else
                                                 round(elapsed / statistics.median(times["sweep"]), 1)}
                                    for count, (elapsed, rss, nd_found) in netdiscovery_runs.items()},
        "snmp_sweep_peak_rss_mib": rss_mib["sweep"],
        "nmap_peak_rss_mib": rss_mib["nmap"],
        "netdiscovery_peak_rss_mib": rss_mib["netdiscovery"],
        "snmp_found": len(found["sweep"] & expected),
        "nmap_found": len(found["nmap"] & expected),
        "netdiscovery_found": len(found["netdiscovery"] & in_nd_range),
        "same_sets": found["sweep"] == found["nmap"] == expected and
        all(nd_found == in_nd_range for _, _, nd_found in netdiscovery_runs.values()),
    }
    figures["ratio_vs_nmap"] = round(figures["snmp_sweep_s"] / figures["nmap_udp_s"], 2)
    figures["speedup_vs_netdiscovery"] = None if args.quick else round(nd_s / figures["snmp_sweep_s"], 1)
    print(f"stocktake sweep       : {figures['snmp_sweep_s']} s, {figures['snmp_found']}/{len(expected)} agents "
          f"(runs: {', '.join(f'{t:.2f}' for t in times['sweep'])})")
    print(f"nmap -sU -p161 --open : {figures['nmap_udp_s']} s, {figures['nmap_found']}/{len(expected)} agents "
          f"(runs: {', '.join(f'{t:.2f}' for t in times['nmap'])})")
    for count, (elapsed, rss, nd_found) in netdiscovery_runs.items():
        print(f"netdiscovery {count:>2} thr : {elapsed:.1f} s on 198.18.0.1-{last}, "
              f"{len(nd_found & in_nd_range)}/{len(in_nd_range)} agents there, peak RSS {rss} MiB")
    print(f"same sets found: {figures['same_sets']}; ratio vs nmap {figures['ratio_vs_nmap']} (target <= 1.5); "
          f"speedup vs netdiscovery {figures['speedup_vs_netdiscovery']} (target >= 50)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
