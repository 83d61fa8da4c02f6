"""Installed software, one module per package manager, merged into one list."""

from __future__ import annotations

from agent.probes.base import Fragment
from agent.probes.software.apk import ApkSource
from agent.probes.software.dpkg import DpkgSource
from agent.probes.software.flatpak import FlatpakSource
from agent.probes.software.macos import MacApplicationsSource
from agent.probes.software.pacman import PacmanSource
from agent.probes.software.rpm import RpmSource
from agent.probes.software.snap import SnapSource
from agent.probes.software.windows import WindowsRegistrySource

__all__ = ["SOURCES", "SoftwareProbe"]

SOURCES = [
    DpkgSource(), RpmSource(), ApkSource(), PacmanSource(), SnapSource(), FlatpakSource(),
    WindowsRegistrySource(), MacApplicationsSource(),
]


class SoftwareProbe:
    """Runs every supported package source; one failing source is recorded, others still report."""

    name = "software"

    def __init__(self, sources=None) -> None:
        self.sources = SOURCES if sources is None else sources

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
