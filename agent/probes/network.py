"""Network interfaces: name, MAC, addresses, speed, and whether the NIC is virtual.

A NIC is physical when ``/sys/class/net/<name>/device`` exists (it is backed by a bus
device); veth, bridges, bonds, tun/tap, Docker and loopback have no such link. The kind
comes from the kernel's own description in ``uevent`` (DEVTYPE) and the name.
"""

from __future__ import annotations

import os
import socket
import sys

import psutil

from agent.probes.base import Fragment
from common.identity import classify_mac

__all__ = ["NetworkProbe", "interface_kind"]

SYS_NET = "/sys/class/net"
_NAME_KINDS = (("veth", "veth"), ("docker", "docker"), ("br-", "bridge"), ("virbr", "bridge"), ("tun", "tun"),
               ("tap", "tap"), ("bond", "bond"), ("wg", "wireguard"), ("ifb", "ifb"), ("vnet", "tap"))


class NetworkProbe:
    name = "network"

    def __init__(self, sys_net: str | os.PathLike[str] = SYS_NET) -> None:
        self.sys_net = os.fspath(sys_net)

    def supported(self) -> bool:
        return sys.platform.startswith("linux")

    def collect(self) -> Fragment:
        addresses = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
        nics = []
        for name in sorted(addresses):
            if name == "lo":
                continue
            nic: Fragment = {"name": name, "ipv4": [], "ipv6": []}
            for address in addresses[name]:
                if address.family == psutil.AF_LINK:
                    info = classify_mac(address.address)
                    if info:
                        nic["mac"] = info.mac
                elif address.family == socket.AF_INET:
                    nic["ipv4"].append(address.address)
                elif address.family == socket.AF_INET6:
                    nic["ipv6"].append(address.address.split("%", 1)[0])
            kind = interface_kind(name, self._uevent(name), os.path.exists(os.path.join(self.sys_net, name, "device")))
            nic["kind"] = kind
            nic["virtual"] = kind != "physical" and kind != "wireless"
            speed = stats[name].speed if name in stats else 0
            if speed > 0:
                nic["speed_mbps"] = speed
            nics.append(nic)
        return {"nics": nics}

    def _uevent(self, name: str) -> dict[str, str]:
        try:
            with open(os.path.join(self.sys_net, name, "uevent")) as handle:
                text = handle.read()
        except OSError:
            return {}
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def interface_kind(name: str, uevent: dict[str, str], has_device: bool) -> str:
    """physical, wireless, or the kind of virtual interface."""
    devtype = uevent.get("DEVTYPE", "")
    if devtype == "wlan":
        return "wireless"
    if devtype in ("bridge", "bond", "vlan", "wireguard"):
        return devtype
    if has_device:
        return "physical"
    for prefix, kind in _NAME_KINDS:
        if name.startswith(prefix):
            return kind
    return "virtual"
