"""SNMP bulk walk of MIB-2 from a local net-snmp agent: Stocktake's walker against snmpbulkwalk.

Stocktake walks SNMPv2c with its own BER walker (agent/discovery/snmp_v2c.py) and decodes
every value to Python, as a real poll would.

Starts `snmpd` on a loopback UDP port with a temporary configuration, then walks the whole
MIB-2 subtree (1.3.6.1.2.1) with both, same max-repetitions, same agent, in the same run;
OIDs per second are the number of OIDs returned over the wall time of the walk (Stocktake
timed in process, snmpbulkwalk as a whole process, both median of several runs). Traffic
stays on 127.0.0.1. Installs snmpd and snmp with apt-get if missing.

    python bench/snmp_walk.py [--quick]

The last line printed is JSON with at least snmp_oids_per_s, snmpbulkwalk_oids_per_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.discovery.snmp import SnmpCredential, walk  # noqa: E402

MIB2 = "1.3.6.1.2.1"
COMMUNITY = "bench-ro"


def _ensure_tools() -> None:
    if shutil.which("snmpbulkwalk") is None or not os.path.exists("/usr/sbin/snmpd"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "snmpd", "snmp"], check=True, env=env)


def _start_snmpd(directory: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (directory / "snmpd.conf").write_text(f"agentAddress udp:127.0.0.1:{port}\nrocommunity {COMMUNITY} 127.0.0.1\n")
    process = subprocess.Popen(["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", str(directory / "snmpd.conf")],
                               env={**os.environ, "SNMP_PERSISTENT_DIR": str(directory)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        probe = subprocess.run(["snmpget", "-v2c", "-c", COMMUNITY, "-t", "0.2", "-r", "0", f"127.0.0.1:{port}",
                                "1.3.6.1.2.1.1.1.0"], capture_output=True)
        if probe.returncode == 0:
            return process, port
    process.terminate()
    raise SystemExit("bench: snmpd did not start")


async def _ours(port: int, repetitions: int) -> tuple[int, float]:
    started = time.perf_counter()
    rows = await walk(None, "127.0.0.1", port, SnmpCredential("bench", "2c", community=COMMUNITY), MIB2, repetitions)
    return len(rows), time.perf_counter() - started


def _theirs(port: int, repetitions: int) -> tuple[int, float]:
    started = time.perf_counter()
    done = subprocess.run(["snmpbulkwalk", "-v2c", "-c", COMMUNITY, "-On", f"-Cr{repetitions}", f"127.0.0.1:{port}", MIB2],
                          capture_output=True, text=True, timeout=120, check=True)
    return sum(1 for line in done.stdout.splitlines() if " = " in line), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 7")
    parser.add_argument("--repetitions", type=int, default=50, help="GETBULK max-repetitions for both")
    args = parser.parse_args()
    _ensure_tools()
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="stocktake-snmp-") as tmp:
        process, port = _start_snmpd(Path(tmp))
        try:
            ours, theirs = [], []
            for _ in range(runs):
                ours.append(asyncio.run(_ours(port, args.repetitions)))
                theirs.append(_theirs(port, args.repetitions))
        finally:
            process.terminate()
            process.wait(timeout=10)
    ours_rate = statistics.median(count / seconds for count, seconds in ours)
    theirs_rate = statistics.median(count / seconds for count, seconds in theirs)
    figures = {
        "oids": ours[-1][0],
        "snmpbulkwalk_oids": theirs[-1][0],
        "snmp_oids_per_s": round(ours_rate),
        "snmpbulkwalk_oids_per_s": round(theirs_rate),
        "ratio": round(ours_rate / theirs_rate, 3),
        "max_repetitions": args.repetitions,
        "runs": runs,
    }
    print(f"stocktake bulk_walk : {figures['snmp_oids_per_s']} OIDs/s ({figures['oids']} OIDs)")
    print(f"snmpbulkwalk        : {figures['snmpbulkwalk_oids_per_s']} OIDs/s ({figures['snmpbulkwalk_oids']} OIDs)")
    print(f"ratio               : {figures['ratio']} (target >= 0.2)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
