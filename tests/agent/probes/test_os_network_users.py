from pathlib import Path

from agent.probes.network import interface_kind
from agent.probes.operating_system import parse_os_release
from agent.probes.users import primary_user

FIXTURES = Path(__file__).parents[2] / "fixtures" / "linux"


def test_os_release_debian():
    values = parse_os_release((FIXTURES / "os-release-debian12.txt").read_text())
    assert values["NAME"] == "Debian GNU/Linux"
    assert values["VERSION_ID"] == "12"
    assert values["VERSION_CODENAME"] == "bookworm"


def test_os_release_quotes_and_comments():
    assert parse_os_release('# c\nNAME="Fedora Linux"\nVERSION_ID=40\nPRETTY_NAME=\'F 40\'\n\n') == {
        "NAME": "Fedora Linux", "VERSION_ID": "40", "PRETTY_NAME": "F 40",
    }


def test_interface_kinds():
    assert interface_kind("enp0s31f6", {}, has_device=True) == "physical"
    assert interface_kind("wlp2s0", {"DEVTYPE": "wlan"}, has_device=True) == "wireless"
    assert interface_kind("br0", {"DEVTYPE": "bridge"}, has_device=False) == "bridge"
    assert interface_kind("veth12ab", {}, has_device=False) == "veth"
    assert interface_kind("docker0", {"DEVTYPE": "bridge"}, has_device=False) == "bridge"
    assert interface_kind("tun0", {}, has_device=False) == "tun"
    assert interface_kind("mystery0", {}, has_device=False) == "virtual"


def test_primary_user_has_most_session_time():
    now = 10_000.0
    sessions = [("bob", 9_000.0), ("alice", 5_000.0), ("bob", 9_500.0), ("carol", 9_999.0)]
    assert primary_user(sessions, now) == "alice"
    assert primary_user([], now) is None
