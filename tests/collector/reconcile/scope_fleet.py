"""A scanned network for the exception scope: each device found a different way, with the answer
the default policy gives (``RAISED``) and the reason it gives for the rest (``QUIET``)."""

from __future__ import annotations

from collector.models import ScanProfile
from tests.collector.reconcile.fleet import NOW, Fleet, _Builder

__all__ = ["NOW", "QUIET", "RAISED", "build_scanned_network"]

RAISED = {"lab-pc", "printer", "guest-laptop", "desk-phone"}  # seen directly, by ARP or SNMP
QUIET = {
    "fdb-only": "known only from a switch's forwarding table: a discovered node",
    "router-arp": "known only from a router's ARP cache: a discovered node",
    "lldp-ap": "known only from a neighbour's LLDP table: a discovered node",
    "vmware-vm": "hypervisor-virtual MAC (VMware 00:50:56): the agent on the VM reports it",
    "kvm-guest": "hypervisor-virtual MAC (QEMU/KVM 52:54:00): the agent on the VM reports it",
    "server-fdb": "known only from a switch's forwarding table: a discovered node",
}


def build_scanned_network(session) -> Fleet:
    b = _Builder(session, seed=13)
    b.ci("SW-CORE", ci_class="switch", vendor="Cisco", model="C9300", macs=["00:00:0c:13:00:01"], ip="198.18.3.1")
    b.asset("sw-core-agentless", macs=[])  # keeps the fleet non-trivial; matched to nothing, raises as an asset
    b.device("lab-pc", found_by=["arp"], mac="3c:52:82:13:00:10", ip="198.18.3.10")
    b.device("printer", found_by=["snmp"], mac="00:17:c8:13:00:20", ip="198.18.3.20", device_type="printer",
             sys_name="prn-3f")
    b.device("guest-laptop", found_by=["arp"], mac="f0:18:98:13:00:30", ip="198.18.9.40")
    b.device("desk-phone", found_by=["arp", "switch_fdb"], mac="00:1b:a9:13:00:40", ip="198.18.3.40",
             device_type="phone")
    b.device("fdb-only", found_by=["switch_fdb"], mac="00:1b:a9:13:00:50")
    b.device("router-arp", found_by=["router_arp"], mac="3c:52:82:13:00:60", ip="10.5.0.7")
    b.device("lldp-ap", found_by=["lldp"], mac="24:a4:3c:13:00:70", ip="198.18.3.70", device_type="wireless_ap")
    b.device("vmware-vm", found_by=["arp"], mac="00:50:56:13:00:80", ip="198.18.3.80")
    b.device("kvm-guest", found_by=["arp"], mac="52:54:00:13:00:90", ip="198.18.3.90")
    b.device("server-fdb", found_by=["switch_fdb"], mac="3c:52:82:13:00:a0", ip="198.18.5.5")
    session.add(ScanProfile(name="guest-wifi", ranges=["198.18.9.0/24"], interface="eth0", max_addresses=256,
                            interval_s=3600))
    session.flush()
    return b.fleet
