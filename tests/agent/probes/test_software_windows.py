import codecs
import platform
from pathlib import Path

import pytest

from agent.probes.software.windows import WindowsRegistrySource, parse_reg_export, uninstall_entries

FIXTURES = Path(__file__).parents[2] / "fixtures" / "windows"
HKLM = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL = r"\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
POWERSHELL = HKLM + r"\{A0D4F0E1-4B64-4AF0-9E52-9D6B8C44C2B4}"


def _exports(*names):
    keys = {}
    for name in names:
        keys.update(parse_reg_export((FIXTURES / f"uninstall-{name}.reg").read_bytes()))
    return keys


def test_reg_export_decodes_utf16_strings_dwords_and_wrapped_hex2():
    keys = _exports("hklm")
    assert keys[HKLM] == {}
    assert keys[HKLM + r"\7-Zip"]["UninstallString"] == '"C:\\Program Files\\7-Zip\\Uninstall.exe"'
    assert keys[HKLM + r"\7-Zip"]["EstimatedSize"] == 5862
    assert keys[POWERSHELL]["UninstallString"] == "MsiExec.exe /X{A0D4F0E1-4B64-4AF0-9E52-9D6B8C44C2B4}"
    assert keys[POWERSHELL]["WindowsInstaller"] == 1


def test_uninstall_entries_of_the_three_views():
    programs = uninstall_entries(_exports("hklm", "wow6432node", "hkcu"))
    assert sorted(programs, key=lambda p: p["name"]) == [
        {"name": "7-Zip 23.01 (x64)", "version": "23.01", "publisher": "Igor Pavlov", "arch": "x64", "source": "registry"},
        {"name": "Adobe Acrobat Reader", "version": "24.002.20759", "publisher": "Adobe", "arch": "x86", "source": "msi",
         "install_date": "2024-06-11T00:00:00+00:00"},
        {"name": "Microsoft Office Professionnel Plus 2016", "version": "16.0.4266.1001",
         "publisher": "Microsoft Corporation", "arch": "x64", "source": "registry"},
        {"name": "Microsoft Visual Studio Code (User)", "version": "1.90.2", "publisher": "Microsoft Corporation",
         "source": "registry", "install_date": "2024-06-20T00:00:00+00:00"},  # Inno "{GUID}_is1": not MSI
        {"name": "Notepad++ (32-bit x86)", "version": "8.6.5", "publisher": "Notepad++ Team", "arch": "x86",
         "source": "registry"},
        {"name": "PowerShell 7-x64", "version": "7.4.2.0", "publisher": "Microsoft Corporation", "arch": "x64",
         "source": "msi", "install_date": "2024-04-15T00:00:00+00:00"},
        {"name": "Steam", "publisher": "Valve Corporation", "arch": "x86", "source": "registry"},
        {"name": "Zoom Workplace", "version": "6.0.11 (39959)", "publisher": "Zoom Video Communications, Inc.",
         "source": "registry"},
        {"name": "腾讯QQ", "version": "9.7.23.29394", "publisher": "腾讯科技(深圳)有限公司", "arch": "x86",
         "source": "registry"},  # InstallDate "2024/05/30" is not YYYYMMDD: no date
    ]


def test_hidden_entries_are_skipped():
    names = {p["name"] for p in uninstall_entries(_exports("hklm"))}
    assert "Microsoft Visual C++ 2022 X64 Minimum Runtime - 14.38.33135" not in names  # SystemComponent=1
    assert not [n for n in names if "KB5002520" in n]  # an update: ParentKeyName
    assert len(names) == 3  # AddressBook has no DisplayName


def test_value_names_ignore_case_and_32_bit_windows_reports_x86():
    keys = {HKLM + r"\Tool": {"displayname": "Tool", "DISPLAYVERSION": 3, "installdate": "20241301"}}
    assert uninstall_entries(keys, native_arch="x86") == [
        {"name": "Tool", "version": "3", "arch": "x86", "source": "registry"},  # month 13: no date
    ]


