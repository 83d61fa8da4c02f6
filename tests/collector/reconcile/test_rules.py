"""The rules file: defaults documented in rules.toml, a site file overrides part of them, a bad one is refused."""

import pytest

from collector.reconcile.rules import RULES, RulesError, load_rules


def test_defaults_follow_the_documented_order_and_precedence():
    rules = load_rules()
    assert rules.order == RULES == ("vendor_serial", "smbios_uuid", "mac_overlap", "hostname")
    assert rules.precedence["serial"] == ("agent", "snmp", "cmdb")
    assert rules.precedence["assigned_user"] == ("cmdb", "agent")
    assert rules.ranks("hostname") == {"agent": 0, "snmp": 1, "arp": 2, "cmdb": 3}
    assert (rules.missing_after_days, rules.stale_after_days, rules.shared_mac_min_hosts) == (30, 30, 3)


def test_a_site_file_overrides_only_what_it_names(tmp_path):
    site = tmp_path / "rules.toml"
    site.write_text('[identification]\norder = ["smbios_uuid", "vendor_serial"]\n'
                    'known_shared_macs = ["A0-CE-C8-00-D0-C1"]\n[outcomes]\nmissing_after_days = 14\n')
    rules = load_rules(site)
    assert rules.order == ("smbios_uuid", "vendor_serial")
    assert rules.known_shared_macs == frozenset({"a0:ce:c8:00:d0:c1"})
    assert rules.missing_after_days == 14 and rules.stale_after_days == 30


@pytest.mark.parametrize("text, message", [
    ('[identification]\norder = ["serial_number"]\n', "identification.order must list rules from"),
    ('[identification]\norder = ["hostname", "hostname"]\n', "each once"),
    ('[identification]\nknown_shared_macs = ["not-a-mac"]\n', "'not-a-mac' is not a MAC address"),
    ('[precedence]\nserial = ["agent", "sccm"]\n', "precedence.serial must list sources from"),
    ('[precedence]\ncolour = ["agent"]\n', "unknown key precedence.colour"),
    ('[outcomes]\nmissing_after_days = 0\n', "outcomes.missing_after_days must be a whole number from 1 to 3650"),
    ('[outcomes]\ndrift_attributes = ["colour"]\n', "outcomes.drift_attributes must list attributes"),
    ('[scanning]\nx = 1\n', "unknown section [scanning]"),
    ('[outcomes\n', "rules.toml"),
])
def test_a_bad_rules_file_is_refused_naming_the_key(tmp_path, text, message):
    site = tmp_path / "rules.toml"
    site.write_text(text)
    with pytest.raises(RulesError, match=None) as caught:
        load_rules(site)
    assert message in str(caught.value) and str(site) in str(caught.value)


def test_a_missing_rules_file_is_a_clear_error(tmp_path):
    with pytest.raises(RulesError, match="No such file"):
        load_rules(tmp_path / "absent.toml")
