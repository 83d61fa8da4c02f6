"""The unmanaged policy on its own: which sightings must be registered, and config errors named precisely."""

import pytest

from collector.config import ConfigError, load_config
from collector.reconcile.policy import DeviceFacts, parse_policy


def _policy(**table):
    policy, problems = parse_policy(table)
    assert problems == []
    return policy


def _device(*found_by, mac="3c:52:82:00:00:01", ip="198.18.3.10", device_type=None):
    return DeviceFacts(mac, ip, device_type, frozenset(found_by))


@pytest.mark.parametrize("methods, raised", [
    (("arp",), True), (("snmp",), True), (("arp", "switch_fdb"), True), (("snmp", "router_arp"), True),
    (("switch_fdb",), False), (("router_arp",), False), (("lldp",), False), (("router_arp", "switch_fdb"), False),
])
def test_the_default_raises_for_direct_sightings_only(methods, raised):
    reason = _policy().quiet_reason(_device(*methods))
    assert (reason is None) is raised
    if not raised:
        assert reason.startswith("known only from ") and reason.endswith(": a discovered node")


def test_the_reason_says_which_table_the_mac_came_from():
    reason = _policy().quiet_reason(_device("router_arp", "switch_fdb"))
    assert reason == "known only from a router's ARP cache, a switch's forwarding table: a discovered node"


@pytest.mark.parametrize("mac, maker", [
    ("00:50:56:01:02:03", "VMware"), ("00:0c:29:01:02:03", "VMware"), ("00:05:69:01:02:03", "VMware"),
    ("00:15:5d:01:02:03", "Microsoft Hyper-V"), ("52:54:00:01:02:03", "QEMU/KVM"), ("00:16:3e:01:02:03", "Xen"),
    ("08:00:27:01:02:03", "VirtualBox"),
])
def test_hypervisor_virtual_macs_do_not_raise_even_when_seen_directly(mac, maker):
    reason = _policy().quiet_reason(_device("arp", mac=mac))
    assert reason == f"hypervisor-virtual MAC ({maker} {mac[:8]}): the agent on the VM reports it"
    assert _policy(quiet_virtual_macs=False).quiet_reason(_device("arp", mac=mac)) is None


def test_methods_types_and_subnets_are_configurable():
    policy = _policy(raise_methods=["arp", "snmp", "switch_fdb"], quiet_device_types=["phone"],
                     quiet_subnets=["198.18.9.0/24"], raise_subnets=["198.18.5.0/24"])
    assert policy.quiet_reason(_device("switch_fdb")) is None  # now a method that raises
    assert policy.quiet_reason(_device("arp", device_type="phone")) == "device type phone is not registered"
    assert policy.quiet_reason(_device("arp", ip="198.18.9.40")) == "subnet 198.18.9.0/24 is not registered"
    assert policy.quiet_reason(_device("lldp", ip="198.18.5.5")) is None  # raise_subnets: whatever the method
    assert policy.quiet_reason(_device("lldp", ip="198.18.6.5")) is not None
    assert policy.quiet_reason(_device("lldp", ip=None)) is not None


def test_scan_profile_ranges_count_as_quiet_subnets():
    policy = _policy(quiet_scan_profiles=["guest-wifi"]).with_profiles({"guest-wifi": ["198.19.0.0/16"]})
    assert policy.quiet_reason(_device("arp", ip="198.19.4.2")) == "subnet 198.19.0.0/16 is not registered"
    assert policy.quiet_reason(_device("arp", ip="198.18.4.2")) is None


def test_bad_policy_config_names_every_key_and_starts_nothing():
    table = {"raise_methods": ["arp", "fdb"], "quiet_subnets": ["198.18.0.0/33"], "raise_subnets": "198.18.0.0/15",
             "quiet_virtual_macs": "yes", "quiet_vms": True}
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={}, overrides={"unmanaged_policy": table})
    message = str(caught.value)
    for expected in ("unmanaged_policy.quiet_vms: unknown key",
                     "unmanaged_policy.raise_methods: 'fdb' is not a discovery method",
                     "unmanaged_policy.quiet_subnets: '198.18.0.0/33' is not an IP network",
                     "unmanaged_policy.raise_subnets: expected a list of non-empty strings, got '198.18.0.0/15'",
                     "unmanaged_policy.quiet_virtual_macs: expected true or false, got 'yes'"):
        assert expected in message


def test_the_example_config_carries_the_default_policy(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "config" / "collector.example.toml"
    config = load_config(example, environ={})
    assert parse_policy(config.unmanaged_policy) == parse_policy({})
