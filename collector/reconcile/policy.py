"""Which unmatched devices must be registered: the "unmanaged" exception's scope.

A scanner learns far more MACs than it sees: every switch's forwarding table (BRIDGE-MIB,
Q-BRIDGE-MIB) and router's ARP cache (IP-MIB ipNetToPhysicalTable) lists every host behind
it, and LLDP names every neighbour. On a campus that is tens of thousands of MACs, most of
them phones, printers and visitors nobody registers. So by default only what a scanner saw
itself (an ARP reply on its own segment, an SNMP agent that answered) raises "unmanaged";
a MAC known only from another device's table stays a *discovered node*: listed and
searchable, raising nothing. Hypervisor-virtual MACs do not raise either: the agent on the VM
reports that machine. Sites tune this in the collector TOML (``[collector.unmanaged_policy]``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping

from common.identity import VIRTUAL_MAC_PREFIXES
from common.schema import DiscoveryMethod

__all__ = ["POLICY_NAME", "DeviceFacts", "UnmanagedPolicy", "parse_policy", "policy_problems"]

POLICY_NAME = "unmanaged_policy"
_METHODS = frozenset(m.value for m in DiscoveryMethod)
_INDIRECT = {"router_arp": "a router's ARP cache", "switch_fdb": "a switch's forwarding table",
             "lldp": "a neighbour's LLDP table"}
_DEFAULTS = {"raise_methods": ["arp", "snmp"], "quiet_device_types": [], "quiet_subnets": [],
             "raise_subnets": [], "quiet_scan_profiles": [], "quiet_virtual_macs": True}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class DeviceFacts:
    """What the policy and suppression rules look at for one scanned device."""

    mac: str | None
    ip: str | None
    device_type: str | None
    found_by: frozenset[str]


@dataclass(frozen=True)
class UnmanagedPolicy:
    raise_methods: frozenset[str]
    quiet_device_types: frozenset[str]
    quiet_subnets: tuple[Network, ...]
    raise_subnets: tuple[Network, ...]
    quiet_scan_profiles: tuple[str, ...]  # names; their ranges are read at run time
    quiet_virtual_macs: bool

    def with_profiles(self, ranges: Mapping[str, list[str]]) -> "UnmanagedPolicy":
        """The policy with the named scan profiles' ranges added to ``quiet_subnets``."""
        extra = tuple(ipaddress.ip_network(cidr, strict=False) for name in self.quiet_scan_profiles
                      for cidr in ranges.get(name, ()))
        return UnmanagedPolicy(self.raise_methods, self.quiet_device_types, self.quiet_subnets + extra,
                               self.raise_subnets, self.quiet_scan_profiles, self.quiet_virtual_macs)

    def quiet_reason(self, device: DeviceFacts) -> str | None:
        """None when the device must be registered (raise "unmanaged"); otherwise why not."""
        prefix = (device.mac or "")[:8]
        if self.quiet_virtual_macs and prefix in VIRTUAL_MAC_PREFIXES:
            return (f"hypervisor-virtual MAC ({VIRTUAL_MAC_PREFIXES[prefix]} {prefix}): "
                    "the agent on the VM reports it")
        if device.device_type and device.device_type in self.quiet_device_types:
            return f"device type {device.device_type} is not registered"
        # Most sites set no subnets: then no address is parsed (50,000 parses are 0.6 s of a run).
        address = _address(device.ip) if self.quiet_subnets or self.raise_subnets else None
        if address is not None:
            quiet = next((n for n in self.quiet_subnets if address in n), None)
            if quiet is not None:
                return f"subnet {quiet} is not registered"
            if any(address in n for n in self.raise_subnets):
                return None
        if device.found_by & self.raise_methods:
            return None
        how = ", ".join(_INDIRECT.get(m, m) for m in sorted(device.found_by)) or "no direct sighting"
        return f"known only from {how}: a discovered node"


def _address(ip: str | None):
    try:
        return ipaddress.ip_address(ip) if ip else None
    except ValueError:
        return None


def policy_problems(table: Mapping) -> list[str]:
    """Every problem with a ``[collector.unmanaged_policy]`` table, each naming its key."""
    return parse_policy(table)[1]


def parse_policy(table: Mapping) -> tuple[UnmanagedPolicy | None, list[str]]:
    """The policy over the defaults; ``problems`` lists what is wrong (then the policy is None)."""
    name = POLICY_NAME
    problems = [f"{name}.{key}: unknown key (known: {', '.join(sorted(_DEFAULTS))})"
                for key in table if key not in _DEFAULTS]
    values = {**_DEFAULTS, **table}
    lists = {}
    for key in ("raise_methods", "quiet_device_types", "quiet_subnets", "raise_subnets", "quiet_scan_profiles"):
        raw = values[key]
        if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
            problems.append(f"{name}.{key}: expected a list of non-empty strings, got {raw!r}")
            raw = []
        lists[key] = [v.strip() for v in raw]
    problems += [f"{name}.raise_methods: {m!r} is not a discovery method ({', '.join(sorted(_METHODS))})"
                 for m in lists["raise_methods"] if m not in _METHODS]
    subnets = {key: _networks(f"{name}.{key}", lists[key], problems) for key in ("quiet_subnets", "raise_subnets")}
    if not isinstance(values["quiet_virtual_macs"], bool):
        problems.append(f"{name}.quiet_virtual_macs: expected true or false, got {values['quiet_virtual_macs']!r}")
    if problems:
        return None, problems
    return UnmanagedPolicy(frozenset(lists["raise_methods"]), frozenset(lists["quiet_device_types"]),
                           subnets["quiet_subnets"], subnets["raise_subnets"], tuple(lists["quiet_scan_profiles"]),
                           values["quiet_virtual_macs"]), []


def _networks(name: str, values: list[str], problems: list[str]) -> tuple[Network, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            problems.append(f"{name}: {value!r} is not an IP network (CIDR such as 10.20.0.0/16)")
    return tuple(networks)
