"""Test networks in network namespaces, built and removed by the tests and benchmarks.

Layout: one namespace holds a bridge; the scanner and each host live in namespaces of
their own, each joined to the bridge by a veth pair. Addresses are in 198.18.0.0/15
(RFC 2544 benchmarking space), so nothing here can reach or be confused with a real
network: the scanner's only interface is its veth to this bridge. Needs root.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field

__all__ = ["L2Network", "SCANNER_IP", "SUBNET", "NetnsHost", "build_l2_network", "remove_l2_network"]

SUBNET = "198.18.0.0/24"
SCANNER_IP = "198.18.0.1"


@dataclass
class NetnsHost:
    namespace: str
    ip: str
    mac: str


@dataclass
class L2Network:
    scanner: str
    bridge: str
    interface: str = "eth0"
    hosts: list[NetnsHost] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    def run_in_scanner(self, argv: list[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.scanner, *argv], capture_output=True, text=True,
                              timeout=timeout, **kwargs)

    def start_in(self, namespace: str, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start a long-running process (a daemon kept in the foreground) inside one of this
        network's namespaces, e.g. a host's SNMP agent; the caller stops it."""
        if namespace not in self.namespaces:
            raise ValueError(f"{namespace} is not a namespace of this network")
        return subprocess.Popen(["ip", "netns", "exec", namespace, *argv], **kwargs)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def build_l2_network(host_count: int, mac_for=lambda i: f"3c:52:82:00:01:{i:02x}") -> L2Network:
    tag = secrets.token_hex(3)
    network = L2Network(scanner=f"stk-scan-{tag}", bridge=f"stk-br-{tag}")
    network.namespaces += [network.bridge, network.scanner]
    try:
        for namespace in network.namespaces:
            _ip("netns", "add", namespace)
        _ip("-n", network.bridge, "link", "add", "br0", "type", "bridge")
        _ip("-n", network.bridge, "link", "set", "br0", "up")
        members = [(network.scanner, SCANNER_IP, "02:00:c6:12:00:01")]
        for index in range(host_count):
            host = NetnsHost(f"stk-h{index}-{tag}", f"198.18.0.{10 + index}", mac_for(index))
            network.hosts.append(host)
            network.namespaces.append(host.namespace)
            _ip("netns", "add", host.namespace)
            members.append((host.namespace, host.ip, host.mac))
        for index, (namespace, address, mac) in enumerate(members):
            port = f"p{index}"
            _ip("link", "add", port, "netns", network.bridge, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            _ip("-n", network.bridge, "link", "set", port, "master", "br0", "up")
            _ip("-n", namespace, "link", "set", "eth0", "address", mac)
            _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
    except Exception:
        remove_l2_network(network)
        raise
    return network


def remove_l2_network(network: L2Network) -> None:
    for namespace in network.namespaces:
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)
