"""ARP sweeps: range validation, and a real sweep of a namespace network from inside it."""

import json
import os
import sys
from pathlib import Path

import pytest

from agent.discovery.arp import sweep_targets

ROOT = Path(__file__).resolve().parents[3]
SWEEP = "import json, sys; from agent.discovery.arp import sweep; print(json.dumps(sweep(*sys.argv[1:3])))"


@pytest.mark.parametrize(
    "cidr, message",
    [
        ("10.0.0.0/8", "limit per sweep is 4096"),
        ("8.8.8.0/24", "public address space"),
        ("2001:db8::/120", "IPv4 only"),
        ("127.0.0.0/24", "cannot be ARP-swept"),
        ("198.18.0.0/33", "not an IP range"),
        ("printers", "not an IP range"),
    ],
)
def test_unacceptable_ranges_are_refused_before_any_frame(cidr, message):
    with pytest.raises(ValueError, match=message):
        sweep_targets(cidr)


def test_targets_are_the_hosts_of_the_range():
    assert sweep_targets("198.18.0.0/30") == ["198.18.0.1", "198.18.0.2"]
    assert len(sweep_targets("198.18.0.0/24")) == 254
    assert sweep_targets("203.0.113.0/30", allow_public=True) == ["203.0.113.1", "203.0.113.2"]


def test_sweep_finds_every_host_with_its_exact_mac(l2_network):
    done = l2_network.run_in_scanner([sys.executable, "-c", SWEEP, "198.18.0.0/24", l2_network.interface], cwd=ROOT)
    assert done.returncode == 0, done.stderr
    found = {ip: mac for ip, mac in json.loads(done.stdout)}
    assert found == {host.ip: host.mac for host in l2_network.hosts}


def test_without_cap_net_raw_the_sweep_says_so(l2_network):
    if not Path("/usr/bin/setpriv").exists():
        pytest.skip("setpriv (util-linux) is needed to drop privileges")
    done = l2_network.run_in_scanner(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", SWEEP,
         "198.18.0.0/24", l2_network.interface], cwd=ROOT, env={**os.environ, "HOME": "/tmp"})
    assert done.returncode != 0
    assert "ARP sweeps need CAP_NET_RAW" in done.stderr
