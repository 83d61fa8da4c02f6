import plistlib
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from agent.probes.software.macos import (
    MacApplicationsSource,
    MacPackageReceiptsSource,
    parse_pkgutil_pkgs,
    parse_receipt,
    parse_system_profiler_apps,
    read_receipts,
)

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


RECEIPTS = FIXTURES / "receipts"


def test_pkgutil_pkgs_without_apple_os_components():
    ids = parse_pkgutil_pkgs((FIXTURES / "pkgutil-pkgs.txt").read_text(encoding="utf-8") + "\n  \n")
    assert ids == ["com.apple.files.data-template", "com.microsoft.package.Microsoft_Word.app",
                   "com.microsoft.package.Microsoft_AutoUpdate.app", "us.zoom.pkg.videomeeting",
                   "org.python.Python.PythonFramework-3.12", "com.paloaltonetworks.globalprotect.pkg"]


def test_xml_receipt_gives_identifier_version_and_utc_install_date():
    data = (RECEIPTS / "com.microsoft.package.Microsoft_Word.app.plist").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')
    assert parse_receipt(data) == {"name": "com.microsoft.package.Microsoft_Word.app", "version": "16.82.24021116",
                                   "source": "pkg-receipt", "install_date": "2024-03-01T10:12:13+00:00"}


def test_apple_os_component_receipt_is_skipped():
    assert parse_receipt((RECEIPTS / "com.apple.pkg.MRTConfigData_10_15.16U4211.plist").read_bytes()) is None


@pytest.fixture
def new_york_local_time(monkeypatch):
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")  # POSIX rule: no tzdata needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_binary_receipt_as_recent_macos_writes_it(new_york_local_time):
    data = plistlib.dumps({"InstallDate": datetime(2024, 6, 3, 8, 30, 5), "InstallPrefixPath": "/",
                           "InstallProcessName": "installer", "PackageFileName": "GlobalProtect.pkg",
                           "PackageIdentifier": "com.paloaltonetworks.globalprotect.pkg",
                           "PackageVersion": "6.2.1-127"}, fmt=plistlib.FMT_BINARY)
    assert data.startswith(b"bplist00")
    assert parse_receipt(data, "com.paloaltonetworks.globalprotect.pkg.plist") == {
        "name": "com.paloaltonetworks.globalprotect.pkg", "version": "6.2.1-127", "source": "pkg-receipt",
        "install_date": "2024-06-03T08:30:05+00:00"}


def test_receipts_follow_pkgutil_and_keep_packages_without_a_plist(tmp_path):
    shutil.copytree(RECEIPTS, tmp_path, dirs_exist_ok=True)
    (tmp_path / "com.paloaltonetworks.globalprotect.pkg.plist").write_bytes(plistlib.dumps(
        {"PackageIdentifier": "com.paloaltonetworks.globalprotect.pkg", "PackageVersion": "6.2.1-127"},
        fmt=plistlib.FMT_BINARY))
    records = read_receipts(parse_pkgutil_pkgs((FIXTURES / "pkgutil-pkgs.txt").read_text(encoding="utf-8")),
                            str(tmp_path))
    assert [(r["name"], r.get("version")) for r in records] == [
        ("com.apple.files.data-template", None),  # only com.apple.pkg.* are OS components
        ("com.microsoft.package.Microsoft_Word.app", "16.82.24021116"),
        ("com.microsoft.package.Microsoft_AutoUpdate.app", None),  # listed by pkgutil, no receipt plist
        ("us.zoom.pkg.videomeeting", "6.0.11.35001"),
        ("org.python.Python.PythonFramework-3.12", "3.12.2"),
        ("com.paloaltonetworks.globalprotect.pkg", "6.2.1-127"),
    ]
    assert records[2] == {"name": "com.microsoft.package.Microsoft_AutoUpdate.app", "source": "pkg-receipt"}
    assert records[3]["install_date"] == "2024-05-14T07:41:55+00:00"


PLIST_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">'


@pytest.mark.parametrize(("data", "message"), [
    (b"PackageIdentifier=com.example", "x.plist: not a plist"),
    (PLIST_HEAD + b"<dict><key>PackageIdentifier</key>", "x.plist: not a plist: no element found"),
    (PLIST_HEAD + b"<dict><key>InstallDate</key><date>yesterday</date></dict></plist>", "x.plist: not a plist"),
    (PLIST_HEAD + b"<array><string>com.example</string></array></plist>", "x.plist: receipt is a list, not a dict"),
    (PLIST_HEAD + b"<dict><key>PackageVersion</key><string>1.0</string></dict></plist>",
     "x.plist: receipt has no PackageIdentifier"),
])
def test_malformed_receipt_raises_naming_the_file(data, message):
    with pytest.raises(ValueError, match=message):
        parse_receipt(data, "x.plist")


def test_receipts_source_is_not_supported_elsewhere():
    assert MacPackageReceiptsSource().supported() is False


def test_plistlib_is_imported_only_when_a_receipt_is_read():
    code = "import sys, agent.probes.software.macos; print('plistlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
