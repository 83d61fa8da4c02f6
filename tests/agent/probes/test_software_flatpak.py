from pathlib import Path

import pytest

from agent.probes.software.flatpak import parse_flatpak_list

FIXTURES = Path(__file__).parents[2] / "fixtures" / "linux"


def test_flatpak_apps_with_and_without_version_once_each():
    apps = parse_flatpak_list((FIXTURES / "flatpak-list.txt").read_text())
    assert [a["name"] for a in apps] == [
        "org.mozilla.firefox", "com.github.tchx84.Flatseal", "org.gimp.GIMP", "com.valvesoftware.Steam",
        "io.github.ungoogled_software.ungoogled_chromium", "org.kde.kdenlive",
    ]  # firefox is installed system-wide and per user: one product
    assert apps[0] == {"name": "org.mozilla.firefox", "version": "127.0.2", "arch": "x86_64", "source": "flatpak"}
    assert apps[4] == {"name": "io.github.ungoogled_software.ungoogled_chromium", "arch": "x86_64", "source": "flatpak"}
    assert apps[5]["arch"] == "aarch64"


def test_flatpak_unexpected_columns_raise_with_line_number():
    text = "org.gimp.GIMP\t2.10.38\tflathub\tx86_64\tsystem\nGIMP  org.gimp.GIMP  2.10.38\n"
    with pytest.raises(ValueError, match="line 2: expected 5 tab-separated fields, got 1"):
        parse_flatpak_list(text)
