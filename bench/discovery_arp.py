"""ARP sweep of a /24 in network namespaces: Stocktake's scanner against arp-scan and nmap -sn.

The script builds a test network (tests/netns.py: a bridge namespace, a scanner namespace
and N host namespaces on 198.18.0.0/24), then times four whole processes run inside the
scanner namespace, in the same run: `stocktake-agent scan --once` (raw-socket ARP sweep),
the same with `--arp-engine scapy` (the portable engine, forced), `arp-scan` and
`nmap -sn -PR`, each sweeping 198.18.0.0/24 on the scanner's only interface.
Median of several runs; hosts found are counted against the network's real hosts. Traffic
never leaves the test bridge. Needs root; installs arp-scan and nmap with apt-get if missing.

    python bench/discovery_arp.py [--quick] [--hosts 60]

The last line printed is JSON with at least arp_s, scapy_s, arpscan_s, nmap_s, arp_found, hosts.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.netns import SUBNET, build_l2_network, remove_l2_network  # noqa: E402

_IP = re.compile(r"\b198\.18\.0\.(\d{1,3})\b")


def _ensure_tools() -> None:
    missing = [p for p, tool in (("arp-scan", "arp-scan"), ("nmap", "nmap")) if shutil.which(tool) is None]
    if missing:
        print(f"installing {' '.join(missing)} ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)


def _timed(network, argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = network.run_in_scanner(argv, timeout=120, cwd=ROOT, env={**os.environ, "STOCKTAKE_AGENT_CONFIG": os.devnull})
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: {argv[0]} failed: {done.stderr.strip()[:300]}")
    return elapsed, done.stdout


def _found(output: str, hosts: set[str]) -> int:
    return len({f"198.18.0.{m}" for m in _IP.findall(output)} & hosts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 7")
    parser.add_argument("--hosts", type=int, default=60)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: network namespaces need root")
    _ensure_tools()
    runs = 3 if args.quick else 7
    agent = [str(ROOT / ".venv" / "bin" / "stocktake-agent"), "scan", "--range", SUBNET, "--interface", "eth0", "--once"]
    scapy = [*agent, "--arp-engine", "scapy"]
    arpscan = ["arp-scan", "--interface", "eth0", "--quiet", "--retry", "2", SUBNET]
    nmap = ["nmap", "-sn", "-PR", "-n", "-e", "eth0", SUBNET]
    network = build_l2_network(args.hosts)
    try:
        hosts = {h.ip for h in network.hosts}
        results = {"arp": [], "scapy": [], "arpscan": [], "nmap": []}
        found = {}
        for _ in range(runs):  # interleaved, so background load hits all four alike
            for name, argv in (("arp", agent), ("scapy", scapy), ("arpscan", arpscan), ("nmap", nmap)):
                elapsed, output = _timed(network, argv)
                results[name].append(elapsed)
                found[name] = _found(output, hosts)
    finally:
        remove_l2_network(network)
    figures = {
        "hosts": args.hosts,
        "runs": runs,
        "arp_s": round(statistics.median(results["arp"]), 3),
        "scapy_s": round(statistics.median(results["scapy"]), 3),
        "arpscan_s": round(statistics.median(results["arpscan"]), 3),
        "nmap_s": round(statistics.median(results["nmap"]), 3),
        "arp_found": found["arp"],
        "scapy_found": found["scapy"],
        "arpscan_found": found["arpscan"],
        "nmap_found": found["nmap"],
    }
    fastest = min(figures["arpscan_s"], figures["nmap_s"])
    figures["arp_vs_fastest_anchor"] = round(figures["arp_s"] / fastest, 2)
    print(f"stocktake scan : {figures['arp_s']} s, {figures['arp_found']}/{args.hosts} hosts")
    print(f"scapy engine   : {figures['scapy_s']} s, {figures['scapy_found']}/{args.hosts} hosts")
    print(f"arp-scan       : {figures['arpscan_s']} s, {figures['arpscan_found']}/{args.hosts} hosts")
    print(f"nmap -sn       : {figures['nmap_s']} s, {figures['nmap_found']}/{args.hosts} hosts")
    print(f"ratio vs the faster anchor: {figures['arp_vs_fastest_anchor']} (target <= 1.0)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
