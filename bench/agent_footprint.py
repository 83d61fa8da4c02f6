"""Endpoint agent footprint: Stocktake's agent against the Debian FusionInventory and OCS agents.

Each agent takes one full local inventory of this machine as a whole process, started
directly (no shell; the Perl agents are exec'd through their own ``#!/usr/bin/perl``):
  stocktake  stocktake-agent inventory --print --compact, installed from a wheel into a
             fresh virtualenv as on a fleet machine (``--editable``: this checkout's .venv)
             (stdout to a file, STOCKTAKE_AGENT_CONFIG=/dev/null)
  fusion     fusioninventory-agent --config=none --local=DIR --no-httpd  (writes an XML file)
  ocs        ocsinventory-agent --local=DIR --basevardir=DIR  (writes an .ocs XML file)
Neither anchor may contact a server: both run in local mode only. ``--config=none`` makes
FusionInventory ignore /etc/fusioninventory/agent.cfg (so a ``server =`` there cannot add a
network target); OCS drops any configured server when ``--local`` is given (Agent.pm), and
its state goes to a temporary ``--basevardir``. Installs both anchors with apt-get
(--no-install-recommends) when missing; without apt their figures are null.

Per agent: wall time, CPU time (user+sys) and peak RSS of the process tree from os.wait4
(the rusage of the child and every descendant it waited for; peak RSS is the largest
single process of the tree, KiB -> MiB). One untimed warm-up run each, then the median of
5 runs (--quick: 2), interleaved so that background load hits all three alike.

Completeness, side by side: software entries (Stocktake's ``software`` list, the XML's
SOFTWARES elements) against installed dpkg packages (status ii/hi), and which hardware
fields each agent found (a small table). Payload: Stocktake's report as the agent sends
it (compact JSON, gzip level 6) for this machine, and for a synthetic 1,500-package report
from tests.factories.ReportFactory (``payload_gzip_kib``, the target figure).

Targets: Stocktake wall <= 0.2 x the faster Perl agent, peak RSS <= 32 MB,
1,500-package payload <= 64 KiB gzipped. The last line printed is JSON.

    python bench/agent_footprint.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANCHORS = ("fusioninventory-agent", "ocsinventory-agent")
XML_SIZE_CAP = 64 * 1024 * 1024
TARGET_WALL_RATIO = 0.2
TARGET_RSS_MB = 32.0
TARGET_PAYLOAD_KIB = 64.0


# --------------------------------------------------------------------------- anchors


def _dpkg_installed(package: str) -> bool:
    if not shutil.which("dpkg-query"):
        return False
    result = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", package],
                            capture_output=True, text=True)
    return result.returncode == 0 and result.stdout[:2] in ("ii", "hi")


def ensure_anchors() -> set[str]:
    """Install the missing anchors with apt-get; return the names that are usable."""
    missing = [p for p in ANCHORS if not _dpkg_installed(p)]
    if missing:
        if not shutil.which("apt-get") or os.geteuid() != 0:
            print(f"anchors: {', '.join(missing)} not installed and apt-get unavailable (or not root); "
                  "their figures are null", flush=True)
        else:
            print(f"anchors: installing {', '.join(missing)} with apt-get ...", flush=True)
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
            result = subprocess.run(command, env=env, capture_output=True, text=True)
            if result.returncode != 0:  # stale or absent package lists: refresh once
                subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
                result = subprocess.run(command, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
                print(f"anchors: apt-get install failed (exit {result.returncode}); their figures are null", flush=True)
                for line in tail:
                    print(f"  {line}")
    usable = set()
    for package in ANCHORS:
        path = shutil.which(package)
        if path and _dpkg_installed(package):
            usable.add(package)
            with open(path, "rb") as script:
                shebang = script.readline().decode(errors="replace").strip()
            if "perl" not in shebang:  # a shell wrapper would be measured instead of Perl
                print(f"anchors: warning: {path} starts with {shebang!r}, not a Perl interpreter")
    return usable


def _has_server(config: Path, key: str = "server") -> str | None:
    """A `server = ...` setting in an anchor's config file, if any (reported, then overridden)."""
    try:
        for line in config.read_text(errors="replace").splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() == key and value.strip() and not line.lstrip().startswith("#"):
                return value.strip()
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------- measurement


