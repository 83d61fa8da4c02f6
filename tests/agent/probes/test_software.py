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


def test_dpkg_install_dates_come_from_the_list_files(tmp_path):
    import os

    from agent.probes.software.dpkg import DpkgSource

    info = tmp_path / "info"
    info.mkdir()
    (info / "bash.list").write_text("")
    (info / "libc6:amd64.list").write_text("")
    os.utime(info / "bash.list", (1_700_000_000, 1_700_000_000))
    os.utime(info / "libc6:amd64.list", (1_600_000_000, 1_600_000_000))
    (tmp_path / "status").write_bytes((FIXTURES / "dpkg-status.txt").read_bytes())
    packages = {p["name"]: p for p in DpkgSource(info_dir=info, admin_dir=str(tmp_path)).collect()}
    assert packages["bash"]["install_date"] == "2023-11-14T22:13:20+00:00"
    assert packages["libc6"]["install_date"] == "2020-09-13T12:26:40+00:00"
    assert "install_date" not in packages["adduser"]


def test_dpkg_status_file_parses_installed_packages_only():
    from agent.probes.software.dpkg import parse_dpkg_status

    packages = parse_dpkg_status((FIXTURES / "dpkg-status.txt").read_bytes())
    names = [p["name"] for p in packages]
    assert "linux-image-6.1.0-18-amd64" not in names  # deinstall ok config-files
    assert sorted(names) == ["adduser", "bash", "libc6"]
    bash = next(p for p in packages if p["name"] == "bash")
    assert bash["source"] == "dpkg" and bash["arch"] == "amd64" and bash["version"]


def test_dpkg_status_stanza_without_package_is_an_error():
    from agent.probes.software.dpkg import parse_dpkg_status

    with pytest.raises(ValueError, match="stanza 2"):
        parse_dpkg_status(b"Package: a\nStatus: install ok installed\n\nVersion: 1\nStatus: install ok installed\n")


@pytest.mark.skipif(not Path("/var/lib/dpkg/status").exists(), reason="needs a Debian host")
def test_reading_dpkgs_database_gives_what_dpkg_query_lists():
    import subprocess

    from agent.probes.software.dpkg import QUERY_FORMAT, parse_dpkg_status

    direct = parse_dpkg_status(Path("/var/lib/dpkg/status").read_bytes())
    listed = parse_dpkg_query(subprocess.run(["dpkg-query", "-W", "-f", QUERY_FORMAT], capture_output=True,
                                             text=True, check=True).stdout)
    key = lambda p: (p["name"], p.get("arch"))  # noqa: E731
    assert sorted(direct, key=key) == sorted(listed, key=key)


def test_a_pending_dpkg_journal_means_asking_dpkg_query(tmp_path):
    from agent.probes.software.dpkg import DpkgSource

    (tmp_path / "updates").mkdir()
    (tmp_path / "status").write_bytes((FIXTURES / "dpkg-status.txt").read_bytes())
    source = DpkgSource(info_dir=tmp_path, admin_dir=str(tmp_path))
    assert len(source._from_database()) == 3
    (tmp_path / "updates" / "0000").write_text("Package: bash\nStatus: install ok unpacked\n")
    assert source._from_database() is None
