"""Debian packages from ``dpkg-query``; install date from the package's file list mtime.

dpkg records no install time; the mtime of ``/var/lib/dpkg/info/<pkg>[:arch].list`` is
when dpkg last unpacked it, which is what the GLPI and OCS agents report too.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from agent.probes.base import Fragment, run_command

__all__ = ["DpkgSource", "QUERY_FORMAT", "parse_dpkg_query"]

QUERY_FORMAT = r"${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${Maintainer}\n"
DPKG_INFO = Path("/var/lib/dpkg/info")


class DpkgSource:
    name = "dpkg"

    def __init__(self, info_dir: Path = DPKG_INFO) -> None:
        self.info_dir = info_dir

    def supported(self) -> bool:
        return shutil.which("dpkg-query") is not None

    def collect(self) -> list[Fragment]:
        packages = parse_dpkg_query(run_command(["dpkg-query", "-W", "-f", QUERY_FORMAT]))
        for package in packages:
            installed = self._install_time(package["name"], package.get("arch"))
            if installed:
                package["install_date"] = installed
        return packages

    def _install_time(self, name: str, arch: str | None) -> str | None:
        for candidate in (f"{name}:{arch}.list", f"{name}.list"):
            try:
                mtime = os.stat(self.info_dir / candidate).st_mtime
            except OSError:
                continue
            return datetime.fromtimestamp(mtime, timezone.utc).isoformat()
        return None


def parse_dpkg_query(text: str) -> list[Fragment]:
    """Installed packages (status ``ii``/``hi``) from dpkg-query output in QUERY_FORMAT."""
    packages = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise ValueError(f"dpkg-query line {number}: expected 5 tab-separated fields, got {len(fields)}")
        status, name, version, arch, maintainer = (f.strip() for f in fields)
        if len(status) < 2 or status[1] != "i" or not name:
            continue  # removed, config-files only, half-installed
        package = {"name": name, "version": version or None, "arch": arch or None,
                   "publisher": maintainer or None, "source": "dpkg"}
        packages.append({k: v for k, v in package.items() if v is not None})
    return packages
