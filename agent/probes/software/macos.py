"""macOS software: applications from ``system_profiler`` and installer package receipts.

System Information lists every ``.app`` bundle Spotlight knows, with ``_name``, ``version``
(CFBundleShortVersionString), ``obtained_from`` (``apple``, ``mac_app_store``,
``identified_developer``, ``unknown``), ``signed_by`` (the certificate chain, leaf first),
``arch_kind`` and ``lastModified`` (the bundle's mtime, ISO 8601 UTC; the closest thing to an
install date a drag-installed app has). Bundles nested inside another bundle are helpers
of that app, and bundles under ``/Volumes`` sit on mounted disk images or backups: neither is
installed software.

Installer packages (``.pkg``) leave a receipt: ``pkgutil --pkgs`` lists their identifiers and
``/var/db/receipts/<identifier>.plist`` (XML or binary property list) holds
``PackageIdentifier``, ``PackageVersion``, ``InstallDate`` and ``InstallProcessName``.
Receipts name packages, not products, but they are what MDM-deployed agents, drivers and
frameworks leave behind, often with no ``.app`` at all. Apple's own ``com.apple.pkg.*``
receipts are OS components (thousands of them) and are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from datetime import datetime, timezone
from typing import Any

from agent.probes.base import Fragment, run_command

__all__ = [
    "MacApplicationsSource",
    "MacPackageReceiptsSource",
    "RECEIPTS",
    "parse_pkgutil_pkgs",
    "parse_receipt",
    "parse_system_profiler_apps",
    "read_receipts",
]

RECEIPTS = "/var/db/receipts"

_MAX_NAME = 255  # common.schema.Name
# "Developer ID Application: Microsoft Corporation (UBF8T346G9)": the team name before the team id.
_DEVELOPER_ID = re.compile(r"^Developer ID Application: (?P<team>.+?) \([A-Z0-9]{10}\)$")
_ARCH_KINDS = {"arch_arm_i64": "universal", "arch_arm": "arm64", "arch_i64": "x86_64", "arch_i32": "i386"}
# Apple's OS components: the base system, Safari, XProtect and MRT data, command line tools.
_APPLE_COMPONENT = "com.apple.pkg."


class MacApplicationsSource:
    name = "macos"

    def supported(self) -> bool:
        return sys.platform == "darwin" and shutil.which("system_profiler") is not None

    def collect(self) -> list[Fragment]:
        return parse_system_profiler_apps(run_command(["system_profiler", "-json", "SPApplicationsDataType"]))


class MacPackageReceiptsSource:
    """Installer package receipts; a source of its own so that a pkgutil failure spares the apps."""

    name = "macos-receipts"

    def __init__(self, receipts_dir: str = RECEIPTS) -> None:
        self.receipts_dir = receipts_dir

    def supported(self) -> bool:
        return sys.platform == "darwin" and shutil.which("pkgutil") is not None

    def collect(self) -> list[Fragment]:
        return read_receipts(parse_pkgutil_pkgs(run_command(["pkgutil", "--pkgs"])), self.receipts_dir)


def parse_system_profiler_apps(text: str) -> list[Fragment]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"system_profiler output is not JSON: {exc}") from None
    apps = document.get("SPApplicationsDataType") if isinstance(document, dict) else None
    if not isinstance(apps, list):
        raise ValueError("system_profiler output has no SPApplicationsDataType list")
    records = []
    for index, app in enumerate(apps):
        if not isinstance(app, dict):
            raise ValueError(f"SPApplicationsDataType[{index}] is not an object")
        record = _application(app)
        if record:
            records.append(record)
    return records


def parse_pkgutil_pkgs(text: str) -> list[str]:
    """Package identifiers from ``pkgutil --pkgs`` (one a line), without Apple's OS components."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(_APPLE_COMPONENT)]


def read_receipts(package_ids: list[str], receipts_dir: str = RECEIPTS) -> list[Fragment]:
    """One record per package, with version and date from its receipt plist when there is one."""
    records = []
    for package_id in package_ids:
        path = os.path.join(receipts_dir, f"{package_id}.plist")
        try:
            with open(path, "rb") as receipt:
                data = receipt.read()
        except FileNotFoundError:  # a pre-10.6 bundle receipt in /Library/Receipts: the name is all we know
            records.append({"name": package_id[:_MAX_NAME], "source": "pkg-receipt"})
            continue
        record = parse_receipt(data, path)
        if record:
            records.append(record)
    return records


def parse_receipt(data: bytes, origin: str = "receipt") -> Fragment | None:
    """One package from a receipt plist (XML or binary), or None for an Apple OS component."""
    import plistlib  # lazily: only macOS agents read receipts, and plistlib loads the XML parser
    from xml.parsers.expat import ExpatError

    try:
        receipt = plistlib.loads(data)
    # AttributeError: CPython's plistlib fails so on a malformed <date> (_date_from_string).
    except (ValueError, ExpatError, AttributeError) as exc:
        raise ValueError(f"{origin}: not a plist: {exc}") from None
    if not isinstance(receipt, dict):
        raise ValueError(f"{origin}: receipt is a {type(receipt).__name__}, not a dictionary")
    package_id = _text(receipt.get("PackageIdentifier"))
    if not package_id:
        raise ValueError(f"{origin}: receipt has no PackageIdentifier")
    if package_id.startswith(_APPLE_COMPONENT):
        return None
    record = {
        "name": package_id,
        "version": _text(receipt.get("PackageVersion")),
        "source": "pkg-receipt",
        "install_date": _install_date(receipt.get("InstallDate")),
    }
    return {k: v for k, v in record.items() if v is not None}


def _install_date(value: Any) -> str | None:
    """Property list dates are UTC; plistlib returns them naive (aware on request since 3.13)."""
    if not isinstance(value, datetime):
        return None
    moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
    return moment.astimezone(timezone.utc).isoformat()


def _application(app: dict[str, Any]) -> Fragment | None:
    name, path = _text(app.get("_name")), app.get("path") or ""
    if not name or path.startswith("/Volumes/") or ".app/" in path:
        return None
    record = {
        "name": name,
        "version": _text(app.get("version")),
        "publisher": _publisher(app),
        "arch": _ARCH_KINDS.get(app.get("arch_kind", "")),
        "source": "pkg",
        "install_date": _timestamp(app.get("lastModified")),
    }
    return {k: v for k, v in record.items() if v is not None}


def _publisher(app: dict[str, Any]) -> str | None:
    if app.get("obtained_from") == "apple":
        return "Apple Inc."
    chain = app.get("signed_by")
    leaf = chain[0] if isinstance(chain, list) and chain and isinstance(chain[0], str) else ""
    match = _DEVELOPER_ID.match(leaf)
    return _text(match.group("team")) if match else None  # App Store and ad-hoc signatures name no developer


def _timestamp(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # a local time of unknown zone: no date rather than a wrong one
    return moment.astimezone(timezone.utc).isoformat()


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip()[:_MAX_NAME] or None
