"""Choosing the ARP engine: raw AF_PACKET frames where the platform has them, scapy elsewhere,
a clear error when neither can run; the override (option and agent setting) is honoured."""

import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import AgentConfigError, load_agent_config
from agent.discovery.arp import ArpError
from agent.discovery.arp_engine import Capabilities, arp_sweep, choose_engine, detect_capabilities

ROOT = Path(__file__).resolve().parents[3]
LINUX = Capabilities(af_packet=True, scapy=True)
MACOS = Capabilities(af_packet=False, scapy=True)  # also the BSDs and Windows with Npcap
BARE = Capabilities(af_packet=False, scapy=False)


@pytest.mark.parametrize("capabilities, engine", [(LINUX, "raw"), (Capabilities(True, False), "raw"), (MACOS, "scapy")])
def test_auto_prefers_raw_frames_and_falls_back_to_scapy(capabilities, engine):
    assert choose_engine("auto", capabilities) == engine


def test_without_af_packet_or_scapy_auto_says_what_to_install():
    with pytest.raises(ArpError, match=r"no AF_PACKET sockets and scapy is not installed \(pip install 'stocktake\[scan"):
        choose_engine("auto", BARE)


def test_a_forced_engine_is_used_or_refused_with_the_reason():
    assert choose_engine("scapy", LINUX) == "scapy"
    assert choose_engine("raw", LINUX) == "raw"
    with pytest.raises(ArpError, match="raw ARP engine needs AF_PACKET sockets"):
        choose_engine("raw", MACOS)
    with pytest.raises(ArpError, match="scapy ARP engine needs scapy"):
        choose_engine("scapy", Capabilities(True, False))
    with pytest.raises(ValueError, match="unknown ARP engine 'pcap'"):
        choose_engine("pcap", LINUX)


def test_this_linux_scanner_has_both_engines():
    assert detect_capabilities() == LINUX


def test_a_refused_range_is_refused_before_choosing_an_engine():
    with pytest.raises(ValueError, match="public address space"):
        arp_sweep("8.8.8.0/24", "stk-none0", "auto", capabilities=BARE)


def _sweep_without_scapy(engine: str, capabilities: str) -> subprocess.CompletedProcess:
    """A real interpreter in which ``import scapy`` fails, as if AF_PACKET were missing; the
    interface does not exist, so even a wrong choice could not send a frame."""
    code = ("import sys; sys.modules['scapy'] = None\n"
            "from agent.discovery.arp_engine import Capabilities, arp_sweep, detect_capabilities\n"
            "print(detect_capabilities())\n"
            f"arp_sweep('198.18.0.0/24', 'stk-none0', {engine!r}, capabilities={capabilities})")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("engine, capabilities, message", [
    ("auto", "detect_capabilities()._replace(af_packet=False)",
     "no ARP engine on this platform: it has no AF_PACKET sockets and scapy is not installed"),
    ("scapy", "detect_capabilities()", "the scapy ARP engine needs scapy"),
    # Detection saw a package that does not import (a broken install): the engine itself says so.
    ("scapy", "Capabilities(False, True)", "the scapy ARP engine needs scapy (pip install 'stocktake[scan]')"),
])
def test_with_scapy_missing_the_sweep_fails_with_a_clear_error(engine, capabilities, message):
    done = _sweep_without_scapy(engine, capabilities)
    assert "Capabilities(af_packet=True, scapy=False)" in done.stdout
    assert f"ArpError: {message}" in done.stderr, done.stderr
    assert ("arp_scapy.py" in done.stderr) == (capabilities == "Capabilities(False, True)")  # which layer refused


def test_the_scapy_engine_imports_scapy_only_when_it_runs():
    code = ("import sys; from agent.discovery import arp_engine, scan; from agent import cli\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scapy'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_agent_setting_names_an_engine(tmp_path):
    assert load_agent_config(environ={"STOCKTAKE_AGENT_CONFIG": "/dev/null"}).arp_engine == "auto"
    chosen = load_agent_config(environ={"STOCKTAKE_AGENT_CONFIG": "/dev/null", "STOCKTAKE_AGENT_ARP_ENGINE": "scapy"})
    assert chosen.arp_engine == "scapy"
    with pytest.raises(AgentConfigError, match="arp_engine must be auto, raw or scapy, got 'npcap'"):
        load_agent_config(environ={"STOCKTAKE_AGENT_CONFIG": "/dev/null", "STOCKTAKE_AGENT_ARP_ENGINE": "npcap"})