def run_measured(argv: list[str], env: dict, cwd: Path, stdout_path: Path, stderr_path: Path) -> dict:
    """Run argv to completion; wall from perf_counter, CPU and peak RSS from os.wait4."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "rc": process.returncode,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
    }


class Agent:
    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir / name
        self.workdir.mkdir()
        self.samples: list[dict] = []
        self.last_output: Path | None = None
        self.failed: str | None = None

    def command(self, run_dir: Path) -> tuple[list[str], dict, Path]:
        raise NotImplementedError

    def output(self, run_dir: Path, stdout_path: Path) -> Path | None:
        raise NotImplementedError

    def run(self, index: int, record: bool) -> None:
        if self.failed:
            return
        run_dir = self.workdir / f"run{index}"
        run_dir.mkdir()
        argv, env, cwd = self.command(run_dir)
        stdout_path, stderr_path = run_dir / "stdout", run_dir / "stderr"
        sample = run_measured(argv, env, cwd, stdout_path, stderr_path)
        output = self.output(run_dir, stdout_path)
        if sample["rc"] != 0 or output is None or output.stat().st_size == 0:
            tail = stderr_path.read_text(errors="replace").strip().splitlines()[-3:]
            self.failed = f"exit {sample['rc']}, output {'missing' if output is None else 'empty'}: {' | '.join(tail)}"
            print(f"{self.name}: run failed ({self.failed}); its figures are null", flush=True)
            return
        self.last_output = output
        if record:
            self.samples.append(sample)

    def median(self, key: str) -> float | None:
        if self.failed or not self.samples:
            return None
        return statistics.median(s[key] for s in self.samples)

    def spread(self) -> float | None:
        walls = [s["wall"] for s in self.samples]
        return max(walls) / min(walls) if walls and not self.failed else None


def deploy_agent(workdir: Path) -> Path:
    """Install the agent as a fleet machine gets it: a virtualenv with ``stocktake[agent]``
    from a built wheel (not the editable development install, whose import hook costs
    every start several milliseconds). Returns its ``stocktake-agent`` script."""
    venv = workdir / "agent-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{ROOT}[agent]"], check=True)
    return venv / "bin" / "stocktake-agent"


class StocktakeAgent(Agent):
    script: Path | None = None  # a deployed install; None: this checkout's .venv (editable)

    def command(self, run_dir):
        env = {**os.environ, "STOCKTAKE_AGENT_CONFIG": "/dev/null"}
        env.pop("PYTHONPROFILEIMPORTTIME", None)
        if self.script is not None:
            return [str(self.script), "inventory", "--print", "--compact"], env, run_dir
        python = ROOT / ".venv" / "bin" / "python"
        if not python.exists():
            python = Path(sys.executable)
        return [str(python), "-m", "agent.cli", "inventory", "--print", "--compact"], env, ROOT

    def output(self, run_dir, stdout_path):
        return stdout_path


class FusionAgent(Agent):
    def command(self, run_dir):
        out = run_dir / "out"
        out.mkdir()
        # --config=none: defaults and these options only, never a server from agent.cfg.
        argv = [shutil.which("fusioninventory-agent"), "--config=none", f"--local={out}", "--no-httpd",
                "--logger=stderr"]
        return argv, dict(os.environ), run_dir

    def output(self, run_dir, stdout_path):
        files = sorted((run_dir / "out").iterdir())
        return files[0] if len(files) == 1 else None


class OcsAgent(Agent):
    def command(self, run_dir):
        out = run_dir / "out"
        out.mkdir()
        vardir = self.workdir / "var"  # shared across runs, like the agent's /var/lib state
        vardir.mkdir(exist_ok=True)
        argv = [shutil.which("ocsinventory-agent"), f"--local={out}", f"--basevardir={vardir}"]
        return argv, dict(os.environ), run_dir

    def output(self, run_dir, stdout_path):
        files = sorted((run_dir / "out").iterdir())
        return files[0] if len(files) == 1 else None


# --------------------------------------------------------------------------- parsing


def read_maybe_compressed(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) > XML_SIZE_CAP:
        raise ValueError(f"{path}: {len(data)} bytes is over the {XML_SIZE_CAP} cap")
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:1] == b"\x78" and data[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        data = zlib.decompress(data)
    if len(data) > XML_SIZE_CAP:
        raise ValueError(f"{path}: decompressed XML over the {XML_SIZE_CAP} cap")
    return data


def parse_xml(path: Path):
    data = read_maybe_compressed(path)
    try:
        from defusedxml.ElementTree import fromstring
    except ImportError:  # produced locally by the anchors; still refuse entity tricks
        if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
            raise ValueError(f"{path}: DTD/entity declarations refused")
        from xml.etree.ElementTree import fromstring
    return fromstring(data)


def _text(content, *paths: str) -> str | None:
    for path in paths:
        for element in content.findall(path):
            if element.text and element.text.strip():
                return element.text.strip()
    return None


def _macs(values) -> list[str]:
    seen = []
    for mac in values:
        mac = (mac or "").strip().lower()
        if mac and mac != "00:00:00:00:00:00" and mac not in seen:
            seen.append(mac)
    return seen


def _join(values, limit=3) -> str | None:
    values = [v for v in values if v]
    if not values:
        return None
    shown = ",".join(values[:limit])
    return f"{len(values)}: {shown}" + ("..." if len(values) > limit else "")


def _mib(value) -> str | None:
    return f"{int(value) / 1024**2:.0f} MiB" if value else None


HW_FIELDS = ["hostname", "os name", "os version", "kernel", "cpu model", "cores", "memory total",
             "disks", "nics with mac", "serial", "uuid", "vendor", "model", "bios"]


def stocktake_fields(report: dict) -> dict:
    host, os_, cpu = report.get("host", {}), report.get("os", {}), report.get("cpu", {})
    bios = " ".join(filter(None, [host.get("bios_vendor"), host.get("bios_version")])) or None
    return {
        "hostname": host.get("hostname"), "os name": os_.get("name"), "os version": os_.get("version"),
        "kernel": os_.get("kernel"), "cpu model": cpu.get("model"),
        "cores": str(cpu["cores"]) if cpu.get("cores") else None,
        "memory total": _mib(report.get("memory", {}).get("total_bytes")),
        "disks": _join([d.get("name") for d in report.get("disks", [])]),
        "nics with mac": _join(_macs(n.get("mac") for n in report.get("nics", []))),
        "serial": host.get("serial"), "uuid": host.get("smbios_uuid"), "vendor": host.get("vendor"),
        "model": host.get("model"), "bios": bios,
    }


def xml_fields(root, flavour: str) -> dict:
    """Fields from an OCS-format inventory (FusionInventory's local XML uses the same layout)."""
    c = root.find("CONTENT")
    if c is None:
        return {field: None for field in HW_FIELDS}
    if flavour == "fusion":
        os_name = _text(c, "OPERATINGSYSTEM/NAME", "HARDWARE/OSNAME")
        os_version = _text(c, "OPERATINGSYSTEM/VERSION")
        kernel = _text(c, "OPERATINGSYSTEM/KERNEL_VERSION", "HARDWARE/OSVERSION")
        cpu = _text(c, "CPUS/NAME")
        cores = sum(int(e.text) for e in c.findall("CPUS/CORE") if (e.text or "").strip().isdigit())
    else:
        os_name = _text(c, "HARDWARE/OSNAME")
        os_version = _text(c, "HARDWARE/OSVERSION")
        kernel = None  # OCS puts the distribution in OSCOMMENTS on Linux; look for a kernel release
        for candidate in (_text(c, "HARDWARE/OSCOMMENTS"), _text(c, "HARDWARE/OSVERSION")):
            if candidate and candidate == os.uname().release:
                kernel = candidate
        cpu = _text(c, "CPUS/TYPE", "HARDWARE/PROCESSORT")
        cores = sum(int(e.text) for e in c.findall("CPUS/CORES") if (e.text or "").strip().isdigit())
    memory = _text(c, "HARDWARE/MEMORY")
    bios = " ".join(filter(None, [_text(c, "BIOS/BMANUFACTURER"), _text(c, "BIOS/BVERSION")])) or None
    return {
        "hostname": _text(c, "HARDWARE/NAME"), "os name": os_name, "os version": os_version, "kernel": kernel,
        "cpu model": cpu, "cores": str(cores) if cores else None,
        "memory total": f"{memory} MiB" if memory else None,
        "disks": _join([_text(s, "NAME") for s in c.findall("STORAGES")]),
        "nics with mac": _join(_macs(e.text for e in c.findall("NETWORKS/MACADDR"))),
        "serial": _text(c, "BIOS/SSN"), "uuid": _text(c, "HARDWARE/UUID"),
        "vendor": _text(c, "BIOS/SMANUFACTURER", "BIOS/MMANUFACTURER"), "model": _text(c, "BIOS/SMODEL"),
        "bios": bios,
    }


def dpkg_count() -> int | None:
    if not shutil.which("dpkg-query"):
        return None
    result = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}\n"], capture_output=True, text=True)
    return sum(1 for line in result.stdout.splitlines() if line[:2] in ("ii", "hi"))


