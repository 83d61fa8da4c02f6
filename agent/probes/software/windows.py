"""Windows programs from the registry's Uninstall keys: what "Apps & features" lists.

Three places hold them (Microsoft Learn, "Uninstall Registry Key" and "Registry Keys
Affected by WOW64"): ``HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall`` for
64-bit programs (every program on 32-bit Windows), its ``SOFTWARE\\WOW6432Node`` twin for
32-bit programs on 64-bit Windows, and the same path in each user hive for per-user
installs. HKCU is the agent's own hive under ``HKEY_USERS``; reading every loaded hive
there also covers the logged-on users when the agent runs as LocalSystem.

A Windows Installer product is a subkey named by its ProductCode GUID with
``WindowsInstaller=1``. Entries Windows itself hides are skipped: ``SystemComponent=1``,
and updates, which name the product they patch in ``ParentKeyName``. ``InstallDate`` is a
``YYYYMMDD`` local date, reported as midnight UTC; installers that write anything else get
no date rather than a wrong one.

The records come from ``winreg`` on Windows and from a ``reg export`` file (regedit's
format 5.00, UTF-16 LE with a BOM) anywhere else, which is how the fixtures are captured.
"""

from __future__ import annotations

import codecs
import platform
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from agent.probes.base import Fragment

__all__ = ["REG_HEADER", "WindowsRegistrySource", "parse_reg_export", "read_uninstall_keys", "uninstall_entries"]

UNINSTALL = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL_WOW64 = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"
REG_HEADER = "Windows Registry Editor Version 5.00"
_MAX_NAME = 255  # common.schema.Name: one vendor's overlong DisplayName must not void the report

_ENTRY = re.compile(
    r"^(?P<hive>HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_USERS\\[^\\]+)\\SOFTWARE\\(?P<wow>WOW6432Node\\)?"
    r"Microsoft\\Windows\\CurrentVersion\\Uninstall\\(?P<subkey>[^\\]+)$",
    re.IGNORECASE,
)
_PRODUCT_CODE = re.compile(r"^\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}$", re.IGNORECASE)
_HEX_VALUE = re.compile(r'^(@|".*")=hex(\([0-9a-fA-F]+\))?:', re.IGNORECASE)
_HEX_BYTES = re.compile(r"(?:[0-9a-fA-F]{2}(?:,[0-9a-fA-F]{2})*)?,?")
_NATIVE_ARCH = {"amd64": "x64", "x86_64": "x64", "arm64": "arm64", "aarch64": "arm64", "x86": "x86", "i686": "x86"}

RegValue = str | int | bytes | list[str]
RegKeys = dict[str, dict[str, RegValue]]


class WindowsRegistrySource:
    name = "windows"

    def __init__(self, registry: Any = None) -> None:
        self._registry = registry  # the winreg module, or a stand-in for tests

    def supported(self) -> bool:
        return sys.platform == "win32" or self._registry is not None

    def collect(self) -> list[Fragment]:
        registry = self._registry
        if registry is None:
            import winreg as registry  # Windows only
        return uninstall_entries(read_uninstall_keys(registry), _NATIVE_ARCH.get(platform.machine().lower()))


# --- reading the live registry -----------------------------------------------------------

