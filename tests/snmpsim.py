"""snmpsim serving real-device recordings on loopback endpoints, for tests and benchmarks.

snmpsim (dev extra) answers SNMP from ``.snmprec`` recordings; the community selects the
recording (its file name without ``.snmprec``), and every endpoint serves every recording,
so one process can stand in for hundreds of devices on 127.x.y.z addresses. Recordings are
decompressed into a temporary directory (snmpsim-data ships bz2 files; nothing large goes
into the repository), optionally trimmed to the subtrees a test reads, which keeps
snmpsim's start-up indexing short.

snmpsim refuses to run as root: as root it is started with ``--process-user=nobody
--process-group=nogroup``. Python's standard library may sit where nobody cannot read it
(a pyenv under /root), so the modules snmpsim imports lazily after dropping privileges
are imported before (``_LAUNCH``). Endpoints must be loopback addresses: these helpers
never make anything answer, or send anything, off this machine.
"""

from __future__ import annotations

import asyncio
import bz2
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["POLL_SUBTREES", "Snmpsim", "free_udp_port", "recording", "running_snmpsim", "snmpsim_factory", "start_snmpsim"]

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
TEST_NET = ipaddress.ip_network("198.18.0.0/15")  # the namespace test networks (tests/netns.py)
_LAUNCH = ("import sys, dbm, dbm.dumb, bz2, encodings.ascii, encodings.latin_1, encodings.utf_8, encodings.hex_codec\n"
           "from snmpsim.commands.responder import main\n"
           "sys.argv[0] = 'snmpsim-command-responder'\n"
           "sys.exit(main())\n")
_PROBE_OID = "1.3.6.1.2.1.1"
# What the full poll (agent/discovery/poll.py) reads: snmpsim indexes less at start-up when
# recordings are trimmed to it. Makers' printer serials live under 1.3.6.1.4.1, not here.
POLL_SUBTREES = ("1.3.6.1.2.1.1.", "1.3.6.1.2.1.2.", "1.3.6.1.2.1.4.20.", "1.3.6.1.2.1.4.22.", "1.3.6.1.2.1.4.35.",
                 "1.3.6.1.2.1.17.", "1.3.6.1.2.1.25.", "1.3.6.1.2.1.31.", "1.3.6.1.2.1.33.1.1.", "1.3.6.1.2.1.43.",
                 "1.3.6.1.2.1.47.", "1.0.8802.")


def recording(name: str) -> Path:
    """A recording shipped by snmpsim-data, e.g. ``network/switch/cisco-c3560`` (.snmprec or .snmprec.bz2)."""
    import snmpsim_data

    base = Path(snmpsim_data.__file__).parent / "data" / name
    for candidate in (base.with_name(base.name + ".snmprec"), base.with_name(base.name + ".snmprec.bz2")):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"snmpsim-data has no recording {name!r}")


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class Snmpsim:
    """A running snmpsim process; ``stop`` ends it and removes its files."""

    process: subprocess.Popen
    directory: Path
    endpoints: list[tuple[str, int]]
    communities: list[str] = field(default_factory=list)

    def log(self) -> str:
        path = self.directory / "cache" / "snmpsim.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _check_endpoints(endpoints: Iterable[tuple[str, int]], netns: str | None) -> None:
    """Loopback only; inside a test network namespace, its 198.18.0.0/15 addresses too."""
    for host, port in endpoints:
        address = ipaddress.ip_address(host)
        allowed = address in LOOPBACK or (netns is not None and address in TEST_NET)
        if not allowed or not 0 < port < 65536:
            raise ValueError(f"snmpsim endpoint {host}:{port} is not a loopback (or, in a namespace, test) address")


def _write_recording(source: Path, target: Path, subtrees: tuple[str, ...] | None) -> None:
    """Decompress (bz2) and optionally keep only the rows under ``subtrees``; values stay as recorded."""
    opener = bz2.open if source.suffix == ".bz2" else open
    prefixes = tuple(subtree.rstrip(".") + "." for subtree in subtrees) if subtrees else None
    with opener(source, "rt", encoding="latin-1", newline="") as reader, \
            open(target, "w", encoding="latin-1", newline="") as writer:
        for line in reader:
            if prefixes is None or line.startswith(prefixes):
                writer.write(line)
    target.chmod(0o644)


