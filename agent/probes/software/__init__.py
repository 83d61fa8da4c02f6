"""Installed software, one module per package manager, merged into one list."""

from __future__ import annotations

import importlib
import os
import shutil
import sys

from agent.probes.base import Fragment

__all__ = ["SOURCE_SPECS", "SoftwareProbe", "default_sources"]

# (module, class, cheap precheck). A source's module is imported only where its precheck
# passes, so a Debian host never loads the Windows registry or macOS parsers: the agent
# starts on every inventory and imports are most of its cost.
SOURCE_SPECS = [
    ("agent.probes.software.dpkg", "DpkgSource", lambda: shutil.which("dpkg-query") is not None),
    ("agent.probes.software.rpm", "RpmSource", lambda: shutil.which("rpm") is not None),
    ("agent.probes.software.apk", "ApkSource", lambda: os.path.exists("/lib/apk/db/installed")),
    ("agent.probes.software.pacman", "PacmanSource", lambda: os.path.isdir("/var/lib/pacman/local")),
    ("agent.probes.software.snap", "SnapSource", lambda: shutil.which("snap") is not None),
    ("agent.probes.software.flatpak", "FlatpakSource", lambda: shutil.which("flatpak") is not None),
    ("agent.probes.software.windows", "WindowsRegistrySource", lambda: sys.platform == "win32"),
    ("agent.probes.software.macos", "MacApplicationsSource", lambda: sys.platform == "darwin"),
    ("agent.probes.software.macos", "MacPackageReceiptsSource", lambda: sys.platform == "darwin"),
]


def default_sources() -> list:
    """Instances of the package sources whose precheck passes on this host."""
    return [getattr(importlib.import_module(module), cls)() for module, cls, precheck in SOURCE_SPECS if precheck()]


class SoftwareProbe:
    """Runs every supported package source; one failing source is recorded, others still report."""

    name = "software"

    def __init__(self, sources=None) -> None:
        self._sources = sources

    @property
    def sources(self) -> list:
        if self._sources is None:
            self._sources = default_sources()
        return self._sources

    def supported(self) -> bool:
        return any(source.supported() for source in self.sources)

    def collect(self) -> Fragment:
        software, errors = [], []
        for source in self.sources:
            if not source.supported():
                continue
            try:
                software.extend(source.collect())
            except Exception as exc:  # noqa: BLE001 - any parser or command failure is reported, not fatal
                errors.append({"probe": f"software.{source.name}", "error": f"{type(exc).__name__}: {exc}"})
        software.sort(key=lambda p: (p["source"], p["name"], p.get("arch") or "", p.get("version") or ""))
        fragment: Fragment = {"software": software}
        if errors:
            fragment["probe_errors"] = errors
        return fragment
