"""ARP sweep through scapy: the portable path for scanners without AF_PACKET.

Same contract as the raw sweep in ``arp.py`` (same arguments, bounds and ArpResponder
records, same range refusal before any frame), for macOS and the BSDs (scapy sends over
/dev/bpf*) and Windows (over Npcap). scapy is imported only here, and only the layers the
sweep needs (0.13-0.2 s measured on a loaded VM, a fifth of ``scapy.all``'s); its start-up warnings
(no IPv6 route, no libpcap) are silenced: they say nothing about ARP on one segment.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import warnings
from types import SimpleNamespace

from agent.discovery.arp import ArpError, ArpResponder, sweep_targets
from common.identity import normalize_mac

__all__ = ["load_scapy", "sweep"]

_BROADCAST = "ff:ff:ff:ff:ff:ff"
_ARP_REQUEST, _ARP_REPLY = 1, 2  # RFC 826 opcodes
_MISSING = ("the scapy ARP engine needs scapy (pip install 'stocktake[scan]'); on Windows also Npcap "
            "(https://npcap.com)")


def load_scapy() -> SimpleNamespace:
    """The few scapy names the sweep uses; ArpError saying how to install it when it is missing."""
    logging.getLogger("scapy").setLevel(logging.ERROR)  # before the import: its warnings log at import
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. cryptography deprecations from scapy's optional layers
            from scapy.arch import get_if_addr, get_if_hwaddr
            from scapy.arch.common import compile_filter
            from scapy.config import conf
            from scapy.error import Scapy_Exception
            from scapy.interfaces import resolve_iface
            from scapy.layers.l2 import ARP, Ether
    except ImportError:
        raise ArpError(_MISSING) from None
    return SimpleNamespace(conf=conf, ARP=ARP, Ether=Ether, get_if_addr=get_if_addr, get_if_hwaddr=get_if_hwaddr,
                           compile_filter=compile_filter, resolve_iface=resolve_iface, error=Scapy_Exception)


def sweep(
    cidr: str,
    interface: str,
    timeout_s: float = 1.0,
    retries: int = 1,
    rate_pps: float | None = None,
    allow_public: bool = False,
    quiet_s: float = 0.2,
) -> list[ArpResponder]:
    """Broadcast an ARP who-has for every address of ``cidr`` and collect the answers.

    Rounds as in ``arp.sweep``: each listens until no reply came for ``quiet_s`` or
    ``timeout_s`` at most; ``retries`` more rounds go to the silent addresses only;
    ``rate_pps`` paces the frames."""
    targets = sweep_targets(cidr, allow_public)
    scapy = load_scapy()
    sock = _open_socket(scapy, interface)
    try:
        own_mac, own_ip = scapy.get_if_hwaddr(interface), scapy.get_if_addr(interface)
        found: dict[str, ArpResponder] = {}
        wanted = set(targets)
        for _round in range(retries + 1):
            silent = [ip for ip in targets if ip not in found]
            if not silent:
                break
            _send_requests(scapy, sock, own_mac, own_ip, silent, rate_pps)
            _collect_replies(scapy, sock, wanted, found, timeout_s, quiet_s)
    finally:
        sock.close()
    return sorted(found.values(), key=lambda r: ipaddress.ip_address(r.ip))


def _open_socket(scapy: SimpleNamespace, interface: str):
    """scapy's layer-2 socket for this platform (AF_PACKET, BPF or Npcap), not promiscuous:
    ARP replies are addressed to us."""
    try:
        scapy.resolve_iface(interface)  # reloads the interface list once when not found
    except ValueError:
        raise ArpError(f"cannot use interface {interface!r}: no such interface") from None
    try:
        return scapy.conf.L2socket(iface=interface, promisc=False, filter=_arp_filter(scapy, interface))
    except PermissionError:
        raise ArpError("ARP sweeps need raw-frame privileges: run the scanner as root (CAP_NET_RAW on Linux, "
                       "read/write on /dev/bpf* on macOS and BSD, Npcap on Windows)") from None
    except OSError as exc:
        raise ArpError(f"cannot use interface {interface!r}: {exc.strerror or exc}") from None


def _arp_filter(scapy: SimpleNamespace, interface: str) -> str | None:
    """"arp" when libpcap can compile it into a kernel filter, else None: the sweep then
    drops non-ARP frames itself (tried first, because a socket whose filter fails is leaked)."""
    try:
        scapy.compile_filter("arp", interface)
    except (ImportError, OSError, scapy.error):
        return None
    return "arp"


def _send_requests(scapy, sock, own_mac: str, own_ip: str, targets: list[str], rate_pps: float | None) -> None:
    gap = 1.0 / rate_pps if rate_pps else 0.0
    ether = scapy.Ether(dst=_BROADCAST, src=own_mac)
    for target in targets:
        sock.send(ether / scapy.ARP(op=_ARP_REQUEST, hwsrc=own_mac, psrc=own_ip, pdst=target))
        if gap:
            time.sleep(gap)


def _collect_replies(scapy, sock, wanted: set[str], found: dict[str, ArpResponder], timeout_s: float,
                     quiet_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last_reply = time.monotonic()
    while True:
        wait = min(deadline, last_reply + quiet_s) - time.monotonic()
        if wait <= 0 or not sock.select([sock], wait):
            return
        packet = sock.recv()
        if packet is None or scapy.ARP not in packet:
            continue
        arp = packet[scapy.ARP]
        if arp.op == _ARP_REPLY and arp.psrc in wanted and arp.psrc not in found:
            mac = normalize_mac(arp.hwsrc)
            if mac:
                found[arp.psrc] = ArpResponder(arp.psrc, mac)
                last_reply = time.monotonic()
