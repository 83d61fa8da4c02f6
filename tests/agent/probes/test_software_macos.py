from pathlib import Path

import pytest

from agent.probes.software.macos import MacApplicationsSource, parse_system_profiler_apps

FIXTURES = Path(__file__).parents[2] / "fixtures" / "macos"


def test_system_profiler_apps_with_publisher_from_signature():
    apps = parse_system_profiler_apps((FIXTURES / "system_profiler-applications.json").read_text(encoding="utf-8"))
    by_name = {a["name"]: a for a in apps}
    assert by_name["Microsoft Word"] == {"name": "Microsoft Word", "version": "16.86", "publisher": "Microsoft Corporation",
                                         "arch": "universal", "source": "pkg", "install_date": "2024-06-12T09:14:03+00:00"}
    assert by_name["Aperçu"]["publisher"] == "Apple Inc."  # obtained_from apple, localised name
    assert "publisher" not in by_name["Slack"]  # the App Store signature names no developer
    assert by_name["Steam"]["arch"] == "x86_64"


def test_system_profiler_app_without_version_or_signature():
    apps = parse_system_profiler_apps((FIXTURES / "system_profiler-applications.json").read_text(encoding="utf-8"))
    assert apps[-1] == {"name": "Sauvegarde réseau", "source": "pkg", "install_date": "2024-02-29T11:05:00+00:00"}


def test_nested_helpers_and_mounted_images_are_not_installed_apps():
    apps = parse_system_profiler_apps((FIXTURES / "system_profiler-applications.json").read_text(encoding="utf-8"))
    names = [a["name"] for a in apps]
    assert "Simulator" not in names  # inside Xcode.app
    assert "Firefox" not in names  # on a mounted disk image
    assert len(names) == 6


@pytest.mark.parametrize(("text", "message"), [
    ("system_profiler: unknown data type", "not JSON"),
    ('{"SPSoftwareDataType": []}', "no SPApplicationsDataType list"),
    ('{"SPApplicationsDataType": ["Safari"]}', r"SPApplicationsDataType\[0\] is not an object"),
])
def test_system_profiler_unexpected_output_raises(text, message):
    with pytest.raises(ValueError, match=message):
        parse_system_profiler_apps(text)


def test_macos_source_is_not_supported_elsewhere():
    assert MacApplicationsSource().supported() is False