def _prepare(recordings: dict[str, Path], subtrees: tuple[str, ...] | None) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="stocktake-snmpsim-"))
    directory.chmod(0o755)  # nobody reads the recordings
    (directory / "data").mkdir(mode=0o755)
    (directory / "cache").mkdir(mode=0o755)
    if os.geteuid() == 0:
        shutil.chown(directory / "cache", "nobody", "nogroup")  # and writes its indexes and log here
    for community, source in recordings.items():
        if not community or "/" in community or community.startswith("."):
            raise ValueError(f"bad community name {community!r}")
        _write_recording(Path(source), directory / "data" / f"{community}.snmprec", subtrees)
    return directory


def _command(directory: Path, endpoints: list[tuple[str, int]]) -> list[str]:
    arguments = directory / "endpoints.args"  # many endpoints: one file instead of a huge command line
    arguments.write_text("".join(f"--agent-udpv4-endpoint={host}:{port}\n" for host, port in endpoints))
    arguments.chmod(0o644)
    command = [sys.executable, "-c", _LAUNCH, f"--data-dir={directory / 'data'}", f"--cache-dir={directory / 'cache'}",
               f"--args-from-file={arguments}", "--log-level=error",
               f"--logging-method=file:{directory / 'cache' / 'snmpsim.log'}"]
    if os.geteuid() == 0:
        command += ["--process-user=nobody", "--process-group=nogroup"]
    return command


def _answers(host: str, port: int, community: str) -> bool:
    from agent.discovery.snmp_v2c import V2cError, walk_v2c

    try:
        return bool(asyncio.run(walk_v2c(host, port, community, _PROBE_OID, 5, 0.3, 0)))
    except (V2cError, OSError):
        return False


def start_snmpsim(recordings: dict[str, Path], endpoints: list[tuple[str, int]], subtrees: Iterable[str] | None = None,
                  ready_timeout_s: float = 120.0, netns: str | None = None, answers=None) -> Snmpsim:
    """Serve ``recordings`` (community -> recording file) on every loopback ``endpoint``; returns once it answers.

    ``netns``: run inside that network namespace (a host of tests/netns.py), on its
    198.18.0.0/15 address; ``answers(host, port, community) -> bool`` then probes it from
    where it can be reached (the scanner namespace). Readiness is an SNMP answer on the first
    and the last endpoint (snmpsim binds them all before it serves any)."""
    endpoints = list(endpoints)
    if not endpoints or not recordings:
        raise ValueError("snmpsim needs at least one endpoint and one recording")
    _check_endpoints(endpoints, netns)
    answers = answers or _answers
    directory = _prepare(recordings, tuple(subtrees) if subtrees else None)
    if netns and os.geteuid() == 0 and any(port < 1024 for _host, port in endpoints):
        # snmpsim binds after dropping to nobody; in the test host's own namespace (and only
        # there: the setting is per namespace) let unprivileged processes bind port 161.
        subprocess.run(["ip", "netns", "exec", netns, "sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=0"],
                       check=True, capture_output=True, timeout=30)
    command = (["ip", "netns", "exec", netns] if netns else []) + _command(directory, endpoints)
    with open(directory / "stderr.log", "wb") as stderr:  # the child keeps its own descriptor
        process = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=stderr)
    sim = Snmpsim(process, directory, endpoints, list(recordings))
    community = next(iter(recordings))
    deadline = time.monotonic() + ready_timeout_s
    pending = [endpoints[0], endpoints[-1]]
    while pending and time.monotonic() < deadline and process.poll() is None:
        if answers(*pending[0], community):
            pending.pop(0)
        else:
            time.sleep(0.1)
    if pending:
        stderr = (directory / "stderr.log").read_text(errors="replace")[-2000:]
        sim.stop()
        raise RuntimeError(f"snmpsim did not answer on {pending[0]} within {ready_timeout_s:g} s: {stderr}")
    return sim


@contextmanager
def running_snmpsim(recordings: dict[str, Path], endpoints: list[tuple[str, int]],
                    subtrees: Iterable[str] | None = None) -> Iterator[Snmpsim]:
    sim = start_snmpsim(recordings, endpoints, subtrees)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def snmpsim_factory():
    """``start(recordings, endpoints, subtrees=None) -> Snmpsim``; every process started is stopped at the end."""
    if shutil.which("snmpsim-command-responder", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("snmpsim is not installed (dev extra)")
    started: list[Snmpsim] = []

    def start(recordings, endpoints, subtrees=None) -> Snmpsim:
        started.append(start_snmpsim(recordings, endpoints, subtrees))
        return started[-1]

    yield start
    for sim in started:
        sim.stop()
