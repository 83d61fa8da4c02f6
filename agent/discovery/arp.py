"""ARP sweep: which addresses of a range answer on the local segment, and with which MAC.

ARP works only on the scanner's own L2 segment, which is why scanning runs in agents
placed in each network (like OCS IpDiscover). Sending raw Ethernet frames needs
CAP_NET_RAW; without it the sweep fails at once with a message saying so. Ranges are
validated before a single frame leaves: a size cap, and public address space only when
explicitly allowed, so that a typo cannot turn an inventory tool into an Internet scanner.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import NamedTuple

from common.identity import normalize_mac

__all__ = ["ArpError", "ArpResponder", "MAX_SWEEP_ADDRESSES", "check_raw_socket", "sweep", "sweep_targets"]

# A /20: a scan profile wanting more is split into several, each bounded in time.
MAX_SWEEP_ADDRESSES = 4096


class ArpError(RuntimeError):
    """The sweep cannot run (no privilege, unknown interface); the message says why."""


class ArpResponder(NamedTuple):
    ip: str
    mac: str


def sweep_targets(cidr: str, allow_public: bool = False, max_addresses: int = MAX_SWEEP_ADDRESSES) -> list[str]:
    """The host addresses of ``cidr`` to probe; ValueError for an unacceptable range."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError as exc:
        raise ValueError(f"not an IP range: {cidr!r} ({exc})") from None
    if network.version != 4:
        raise ValueError(f"ARP is IPv4 only; {cidr} is IPv{network.version}")
    if network.num_addresses > max_addresses:
        raise ValueError(f"{cidr} has {network.num_addresses} addresses; the limit per sweep is {max_addresses}")
    if not allow_public and not network.is_private:
        raise ValueError(f"{cidr} is public address space; scan it only with allow_public")
    if network.is_loopback or network.is_multicast or network.is_unspecified:
        raise ValueError(f"{cidr} cannot be ARP-swept")
    hosts = list(network.hosts()) if network.num_addresses > 2 else list(network)
    return [str(address) for address in hosts]


def check_raw_socket(interface: str) -> None:
    """Fail early, with a clear message, when raw frames cannot be sent on ``interface``."""
    try:
        probe = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    except PermissionError:
        raise ArpError("ARP sweeps need CAP_NET_RAW: run the scanner as root or grant the capability "
                       "(systemd/stocktake-agent-scanner.conf)") from None
    try:
        probe.bind((interface, 0))
    except OSError as exc:
        raise ArpError(f"cannot use interface {interface!r}: {exc.strerror}") from None
    finally:
        probe.close()


def sweep(
    cidr: str,
    interface: str,
    timeout_s: float = 1.0,
    retries: int = 1,
    rate_pps: float | None = None,
    allow_public: bool = False,
) -> list[ArpResponder]:
    """Broadcast an ARP who-has for every address and collect the answers (bounded in time).

    Total time is at most about ``(retries + 1) * timeout_s`` plus sending time; with
    ``rate_pps`` the frames are paced to protect small switches and busy segments.
    """
    targets = sweep_targets(cidr, allow_public)
    check_raw_socket(interface)
    from scapy.layers.l2 import ARP, Ether  # heavy (~0.5 s): only scanners pay for it
    from scapy.sendrecv import srp

    frames = Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=targets)
    answered, _ = srp(frames, iface=interface, timeout=timeout_s, retry=retries,
                      inter=1.0 / rate_pps if rate_pps else 0, verbose=False)
    found: dict[str, ArpResponder] = {}
    for _, reply in answered:
        mac = normalize_mac(reply[ARP].hwsrc)
        if mac and reply[ARP].psrc in targets:
            found.setdefault(reply[ARP].psrc, ArpResponder(reply[ARP].psrc, mac))
    return sorted(found.values(), key=lambda r: ipaddress.ip_address(r.ip))
