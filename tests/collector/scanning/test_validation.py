"""Scan profile validation: every bad input is refused, naming its field, before anything is stored."""

import pytest

from collector.errors import InvalidInput
from collector.scanning.validation import check_profile
from common.scan_ranges import check_range

GOOD = {"name": "lab", "ranges": ["198.18.0.0/24"], "interface": "eth0"}
V2C = {"version": "2c", "community": "s3cret-community"}
V3 = {"version": "3", "user": "scanner", "auth_protocol": "SHA", "auth_key": "authpass1", "priv_protocol": "AES",
      "priv_key": "privpass1"}


def _problems(data: dict, ceiling: int = 4096) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        check_profile(data, ceiling)
    problems: dict[str, str] = {}
    for f in raised.value.fields:
        problems[f.field] = f"{problems[f.field]}; {f.message}" if f.field in problems else f.message
    return problems


@pytest.mark.parametrize("change, field, message", [
    ({"name": ""}, "name", "required"),
    ({"name": " lab"}, "name", "spaces"),
    ({"name": "x" * 129}, "name", "1-128"),
    ({"ranges": []}, "ranges", "list of 1 to 64"),
    ({"ranges": "198.18.0.0/24"}, "ranges", "list of 1 to 64"),
    ({"ranges": ["198.18.0.0/24", "printers"]}, "ranges[1]", "not an IP range"),
    ({"ranges": ["198.18.0.5/24"]}, "ranges[0]", "host bits set; the network is 198.18.0.0/24"),
    ({"ranges": ["2001:db8::/120"]}, "ranges[0]", "IPv4 only"),
    ({"ranges": ["8.8.8.0/24"]}, "ranges[0]", "public address space"),
    ({"ranges": ["192.0.2.0/24"]}, "ranges[0]", "public address space"),  # documentation space is not ours
    ({"ranges": ["127.0.0.0/24"]}, "ranges[0]", "cannot be ARP-swept"),
    ({"ranges": ["224.0.0.0/24"]}, "ranges[0]", "cannot be ARP-swept"),
    ({"ranges": ["198.18.0.0/16"]}, "ranges[0]", "limit per sweep is 4096"),
    ({"ranges": ["198.18.0.0/24", "198.18.0.128/25"]}, "ranges[1]", "overlaps 198.18.0.0/24"),
    ({"ranges": ["198.18.0.0/24", "198.18.1.0/24"], "max_addresses": 300}, "ranges", "cover 512 addresses"),
    ({"max_addresses": 5000}, "max_addresses", "from 1 to 4096"),
    ({"max_addresses": 0}, "max_addresses", "from 1 to 4096"),
    ({"max_addresses": True}, "max_addresses", "integer"),
    ({"interval_s": 10}, "interval_s", "from 300 to 604800"),
    ({"interval_s": "3600"}, "interval_s", "integer"),
    ({"interface": ""}, "interface", "interface name"),
    ({"interface": "eth0/1"}, "interface", "interface name"),
    ({"interface": "a-very-long-interface"}, "interface", "interface name"),
    ({"allow_public": "yes"}, "allow_public", "true or false"),
    ({"enabled": 1}, "enabled", "true or false"),
    ({"colour": "red"}, "colour", "unknown field"),
    ({"credentials": {"version": "2c"}}, "credentials", "must be a list"),
    ({"credentials": [{"version": "1", "community": "x"}]}, "credentials[0].version", '"2c" or "3"'),
    ({"credentials": [{"version": "2c"}]}, "credentials[0].community", "needs a community"),
    ({"credentials": [{**V2C, "user": "bob"}]}, "credentials[0].user", "SNMPv3 only"),
    ({"credentials": [{**V2C, "port": "161"}]}, "credentials[0].port", "unknown setting"),
    ({"credentials": [{**V2C, "community": 7}]}, "credentials[0].community", "text"),
    ({"credentials": [{"version": "3", "auth_key": "authpass1"}]}, "credentials[0].user", "needs a user"),
    ({"credentials": [{**V3, "auth_protocol": "SHA1"}]}, "credentials[0].auth_protocol", "SHA, SHA256"),
    ({"credentials": [{**V3, "priv_protocol": "3DES"}]}, "credentials[0].priv_protocol", "AES, AES256, DES"),
    ({"credentials": [{**V3, "auth_key": "short"}]}, "credentials[0].auth_key", "at least 8"),
    ({"credentials": [{"version": "3", "user": "u", "priv_key": "privpass1"}]}, "credentials[0].priv_key",
     "needs authentication"),
    ({"credentials": [V2C, V3, {**V2C, "name": "credential-2"}]}, "credentials", "two credentials are named"),
    ({"credentials": [V2C] * 17}, "credentials", "at most 16"),
])
def test_bad_profiles_name_the_field(change, field, message):
    problems = _problems({**GOOD, **change})
    assert field in problems, problems
    assert message in problems[field]


def test_every_problem_is_reported_at_once_and_no_secret_is_quoted():
    problems = _problems({"name": "", "ranges": ["8.8.8.0/24"], "interface": "",
                          "credentials": [{"version": "2c", "community": "hunter2-community", "bogus": "x"}]})
    assert {"name", "ranges[0]", "interface", "credentials[0].bogus"} <= problems.keys()
    assert "hunter2" not in repr(problems)


def test_a_good_profile_is_normalised_with_defaults():
    spec = check_profile({**GOOD, "ranges": ["198.18.0.0/24", "198.18.1.0/28"], "credentials": [V2C, V3]}, 4096)
    assert (spec.max_addresses, spec.interval_s, spec.enabled, spec.allow_public) == (4096, 3600, True, False)
    assert [c["name"] for c in spec.credentials] == ["credential-1", "credential-2"]
    assert "s3cret" not in repr(spec)


def test_public_space_only_when_allowed_and_ceiling_from_config():
    assert check_profile({**GOOD, "ranges": ["8.8.8.0/24"], "allow_public": True}, 4096).ranges == ["8.8.8.0/24"]
    assert "from 1 to 256" in _problems({**GOOD, "max_addresses": 512}, ceiling=256)["max_addresses"]
    assert "cover 256 addresses" in _problems(GOOD, ceiling=100)["ranges"]  # the default cap is the ceiling


class _NoNetwork:
    """Stands in for socket.socket: any attempt to open one fails the test."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("check_range opened a socket; it must only classify the range")


# check_range only classifies a range a profile names: private space is what real sites configure,
# so it must pass. These ranges are data, never a target: sockets are disabled while they are
# checked, so the test fails if validation ever sends anything. Every test that sends uses
# 198.18.0.0/15 in namespaces it creates.
@pytest.mark.parametrize("cidr", ["10.1.0.0/24", "172.16.5.0/24", "192.168.1.0/24", "100.64.0.0/24",
                                  "169.254.0.0/24", "198.19.255.0/24"])
def test_internal_space_needs_no_permission_and_nothing_is_sent(cidr, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "socket", _NoNetwork)
    assert str(check_range(cidr)) == cidr
    assert check_profile({**GOOD, "ranges": [cidr]}, 4096).ranges == [cidr]
