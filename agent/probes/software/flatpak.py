"""Flatpak applications from ``flatpak list --app --columns=...``.

When its output is not a terminal, flatpak prints no title row and separates cells with
tabs (``flatpak_table_printer_print`` without "fancy output"). As root, it lists the system
installation and root's own per-user one; other users' ``~/.local/share/flatpak`` are not
visible. The origin is the remote (usually ``flathub``), not a publisher, so no publisher
is reported; runtimes (``--app`` leaves them out) are platform layers, not applications.
"""

from __future__ import annotations

import shutil

from agent.probes.base import Fragment, run_command

__all__ = ["COLUMNS", "FlatpakSource", "parse_flatpak_list"]

COLUMNS = ("application", "version", "origin", "arch", "installation")


class FlatpakSource:
    name = "flatpak"

    def supported(self) -> bool:
        return shutil.which("flatpak") is not None

    def collect(self) -> list[Fragment]:
        return parse_flatpak_list(run_command(["flatpak", "list", "--app", f"--columns={','.join(COLUMNS)}"]))


def parse_flatpak_list(text: str) -> list[Fragment]:
    apps = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(COLUMNS):
            raise ValueError(f"flatpak list line {number}: expected {len(COLUMNS)} tab-separated fields, got {len(fields)}")
        application, version, _origin, arch, _installation = (f.strip() for f in fields)
        if not application:
            raise ValueError(f"flatpak list line {number}: empty application id")
        app = {"name": application, "version": version or None, "arch": arch or None, "source": "flatpak"}
        app = {k: v for k, v in app.items() if v is not None}
        if app not in apps:  # the same app in the system and a user installation is one product
            apps.append(app)
    return apps
