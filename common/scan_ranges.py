"""Which address ranges a scanner may sweep: the same rules on the collector and the agent.

A scan profile is checked when an admin saves it (collector) and again when an agent
receives it (agent), so neither a typo nor a tampered answer turns an inventory tool
into an Internet scanner. Internal space is RFC 1918 plus the other ranges a site
uses internally; anything else is public and needs an explicit ``allow_public``.
Standard library only.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network

__all__ = ["INTERNAL_RANGES", "MAX_SWEEP_ADDRESSES", "check_range", "check_ranges", "is_internal"]

# A /20: the most one ARP sweep covers; a profile wanting more lists several ranges.
MAX_SWEEP_ADDRESSES = 4096

INTERNAL_RANGES = tuple(ipaddress.ip_network(cidr) for cidr in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918 private networks
    "100.64.0.0/10",  # RFC 6598 shared address space (carrier-grade NAT, inside a site)
    "169.254.0.0/16",  # RFC 3927 link-local
    "198.18.0.0/15",  # RFC 2544 benchmarking: the test networks
))


def is_internal(network: IPv4Network) -> bool:
    return any(network.subnet_of(internal) for internal in INTERNAL_RANGES)


def check_range(cidr: str, allow_public: bool = False, max_addresses: int = MAX_SWEEP_ADDRESSES,
                strict: bool = False) -> IPv4Network:
    """The network ``cidr`` names; ValueError saying why it may not be swept.

    ``strict`` refuses host bits (``198.18.0.5/24``): a saved profile says what it means.
    """
    if not isinstance(cidr, str):
        raise ValueError(f"not an IP range: {cidr!r}")
    try:
        network = ipaddress.ip_network(cidr, strict=strict)
    except ValueError as exc:
        if strict and "host bits set" in str(exc):
            suggestion = ipaddress.ip_network(cidr, strict=False)
            raise ValueError(f"{cidr} has host bits set; the network is {suggestion}") from None
        raise ValueError(f"not an IP range: {cidr!r} ({exc})") from None
    if network.version != 4:
        raise ValueError(f"ARP is IPv4 only; {cidr} is IPv{network.version}")
    if network.is_loopback or network.is_multicast or network.is_unspecified or network.is_reserved:
        raise ValueError(f"{cidr} cannot be ARP-swept (loopback, multicast or reserved space)")
    if network.num_addresses > max_addresses:
        raise ValueError(f"{cidr} has {network.num_addresses} addresses; the limit per sweep is {max_addresses}")
    if not allow_public and not is_internal(network):
        raise ValueError(f"{cidr} is public address space; scan it only with allow_public")
    return network


def check_ranges(cidrs: list[str], allow_public: bool, max_addresses: int) -> list[tuple[int, str]]:
    """Every problem of a profile's ranges as (index, message); index -1 concerns them all.

    Each range is checked on its own, then overlaps (an address swept twice) and the
    total against the profile's cap.
    """
    problems: list[tuple[int, str]] = []
    networks: list[tuple[int, IPv4Network]] = []
    for index, cidr in enumerate(cidrs):
        try:
            networks.append((index, check_range(cidr, allow_public, strict=True)))
        except ValueError as exc:
            problems.append((index, str(exc)))
    for position, (index, network) in enumerate(networks):
        for _, earlier in networks[:position]:
            if network.overlaps(earlier):
                problems.append((index, f"{network} overlaps {earlier}"))
                break
    total = sum(network.num_addresses for _, network in networks)
    if total > max_addresses:
        problems.append((-1, f"the ranges cover {total} addresses; this profile allows {max_addresses}"))
    return problems
