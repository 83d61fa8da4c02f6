"""`make demo`'s script: collector up, this machine enrolled and reported, summary printed;
run again in the same directory, it starts over from an empty one and says so."""

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _demo_module():
    spec = importlib.util.spec_from_file_location("stocktake_demo", ROOT / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_demo(data_dir: Path, port: int, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKTAKE_")}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--once", "--port", str(port),
                           "--data-dir", str(data_dir)], env=env, capture_output=True, text=True, timeout=timeout)


def test_device_lines_show_a_dash_for_every_missing_field():
    """Devices learnt from a forwarding table have a MAC and nothing else; some have neither (issue 16)."""
    demo = _demo_module()
    bare = {"ip": None, "mac": None, "device_type": None, "oui_vendor": None}
    assert demo.unmanaged_line(bare).split() == ["-", "-", "-", "-"]
    assert demo.unmanaged_line({**bare, "ip": "198.18.0.12", "mac": "b8:27:eb:00:01:03"}).split()[:2] == [
        "198.18.0.12", "b8:27:eb:00:01:03"]
    polled = demo.polled_line({"ip": None, "device_type": None, "vendor": None, "model": None, "serial": None})
    assert polled.split() == ["-", "-", "-", "-", "serial", "-", "0", "interfaces"]


def test_a_data_directory_the_demo_did_not_make_is_refused_and_left_alone(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = _run_demo(tmp_path, _free_port(), timeout=60)
    assert result.returncode != 0
    assert f"demo: {tmp_path} holds files the demo did not make" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.live
@pytest.mark.skipif(os.environ.get("STOCKTAKE_TEST_DB") == "postgresql", reason="the demo runs on SQLite only; covered by the SQLite run")
def test_demo_once_shows_this_machine_with_its_packages_and_runs_again_from_scratch(tmp_path):
    """The second run in the same directory used to crash listing the first run's devices (one
    without an IP); now it removes the first run's data, says so, and shows the same register."""
    port = _free_port()
    first = _run_demo(tmp_path / "var", port)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"new data directory {tmp_path / 'var'}" in first.stdout
    result = _run_demo(tmp_path / "var", port)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"removed the previous demo's data in {tmp_path / 'var'}" in out
    assert f"collector up at http://127.0.0.1:{port}" in out
    assert re.search(r"report [0-9a-f-]{36}: delivered; \d+ packages", out)
    packages = int(re.search(r"packages\s+: (\d+)", out).group(1))
    assert packages > 0
    assert "assets in the register: 1" in out
    assert re.search(r"imported 33 rows: create 33", out)
    assert re.search(r"matched +asset 1 +\S+ +-> LT-DEMO +CI \d+ \(LT-DEMO\) by rule 4 \(hostname\)", out)
    if os.geteuid() == 0:  # the discovery lab needs namespaces
        assert "found 6 devices (0 linked to known assets); unmanaged:" in out
        assert re.search(r"198\.18\.0\.12 +b8:27:eb:00:01:03 +unknown +Raspberry Pi Foundation", out)
        assert re.search(r"matched +device \d+ +198\.18\.0\.13 +-> SW-0001 .*rule 3 \(mac_overlap\)", out)
        assert re.search(r"unmanaged +device \d+ +198\.18\.0\.12 ", out)
        # The unmanaged policy: only what a scanner saw itself raises (the lab's two unregistered
        # hosts and the five polled devices); the MACs learnt from the recorded devices' ARP caches
        # and forwarding tables are discovered nodes, listed with the reason and raising nothing.
        learnt = int(re.search(r"counting the (\d+) learnt from their ARP caches", out).group(1))
        assert learnt > 100
        assert re.search(r"open exceptions: unmanaged 7, ", out)
        assert f"not raised:      {learnt} by the unmanaged policy (discovered nodes), 0 suppressed by rules" in out
        assert f"discovered nodes (not registered, no exception by policy): {learnt}, for example:" in out
        assert re.search(r"unmanaged_policy: known only from a (router's ARP cache|switch's forwarding table)", out)
    else:
        assert "skipped: building the lab network needs root" in out
    # SNMP discovery of recorded real devices served by snmpsim on loopback
    assert re.search(r"127\.0\.5\.1 +switch +Cisco +WS-C3560G-48TS-E +serial FOC1408Z61U +57 interfaces", out)
    assert re.search(r"127\.0\.5\.3 +printer +Sharp .*serial 3502147X00", out)
    assert re.search(r"127\.0\.5\.5 +wireless_ap +Ubiquiti", out)
    # the web UI's demo logins work: their passwords verify against the stored hashes
    logins = dict(re.findall(r"^ +(demo-admin|demo-auditor) +(\S+) +\((?:admin|auditor)\)$", out, re.M))
    assert set(logins) == {"demo-admin", "demo-auditor"} and f"web UI: http://127.0.0.1:{port}/" in out
    # Software licence compliance: this machine's packages as products, the sample entitlements,
    # the positions (the SQL Server host's 32 cores, a VM's 8 and another's 2 raised to the minimum
    # of 4 against 16 licensed), the over-deployment's exception and workflow, the ELP export.
    assert "7 machines of a demo office reported" in out
    found = re.search(r"this machine: (\d+) installed packages are (\d+) products", out)
    assert found and int(found.group(1)) == packages and int(found.group(2)) >= 1
    assert "imported 6 entitlements" in out
    assert re.search(r"Microsoft SQL Server +processor_core +16 +44 +-28 +384944\.00", out)
    assert re.search(r"Microsoft Office Professional Plus +device +50 +4 +46 ", out)
    assert re.search(r"Oracle Java SE +named_user +25 +2 +23 ", out)
    assert re.search(r"exception \d+ \(over_deployed\): Microsoft SQL Server over-deployed", out)
    assert re.search(r"workflow \d+ \(license_remediation\) raised for it: stage Initiation", out)
    assert re.search(r"Microsoft Office +ws-demo-04 +dave +200 days unused +439\.00 EUR", out)
    assert re.search(r"Oracle Java SE +entitlement \d+ +ends 2027-01-31 .*workflow \d+", out)
    assert re.search(r"wrote \d+ rows to \S+elp-microsoft\.xlsx \(\d+ bytes, sha256 [0-9a-f]{64}\)", out)
    # Daily work in the web UI: one search finds this machine (host name in capitals) and a
    # device by a MAC in dotted notation, the hits link to record pages that open, and the
    # exception export's data hash equals the one its audit entry recorded.
    assert "signed in as demo-auditor (auditor, read-only)" in out
    host = socket.gethostname()
    assert re.search(rf"search '{re.escape(host.upper())}': \d+ match", out)
    assert re.search(rf"    {re.escape(host)} \(matched on host name\) -> http://127\.0\.0\.1:{port}/assets/\d+", out)
    assert re.search(r"CI page /cis/\d+: 'CI LT-DEMO'", out)
    if os.geteuid() == 0:
        assert re.search(r"search '[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}': \d+ match", out)
        assert re.search(r"device page /devices/\d+: ", out)
    assert re.search(r"export stocktake-exceptions-status-unresolved-\d{8}T\d{6}Z-[0-9a-f]+\.csv: \d+ rows", out)
    assert "    Id,Kind,Status,Subject,Subject type,Subject id,…" in out
    assert re.search(r"audit entry \d+ holds its data SHA-256 [0-9a-f]{64}; recomputed from the file: the same", out)
    assert re.search(r"audit log: \d+ entries, chain intact, head entry \d+ SHA-256 [0-9a-f]{64}", out)
    # Operations: readiness, the metrics of this very run, and a backup whose audit log verifies.
    assert "ready: ok" in out
    # This machine's report, the demo office's seven, and this machine's second report during the
    # workflow step: "unchanged", or "stored" when something on the machine changed in between
    # (its usage probe lists the executables running, and another job may have started one).
    inventory = {outcome: float(count) for outcome, count in
                 re.findall(r'stocktake_reports_total\{kind="inventory",outcome="(\w+)"\} ([\d.]+)', out)}
    assert inventory.get("stored", 0) in (8, 9) and inventory.get("stored", 0) + inventory.get("unchanged", 0) == 9, inventory
    assert re.search(r"stocktake_fleet_agents [1-9]", out)
    # Interop: Debian's ocsinventory-agent reports this machine through a foreign-agent site, twice.
    if shutil.which("ocsinventory-agent"):
        assert "site 'demo-office' created (stocktake-collector foreign-sites create demo-office)" in out
        assert "  first run: exit 0, report stored" in out
        assert "  second run: exit 0, report unchanged" in out
        assert re.search(r"  asset \d+ \S+: reported by ocsinventory-agent 2\.\S+ \(OCS protocol\)", out)
        assert re.search(r"    (the same asset as Stocktake's own agent's reports|a second asset beside Stocktake's own "
                         r"agent's) \(asset \d+\)", out)
    else:
        assert "skipped: ocsinventory-agent is not installed" in out
    assert re.search(r"backed up to \S+stocktake-backup\.db \([\d,]+ bytes\)", out)
    assert re.search(r"the backup's audit log intact: [1-9]\d* entries", out)
    assert "stopped." in out
    assert (tmp_path / "var" / "stocktake.db").exists()
    from sqlalchemy import create_engine, text

    from collector.access.passwords import verify_password

    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'stocktake.db'}")
    with engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT username, password_hash FROM users")).all())
    engine.dispose()
    assert all(verify_password(password, stored[name]) for name, password in logins.items())
    with socket.socket() as sock:  # the collector is gone
        assert sock.connect_ex(("127.0.0.1", port)) != 0
