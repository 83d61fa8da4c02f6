"""The IANA enterprise registry as libwireshark-data ships it."""

from __future__ import annotations

import os

import pytest

from agent.discovery.enterprises import (ENTERPRISES_TSV, EnterpriseRegistry, EnterpriseRegistryMissing, maker)

needs_registry = pytest.mark.skipif(not os.path.exists(ENTERPRISES_TSV),
                                    reason="libwireshark-data is not installed (scripts/bootstrap-debian.sh)")


@needs_registry
def test_the_installed_registry_names_tens_of_thousands_of_makers():
    registry = EnterpriseRegistry.load()
    assert len(registry) > 50_000
    assert registry.name(2636) == "Juniper"  # display name
    assert registry.name(40310) == "Cumulus Networks, inc"  # registry name, as registered
    assert registry.name(2) == "IBM"
    assert registry.name(10 ** 9) is None


@needs_registry
def test_agent_software_never_stands_as_the_maker():
    assert maker(8072) is None and maker(2021) is None
    assert maker(8072, "Synology") == "Synology"  # the chassis maker the device names
    assert maker(9, "Cisco Systems, Inc.") == "Cisco"  # a well-known number's display name wins
    assert maker(233, "H3C") == "H3C"  # an obscure number: the chassis maker is the more specific


def test_a_registry_file_is_parsed_with_urls_and_comments_stripped(tmp_path):
    path = tmp_path / "enterprises.tsv"
    path.write_text("# comment\n\n0\tReserved\n2\tIBM (https://w3.ibm.com/standards )\n476\tVertiv\t# formerly 'Emerson'\n"
                    "99999\tExample Corp\n")
    registry = EnterpriseRegistry.load(str(path))
    assert len(registry) == 3
    assert registry.name(99999) == "Example Corp"
    assert registry.name(476) == "Vertiv"


def test_a_missing_registry_says_which_package_to_install(tmp_path):
    with pytest.raises(EnterpriseRegistryMissing, match="libwireshark-data"):
        EnterpriseRegistry.load(str(tmp_path / "none.tsv"))
