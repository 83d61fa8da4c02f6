"""The shipped systemd units pass ``systemd-analyze verify`` and keep their hardening."""

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted(p for p in (ROOT / "systemd").iterdir() if p.suffix in (".service", ".timer"))
VENV_BIN = ROOT / ".venv" / "bin"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")


def _installable_copy(unit: Path, directory: Path) -> Path:
    """The unit with /opt/stocktake/bin pointing at this checkout's virtualenv, so that
    verify can check the executables exist."""
    copy = directory / unit.name
    copy.write_text(unit.read_text().replace("/opt/stocktake/bin/", f"{VENV_BIN}/"))
    return copy


def _verify(paths, cwd):
    return subprocess.run(["systemd-analyze", "verify", *map(str, paths)], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_every_unit_verifies(tmp_path):
    copies = [_installable_copy(unit, tmp_path) for unit in UNITS]
    result = _verify(copies, tmp_path)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_verify_does_catch_a_broken_unit(tmp_path):
    broken = _installable_copy(ROOT / "systemd" / "stocktake-agent.service", tmp_path)
    broken.write_text(broken.read_text().replace("ProtectSystem=strict", "ProtectSystem=stricter"))
    result = _verify([broken], tmp_path)
    assert "stricter" in result.stderr  # reported (verify exits 0 for ignorable errors: we check stderr too)


@pytest.mark.parametrize("name", ["stocktake-agent.service", "stocktake-agent-once.service"])
def test_agent_units_are_hardened(name):
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "systemd" / name)
    service = unit["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "read-only"
    assert service["PrivateTmp"] == "yes"
    assert service["CapabilityBoundingSet"] == ""
    assert service["ReadWritePaths"] == "/var/lib/stocktake-agent"
