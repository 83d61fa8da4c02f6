"""MAC -> vendor from the IEEE registries (Debian ieee-data format)."""

import os
from pathlib import Path

import pytest

from agent.discovery.oui import IEEE_DATA, OuiRegistry, OuiRegistryMissing

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ieee-data"


@pytest.fixture(scope="module")
def registry():
    return OuiRegistry.load(str(FIXTURES))


@pytest.mark.parametrize(
    "mac, vendor",
    [
        ("3c:52:82:12:34:56", "Hewlett Packard"),
        ("00-00-0C-07-AC-01", "Cisco Systems, Inc"),
        ("b827.eb01.0203", "Raspberry Pi Foundation"),
        ("20:85:93:b1:22:33", "IOG Products LLC"),  # MA-M block inside an MA-L of the registration authority
        ("20:85:93:c1:22:33", None),  # same MA-L, another block: the authority itself is no vendor
        ("70:b3:d5:f2:f1:23", "TELEPLATFORMS"),  # MA-S, 36-bit
        ("74:1a:e0:91:00:01", None),  # "Private" registration
        ("da:a1:19:00:00:01", None),  # locally administered (randomised)
        ("01:00:5e:00:00:fb", None),  # multicast
        ("not a mac", None),
    ],
)
def test_longest_registered_block_wins(registry, mac, vendor):
    assert registry.vendor(mac) == vendor


def test_missing_registry_is_a_clear_error(tmp_path):
    with pytest.raises(OuiRegistryMissing, match="install the ieee-data package"):
        OuiRegistry.load(str(tmp_path))


@pytest.mark.skipif(not os.path.exists(os.path.join(IEEE_DATA, "oui.csv")), reason="Debian ieee-data not installed")
def test_the_installed_debian_registry_loads():
    registry = OuiRegistry.load()
    assert len(registry) > 40_000
    assert registry.vendor("3c:52:82:00:00:01") == "Hewlett Packard"
