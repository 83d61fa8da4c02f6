from pathlib import Path

import pytest

from agent.probes.software.pacman import PacmanSource, parse_pacman_desc

LOCAL_DB = Path(__file__).parents[2] / "fixtures" / "linux" / "pacman-local"


def test_pacman_reads_every_desc_of_the_local_database():
    packages = PacmanSource(LOCAL_DB).collect()
    assert [p["name"] for p in packages] == ["bash", "ca-certificates-utils", "firefox", "visual-studio-code-bin"]
    assert packages[0] == {"name": "bash", "version": "5.2.026-2", "arch": "x86_64",
                           "publisher": "Tobias Powalowski <tobias.powalowski@pinguin-systeme.de>",
                           "source": "pacman", "install_date": "2024-06-10T09:39:05+00:00"}
    assert packages[1]["publisher"] == "Sébastien Luttringer <seblu@archlinux.org>"
    assert packages[1]["arch"] == "any"


def test_pacman_unknown_packager_is_no_publisher():
    aur = PacmanSource(LOCAL_DB).collect()[-1]
    assert aur == {"name": "visual-studio-code-bin", "version": "1.90.2-1", "arch": "x86_64",
                   "source": "pacman", "install_date": "2024-06-20T16:15:00+00:00"}


def test_pacman_keeps_the_epoch_and_reads_multi_value_sections():
    desc = "%NAME%\nmpv\n\n%VERSION%\n1:0.38.0-1\n\n%LICENSE%\nGPL-2.0-or-later\nLGPL-2.1-or-later\n\n%ARCH%\nx86_64\n\n"
    assert parse_pacman_desc(desc) == {"name": "mpv", "version": "1:0.38.0-1", "arch": "x86_64", "source": "pacman"}


@pytest.mark.parametrize(("desc", "message"), [
    ("%VERSION%\n1.0-1\n\n", "local/x-1.0-1/desc: no %NAME% section"),
    ("%NAME%\nx\n\nstray value\n", r"local/x-1.0-1/desc line 4: value outside a %SECTION%"),
    ("%NAME%\nx\n\n%INSTALLDATE%\nyesterday\n\n", "%INSTALLDATE% is not a Unix time"),
])
def test_pacman_malformed_desc_raises_naming_the_file(desc, message):
    with pytest.raises(ValueError, match=message):
        parse_pacman_desc(desc, "local/x-1.0-1/desc")


def test_pacman_source_needs_the_local_database(tmp_path):
    assert PacmanSource(LOCAL_DB).supported()
    assert not PacmanSource(tmp_path / "absent").supported()
