"""macOS applications from ``system_profiler -json SPApplicationsDataType``.

System Information lists every ``.app`` bundle Spotlight knows, with ``_name``, ``version``
(CFBundleShortVersionString), ``obtained_from`` (``apple``, ``mac_app_store``,
``identified_developer``, ``unknown``), ``signed_by`` (the certificate chain, leaf first),
``arch_kind`` and ``lastModified`` (the bundle's mtime, ISO 8601 UTC; the closest thing to an
install date a drag-installed app has). Bundles nested inside another bundle are helpers
of that app, and bundles under ``/Volumes`` sit on mounted disk images or backups: neither is
installed software. Package receipts (``pkgutil --pkgs``) are not read: they are mostly
Apple's own components and name packages, not products.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from datetime import datetime, timezone
from typing import Any

from agent.probes.base import Fragment, run_command

__all__ = ["MacApplicationsSource", "parse_system_profiler_apps"]

_MAX_NAME = 255  # common.schema.Name
# "Developer ID Application: Microsoft Corporation (UBF8T346G9)": the team name before the team id.
_DEVELOPER_ID = re.compile(r"^Developer ID Application: (?P<team>.+?) \([A-Z0-9]{10}\)$")
_ARCH_KINDS = {"arch_arm_i64": "universal", "arch_arm": "arm64", "arch_i64": "x86_64", "arch_i32": "i386"}


class MacApplicationsSource:
    name = "macos"

    def supported(self) -> bool:
        return sys.platform == "darwin" and shutil.which("system_profiler") is not None

    def collect(self) -> list[Fragment]:
        return parse_system_profiler_apps(run_command(["system_profiler", "-json", "SPApplicationsDataType"]))


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
