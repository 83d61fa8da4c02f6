"""Which ARP sweep runs: the raw AF_PACKET one (Linux, fast) or scapy's (portable).

One facade, ``arp_sweep``, behind which both engines keep the same contract (arguments,
bounds, ArpResponder records, range refusal before any frame). ``auto`` picks raw frames
wherever the platform has AF_PACKET, and scapy elsewhere (macOS, BSD, Windows with Npcap).
On Linux a missing CAP_NET_RAW is reported as such rather than handed to scapy: scapy
sends through the same AF_PACKET sockets there and would fail the same way, less clearly.
``raw`` and ``scapy`` force an engine, for tests and troubleshooting.
"""

from __future__ import annotations

import importlib.util
import socket
from typing import NamedTuple

from agent.discovery.arp import ArpError, ArpResponder, sweep_targets

__all__ = ["ENGINES", "Capabilities", "arp_sweep", "choose_engine", "detect_capabilities"]

ENGINES = ("auto", "raw", "scapy")


class Capabilities(NamedTuple):
    """What this scanner can use: AF_PACKET sockets (Linux) and an installed scapy."""

    af_packet: bool
    scapy: bool


def detect_capabilities() -> Capabilities:
    """Looks without importing scapy (half a second): its package spec is enough."""
    try:
        has_scapy = importlib.util.find_spec("scapy") is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        has_scapy = False
    return Capabilities(hasattr(socket, "AF_PACKET"), has_scapy)


def choose_engine(requested: str, capabilities: Capabilities) -> str:
    """``raw`` or ``scapy`` for the ``requested`` engine; ArpError when it cannot run here."""
    if requested not in ENGINES:
        raise ValueError(f"unknown ARP engine {requested!r}: one of {', '.join(ENGINES)}")
    if requested == "raw" and not capabilities.af_packet:
        raise ArpError("the raw ARP engine needs AF_PACKET sockets (Linux); use --arp-engine scapy or auto")
    if requested == "scapy" and not capabilities.scapy:
        raise ArpError("the scapy ARP engine needs scapy (pip install 'stocktake[scan]'); on Windows also Npcap")
    if requested != "auto":
        return requested
    if capabilities.af_packet:
        return "raw"
    if capabilities.scapy:
        return "scapy"
    raise ArpError("no ARP engine on this platform: it has no AF_PACKET sockets and scapy is not installed "
                   "(pip install 'stocktake[scan]'; on Windows also Npcap)")


def arp_sweep(cidr: str, interface: str, engine: str = "auto", allow_public: bool = False,
              capabilities: Capabilities | None = None, **bounds) -> list[ArpResponder]:
    """Sweep ``cidr`` on ``interface`` with the chosen engine; ``bounds`` are the engines'
    ``timeout_s``, ``retries``, ``rate_pps`` and ``quiet_s``. The range is checked first,
    so a refused range never reaches the privilege check or the scapy import."""
    sweep_targets(cidr, allow_public)
    chosen = choose_engine(engine, capabilities or detect_capabilities())
    if chosen == "raw":
        from agent.discovery.arp import sweep
    else:
        from agent.discovery.arp_scapy import sweep
    return sweep(cidr, interface, allow_public=allow_public, **bounds)