def test_reg_export_accepts_utf8_and_other_value_types():
    text = (
        "Windows Registry Editor Version 5.00\r\n\r\n"
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme]\r\n"
        "@=\"default\"\r\n"
        "\"Langs\"=hex(7):65,00,6e,00,00,00,66,00,72,00,00,00,00,00\r\n"
        "\"Stamp\"=hex(b):00,e4,0b,54,02,00,00,00\r\n"
        "\"Blob\"=hex:de,ad,\\\r\n  be,ef\r\n"
        "\"Quote \\\"q\\\"\"=\"a\\\\b\"\r\n"
    )
    for data in (text, text.encode("utf-8"), codecs.BOM_UTF8 + text.encode("utf-8")):
        assert parse_reg_export(data) == {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme": {
            "": "default", "Langs": ["en", "fr"], "Stamp": 10_000_000_000, "Blob": b"\xde\xad\xbe\xef",
            'Quote "q"': "a\\b",
        }}


@pytest.mark.parametrize(("text", "message"), [
    ("REGEDIT4\n\n[HKEY_CURRENT_USER\\Software]\n", "first line must be"),
    ("Windows Registry Editor Version 5.00\n\n\"Orphan\"=\"x\"\n", "line 3: value before any"),
    ("Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Software]\n\"Size\"=dword:12\n",
     "line 4: unrecognised value 'dword:12'"),
    ("Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Software]\n\"Name\"=\"unterminated\n",
     "line 4: unterminated string"),
])
def test_reg_export_malformed_raises_with_line_number(text, message):
    with pytest.raises(ValueError, match=message):
        parse_reg_export(text)


def test_reg_export_undecodable_bytes_raise_value_error():
    with pytest.raises(ValueError, match="neither UTF-16 with a BOM nor UTF-8"):
        parse_reg_export(b"Windows Registry Editor Version 5.00\r\n\xff\xfe\xfa")


class _Key:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _FakeWinreg:
    """The few winreg calls the source makes, over a {path: {value: data}} tree."""

    HKEY_LOCAL_MACHINE, HKEY_USERS = _Key("HKEY_LOCAL_MACHINE"), _Key("HKEY_USERS")
    KEY_READ, KEY_WOW64_64KEY = 0x20019, 0x0100

    def __init__(self, tree):
        self.tree = tree

    def OpenKey(self, key, sub_key, reserved, access):
        assert access & self.KEY_WOW64_64KEY
        path = f"{key.path}\\{sub_key}" if sub_key else key.path
        if path not in self.tree:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return _Key(path)

    def EnumKey(self, key, index):
        prefix = key.path + "\\"
        children = sorted({p[len(prefix):].split("\\")[0] for p in self.tree if p.startswith(prefix)})
        if index >= len(children):
            raise OSError(259, "No more data is available")
        return children[index]

    def EnumValue(self, key, index):
        values = list(self.tree[key.path].items())
        if index >= len(values):
            raise OSError(259, "No more data is available")
        name, data = values[index]
        return name, data, 4 if isinstance(data, int) else 1


def test_live_registry_reads_both_machine_views_and_loaded_user_hives(monkeypatch):
    user = r"HKEY_USERS\S-1-5-21-1004336348-1177238915-682003330-1001"
    tree = _exports("hklm", "wow6432node")
    tree["HKEY_USERS"] = {}
    for hive, program in ((user, "Zoom Workplace"), (r"HKEY_USERS\.DEFAULT", "Alias of S-1-5-18"),
                          (user + "_Classes", "Not a user hive")):
        tree[hive + UNINSTALL] = {}
        tree[hive + UNINSTALL + r"\Program"] = {"DisplayName": program, "DisplayVersion": "6.0.11 (39959)"}
    monkeypatch.setattr(platform, "machine", lambda: "AMD64")
    source = WindowsRegistrySource(registry=_FakeWinreg(tree))
    assert source.supported()
    programs = {(p["name"], p.get("arch"), p["source"]) for p in source.collect()}
    assert ("PowerShell 7-x64", "x64", "msi") in programs
    assert ("Adobe Acrobat Reader", "x86", "msi") in programs
    assert ("Zoom Workplace", None, "registry") in programs
    assert len(programs) == 8  # 3 HKLM, 4 WOW6432Node, 1 user


def test_windows_source_is_not_supported_elsewhere():
    assert WindowsRegistrySource().supported() is False
