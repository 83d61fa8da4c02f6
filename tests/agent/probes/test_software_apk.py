from pathlib import Path

import pytest

from agent.probes.software.apk import ApkSource, parse_apk_installed

FIXTURES = Path(__file__).parents[2] / "fixtures" / "linux"


def test_apk_reads_each_block_and_skips_virtual_packages():
    packages = parse_apk_installed((FIXTURES / "apk-installed.txt").read_text(encoding="utf-8"))
    assert [p["name"] for p in packages] == [
        "musl", "busybox", "alpine-baselayout-data", "ca-certificates-bundle", "acme-agent",
    ]  # ".build-deps" is a virtual meta package
    assert packages[0] == {"name": "musl", "version": "1.2.4_git20230717-r4", "arch": "x86_64",
                           "publisher": "Timo Teräs <timo.teras@iki.fi>", "source": "apk"}


def test_apk_per_file_lines_do_not_leak_into_package_fields():
    busybox = parse_apk_installed((FIXTURES / "apk-installed.txt").read_text(encoding="utf-8"))[1]
    assert busybox == {"name": "busybox", "version": "1.36.1-r15", "arch": "x86_64",
                       "publisher": "Sören Tempel <soeren+alpine@soeren-tempel.net>", "source": "apk"}


def test_apk_build_time_is_not_an_install_date_and_maintainer_is_optional():
    packages = parse_apk_installed((FIXTURES / "apk-installed.txt").read_text(encoding="utf-8"))
    assert not [p for p in packages if "install_date" in p]
    assert packages[-1] == {"name": "acme-agent", "version": "2.4.1-r0", "arch": "x86_64", "source": "apk"}


def test_apk_malformed_line_raises_with_line_number():
    with pytest.raises(ValueError, match="line 3: expected 'X:value'"):
        parse_apk_installed("P:musl\nV:1.2.4-r4\ngarbage without a field letter\n")


def test_apk_block_without_name_raises_with_its_first_line():
    with pytest.raises(ValueError, match="line 4: package block without a P:"):
        parse_apk_installed("P:musl\nV:1.2.5-r0\n\nV:2.0\nA:x86_64\n")


def test_apk_source_is_supported_only_where_the_database_exists(tmp_path):
    database = tmp_path / "installed"
    source = ApkSource(database)
    assert not source.supported()
    database.write_text("C:Q1AAAA\nP:musl\nV:1.2.5-r0\nA:aarch64\nt:1712000000\n\n")
    assert source.supported()
    assert source.collect() == [{"name": "musl", "version": "1.2.5-r0", "arch": "aarch64", "source": "apk"}]
