"""`make demo`'s script: collector up, this machine enrolled and reported, summary printed."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.live
@pytest.mark.skipif(os.environ.get("STOCKTAKE_TEST_DB") == "postgresql", reason="the demo runs on SQLite only; covered by the SQLite run")
def test_demo_once_shows_this_machine_with_its_packages(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKTAKE_")}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--once", "--port", str(port),
                             "--data-dir", str(tmp_path / "var")], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
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
    else:
        assert "skipped: building the lab network needs root" in out
    # SNMP discovery of recorded real devices served by snmpsim on loopback
    assert re.search(r"127\.0\.5\.1 +switch +Cisco +WS-C3560G-48TS-E +serial FOC1408Z61U +57 interfaces", out)
    assert re.search(r"127\.0\.5\.3 +printer +Sharp .*serial 6509415X00", out)
    assert re.search(r"127\.0\.5\.5 +wireless_ap +Ubiquiti", out)
    # the web UI's demo logins work: their passwords verify against the stored hashes
    logins = dict(re.findall(r"^ +(demo-admin|demo-auditor) +(\S+) +\((?:admin|auditor)\)$", out, re.M))
    assert set(logins) == {"demo-admin", "demo-auditor"} and f"web UI: http://127.0.0.1:{port}/" in out
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