def read_uninstall_keys(winreg: Any) -> RegKeys:
    """Every Uninstall subkey of both HKLM views and of each loaded user hive, by full path."""
    keys: RegKeys = {}
    for path in (UNINSTALL, UNINSTALL_WOW64):
        keys.update(_read_subkeys(winreg, winreg.HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE", path))
    for sid in _user_hives(winreg):
        keys.update(_read_subkeys(winreg, winreg.HKEY_USERS, "HKEY_USERS", f"{sid}\\{UNINSTALL}"))
    return keys


def _user_hives(winreg: Any) -> list[str]:
    # "<SID>_Classes" is the same user's HKCR part; ".DEFAULT" is an alias of S-1-5-18.
    hives = _enumerate(winreg.EnumKey, winreg.HKEY_USERS)
    return [sid for sid in hives if sid != ".DEFAULT" and not sid.endswith("_Classes")]


def _read_subkeys(winreg: Any, hive: Any, hive_name: str, path: str) -> RegKeys:
    # KEY_WOW64_64KEY: a 32-bit Python must not be redirected to the 32-bit view.
    access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
    try:
        parent = winreg.OpenKey(hive, path, 0, access)
    except OSError:
        return {}  # no such view or hive (32-bit Windows has no WOW6432Node)
    keys: RegKeys = {}
    with parent:
        for subkey in list(_enumerate(winreg.EnumKey, parent)):
            try:
                with winreg.OpenKey(parent, subkey, 0, access) as handle:
                    values = {name: data for name, data, _type in _enumerate(winreg.EnumValue, handle)}
            except OSError:
                continue  # uninstalled while we read, or access denied
            keys[f"{hive_name}\\{path}\\{subkey}"] = values
    return keys


def _enumerate(function: Any, key: Any) -> Iterator[Any]:
    index = 0
    while True:
        try:
            yield function(key, index)
        except OSError:  # ERROR_NO_MORE_ITEMS
            return
        index += 1


# --- reading a reg export ----------------------------------------------------------------

def parse_reg_export(data: bytes | str) -> RegKeys:
    """Keys and values of a ``reg export`` file: strings, dwords and ``hex(N):`` values decoded."""
    lines = _logical_lines(_decode(data))
    if not lines or lines[0][1] != REG_HEADER:
        raise ValueError(f".reg file: the first line must be {REG_HEADER!r}")
    keys: RegKeys = {}
    values: dict[str, RegValue] | None = None
    for number, line in lines[1:]:
        if line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            values = keys.setdefault(line[1:-1], {})
        elif values is None:
            raise ValueError(f".reg line {number}: value before any [key] line")
        else:
            name, value = _value_line(line, number)
            values[name] = value
    return keys


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f".reg file is neither UTF-16 with a BOM nor UTF-8: {exc}") from None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their number; hex values wrapped with a trailing backslash are joined."""
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    # Not str.splitlines(): a REG_SZ may hold U+2028 or a form feed, which are not line ends here.
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        start, line = (pending[0], pending[1] + raw.strip()) if pending else (number, raw.strip())
        pending = None
        if line.endswith("\\") and _HEX_VALUE.match(line):
            pending = (start, line[:-1])
        elif line:
            lines.append((start, line))
    if pending:
        lines.append(pending)
    return lines


def _value_line(line: str, number: int) -> tuple[str, RegValue]:
    if line.startswith("@="):
        return "", _value(line[2:], number)
    if not line.startswith('"'):
        raise ValueError(f'.reg line {number}: expected "name"=value, got {line[:60]!r}')
    name, end = _quoted(line, number)
    if line[end:end + 1] != "=":
        raise ValueError(f".reg line {number}: expected '=' after the value name {name!r}")
    return name, _value(line[end + 1:], number)


def _quoted(text: str, number: int) -> tuple[str, int]:
    """The unescaped string opening ``text`` (regedit escapes only backslash and quote) and its end."""
    chars, index = [], 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == '"':
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise ValueError(f".reg line {number}: unterminated string")


def _value(text: str, number: int) -> RegValue:
    if text.startswith('"'):
        value, end = _quoted(text, number)
        if end != len(text):
            raise ValueError(f".reg line {number}: unexpected text after a string value: {text[end:][:40]!r}")
        return value
    if text.startswith("dword:") and re.fullmatch(r"[0-9a-fA-F]{8}", text[6:]):
        return int(text[6:], 16)
    kind, _, payload = text.partition(":")
    kind = kind.lower()
    if not (kind == "hex" or re.fullmatch(r"hex\([0-9a-f]+\)", kind)) or not _HEX_BYTES.fullmatch(payload):
        raise ValueError(f".reg line {number}: unrecognised value {text[:60]!r}")
    return _typed(kind, bytes.fromhex(payload.replace(",", "")), number)


def _typed(kind: str, raw: bytes, number: int) -> RegValue:
    """hex(2) REG_EXPAND_SZ and hex(7) REG_MULTI_SZ are UTF-16 LE; hex(4)/hex(b) little-endian ints."""
    try:
        if kind == "hex(2)":
            return raw.decode("utf-16-le").split("\x00", 1)[0]
        if kind == "hex(7)":
            return [part for part in raw.decode("utf-16-le").split("\x00") if part]
    except UnicodeDecodeError:
        raise ValueError(f".reg line {number}: {kind} value is not UTF-16 LE") from None
    if kind in ("hex(4)", "hex(b)"):
        return int.from_bytes(raw, "little")
    return raw


# --- from keys to software records -----------------------------------------------------

def uninstall_entries(keys: Mapping[str, Mapping[str, RegValue]], native_arch: str | None = "x64") -> list[Fragment]:
    """Software records for the Uninstall subkeys among ``keys`` (full paths, as regedit names them)."""
    programs = []
    for path, raw_values in keys.items():
        match = _ENTRY.match(path)
        if not match:
            continue  # the Uninstall key itself, a deeper subkey, or another key of the export
        values = {name.casefold(): value for name, value in raw_values.items()}  # value names ignore case
        name = _text(values.get("displayname"))
        if not name or values.get("systemcomponent") == 1 or _text(values.get("parentkeyname")):
            continue
        msi = values.get("windowsinstaller") == 1 and bool(_PRODUCT_CODE.match(match.group("subkey")))
        program = {
            "name": name,
            "version": _text(values.get("displayversion")),
            "publisher": _text(values.get("publisher")),
            "arch": _arch(match, native_arch),
            "source": "msi" if msi else "registry",
            "install_date": _install_date(values.get("installdate")),
        }
        programs.append({k: v for k, v in program.items() if v is not None})
    return programs


def _arch(match: re.Match[str], native_arch: str | None) -> str | None:
    if match.group("wow"):
        return "x86"
    if match.group("hive").upper() == "HKEY_LOCAL_MACHINE":
        return native_arch
    return None  # per-user keys are shared by both views: they say nothing about bitness


def _text(value: RegValue | None) -> str | None:
    if isinstance(value, int):
        value = str(value)  # some installers write DisplayVersion as a DWORD
    if not isinstance(value, str):
        return None
    return value.split("\x00", 1)[0].strip()[:_MAX_NAME] or None


def _install_date(value: RegValue | None) -> str | None:
    text = _text(value)
    if not text or not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:]), tzinfo=timezone.utc).isoformat()
    except ValueError:
        return None  # "20231350" and the like
