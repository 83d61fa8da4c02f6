from pathlib import Path

import pytest

from agent.probes.software import SoftwareProbe
from agent.probes.software.dpkg import parse_dpkg_query
from agent.probes.software.rpm import parse_rpm_query

FIXTURES = Path(__file__).parents[2] / "fixtures" / "linux"


def test_dpkg_keeps_installed_and_held_packages_only():
    packages = parse_dpkg_query((FIXTURES / "dpkg-query.txt").read_text())
    names = {p["name"] for p in packages}
    assert "linux-image-6.1.0-18-amd64" not in names  # rc: config files only
    assert "openssl" in names  # hi: held, still installed
    assert len(packages) == 41
    adduser = next(p for p in packages if p["name"] == "adduser")
    assert adduser == {"name": "adduser", "version": "3.134", "arch": "all",
                       "publisher": "Debian Adduser Developers <adduser@packages.debian.org>", "source": "dpkg"}


def test_dpkg_unparseable_output_raises_with_line_number():
    with pytest.raises(ValueError, match="line 2"):
        parse_dpkg_query("ii \tbash\t5.2\tamd64\tDebian\ngarbage without tabs\n")


def test_rpm_parses_epoch_vendor_and_install_time_and_skips_gpg_keys():
    packages = parse_rpm_query((FIXTURES / "rpm-qa.txt").read_text())
    by_name = {p["name"]: p for p in packages}
    assert "gpg-pubkey" not in by_name
    assert by_name["openssl-libs"]["version"] == "1:3.0.7-27.el9"
    assert by_name["bash"]["version"] == "5.1.8-9.el9"
    assert by_name["google-chrome-stable"]["publisher"] == "Google Inc."
    assert by_name["bash"]["install_date"] == "2024-04-03T08:00:00+00:00"


class _Source:
    def __init__(self, name, result=None, error=None):
        self.name, self.result, self.error = name, result, error

    def supported(self):
        return True

    def collect(self):
        if self.error:
            raise self.error
        return self.result


def test_one_failing_package_source_is_reported_and_the_others_still_count():
    probe = SoftwareProbe([
        _Source("dpkg", error=ValueError("dpkg-query line 3: expected 5 tab-separated fields, got 1")),
        _Source("rpm", result=[{"name": "bash", "version": "5.1", "source": "rpm"}]),
    ])
    fragment = probe.collect()
    assert fragment["software"] == [{"name": "bash", "version": "5.1", "source": "rpm"}]
    assert fragment["probe_errors"] == [
        {"probe": "software.dpkg", "error": "ValueError: dpkg-query line 3: expected 5 tab-separated fields, got 1"}
    ]