# --------------------------------------------------------------------------- payload


def agent_body(report: dict) -> bytes:
    """The body agent/cycle.py sends: compact JSON, gzip level 6."""
    return gzip.compress(json.dumps(report, separators=(",", ":")).encode(), 6)


def synthetic_payload_kib(software: int) -> float:
    from tests.factories import ReportFactory

    report = ReportFactory(seed=11, pool_size=max(6000, software * 4)).report("bench-agent", software_count=software)
    return len(agent_body(report)) / 1024


def extrapolated_payload_kib(report: dict, software: int) -> float | None:
    """This machine's report scaled to `software` real packages (per-package gzip cost x n)."""
    packages = report.get("software") or []
    if not packages:
        return None
    rest = len(agent_body({**report, "software": []}))
    per_package = (len(agent_body(report)) - rest) / len(packages)
    return (rest + per_package * software) / 1024


# --------------------------------------------------------------------------- main


def _fmt(value, unit="", digits=3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _round(value, digits=3):
    return None if value is None else round(value, digits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 timed runs per agent instead of 5")
    parser.add_argument("--runs", type=int, help="timed runs per agent (default 5, quick 2)")
    parser.add_argument("--software", type=int, default=1500, help="packages in the synthetic payload report")
    parser.add_argument("--editable", action="store_true",
                        help="measure this checkout's development .venv instead of a wheel install")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)

    usable = ensure_anchors()
    fusion_server = _has_server(Path("/etc/fusioninventory/agent.cfg"))
    if fusion_server:
        print(f"anchors: agent.cfg names server {fusion_server!r}; ignored via --config=none")
    ocs_server = _has_server(Path("/etc/ocsinventory/ocsinventory-agent.cfg"))
    if ocs_server:
        print(f"anchors: ocsinventory-agent.cfg names server {ocs_server!r}; --local makes the agent drop it")

    with tempfile.TemporaryDirectory(prefix="stocktake-footprint-") as tmp:
        workdir = Path(tmp)
        stocktake = StocktakeAgent("stocktake", workdir)
        if not args.editable:
            print("installing the agent from a wheel, as a fleet machine would ...", flush=True)
            stocktake.script = deploy_agent(workdir)
        fusion = FusionAgent("fusion", workdir) if "fusioninventory-agent" in usable else None
        ocs = OcsAgent("ocs", workdir) if "ocsinventory-agent" in usable else None
        agents = [a for a in (stocktake, fusion, ocs) if a is not None]

        print(f"running {len(agents)} agents: 1 warm-up + {runs} timed runs each, interleaved ...", flush=True)
        for index in range(runs + 1):
            for agent in agents:
                agent.run(index, record=index > 0)
        if stocktake.failed:
            raise SystemExit(f"bench: the Stocktake agent failed: {stocktake.failed}")

        report = json.loads(stocktake.last_output.read_text())
        fields = {"stocktake": stocktake_fields(report)}
        software = {"stocktake": len(report.get("software") or [])}
        xml_gzip_kib = {}
        for agent in (fusion, ocs):
            if agent is None or agent.failed:
                continue
            root = parse_xml(agent.last_output)
            fields[agent.name] = xml_fields(root, agent.name)
            content = root.find("CONTENT")
            software[agent.name] = len(content.findall("SOFTWARES")) if content is not None else 0
            xml_gzip_kib[agent.name] = len(gzip.compress(read_maybe_compressed(agent.last_output), 6)) / 1024
        installed = dpkg_count()

    machine_body = agent_body(report)
    payload_kib = synthetic_payload_kib(args.software)
    extrapolated_kib = extrapolated_payload_kib(report, args.software)

    # ---- timings
    print()
    print(f"{'agent':<10} {'wall s':>8} {'cpu s':>8} {'rss MB':>8}   (median of {runs}; wall max/min)")
    for agent in (stocktake, fusion, ocs):
        if agent is None:
            continue
        spread = agent.spread()
        print(f"{agent.name:<10} {_fmt(agent.median('wall')):>8} {_fmt(agent.median('cpu')):>8} "
              f"{_fmt(agent.median('rss_mb'), digits=1):>8}   {_fmt(spread, 'x', 2)}")
        if spread and spread > 1.5:
            print(f"  note: {agent.name} wall times vary {spread:.1f}x across runs; the machine may be busy, re-run")

    # ---- completeness
    print()
    print(f"software   : stocktake {software['stocktake']}, fusion {software.get('fusion', 'n/a')}, "
          f"ocs {software.get('ocs', 'n/a')}  vs dpkg ii/hi {installed}")
    names = [n for n in ("stocktake", "fusion", "ocs") if n in fields]
    width = 30
    print(f"{'hardware':<14}" + "".join(f" {n:<{width}}" for n in names))
    for field in HW_FIELDS:
        cells = []
        for n in names:
            value = fields[n][field]
            value = "-" if value is None else str(value)
            cells.append(value if len(value) <= width else value[:width - 3] + "...")
        print(f"{field:<14}" + "".join(f" {c:<{width}}" for c in cells))
    found = {n: sum(1 for v in fields[n].values() if v is not None) for n in names}
    print(f"{'found':<14}" + "".join(f" {f'{found[n]}/{len(HW_FIELDS)}':<{width}}" for n in names))

    # ---- payload and targets
    stocktake_wall = stocktake.median("wall")
    perl_walls = [a.median("wall") for a in (fusion, ocs) if a is not None and a.median("wall") is not None]
    fastest_perl = min(perl_walls) if perl_walls else None
    ratio = stocktake_wall / fastest_perl if fastest_perl else None
    rss = stocktake.median("rss_mb")
    print()
    print(f"payload    : this machine {len(machine_body) / 1024:.1f} KiB gzip ({software['stocktake']} packages); "
          f"synthetic {args.software} packages {payload_kib:.1f} KiB; "
          f"this machine scaled to {args.software} {_fmt(extrapolated_kib, digits=1)} KiB")
    if xml_gzip_kib:
        print("anchor XML : " + ", ".join(f"{n} {v:.1f} KiB gzip" for n, v in xml_gzip_kib.items()) + " (this machine)")

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    print(f"target     : wall ratio vs faster Perl agent {_fmt(ratio)} (<= {TARGET_WALL_RATIO}) "
          f"{verdict(None if ratio is None else ratio <= TARGET_WALL_RATIO)}")
    print(f"target     : peak RSS {_fmt(rss, ' MB', 1)} (<= {TARGET_RSS_MB:.0f} MB) {verdict(rss <= TARGET_RSS_MB)}")
    print(f"target     : payload {payload_kib:.1f} KiB (<= {TARGET_PAYLOAD_KIB:.0f} KiB) "
          f"{verdict(payload_kib <= TARGET_PAYLOAD_KIB)}")

    def m(agent, key, digits=3):
        return None if agent is None else _round(agent.median(key), digits)

    figures = {
        "runs": runs,
        "wall_s": _round(stocktake_wall),
        "cpu_s": _round(stocktake.median("cpu")),
        "rss_mb": _round(rss, 1),
        "fusion_wall_s": m(fusion, "wall"),
        "fusion_cpu_s": m(fusion, "cpu"),
        "fusion_rss_mb": m(fusion, "rss_mb", 1),
        "ocs_wall_s": m(ocs, "wall"),
        "ocs_cpu_s": m(ocs, "cpu"),
        "ocs_rss_mb": m(ocs, "rss_mb", 1),
        "wall_ratio_vs_fastest_perl": _round(ratio),
        "software_count": software["stocktake"],
        "fusion_software_count": software.get("fusion"),
        "ocs_software_count": software.get("ocs"),
        "dpkg_count": installed,
        "hw_fields_found": found,
        "hw_fields_total": len(HW_FIELDS),
        "payload_gzip_kib": round(payload_kib, 1),
        "payload_software": args.software,
        "machine_payload_gzip_kib": round(len(machine_body) / 1024, 1),
        "machine_payload_scaled_gzip_kib": _round(extrapolated_kib, 1),
        "fusion_xml_gzip_kib": _round(xml_gzip_kib.get("fusion"), 1),
        "ocs_xml_gzip_kib": _round(xml_gzip_kib.get("ocs"), 1),
        "targets": {"wall_ratio": TARGET_WALL_RATIO, "rss_mb": TARGET_RSS_MB, "payload_gzip_kib": TARGET_PAYLOAD_KIB},
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
