"""Debian packages from dpkg's database; install date from the package's file list mtime.

The database is ``/var/lib/dpkg/status``, read directly (no ``dpkg-query`` process: the
agent starts on every inventory and a process costs ~7 ms). While dpkg has journal
entries in ``/var/lib/dpkg/updates/`` not yet merged into it (an interrupted dpkg run),
``dpkg-query`` is asked instead, since it applies them. dpkg records no install time;
the mtime of ``/var/lib/dpkg/info/<pkg>[:arch].list`` is when dpkg last unpacked it,
which is what the GLPI and OCS agents report too.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

from agent.probes.base import Fragment, run_command

__all__ = ["DpkgSource", "QUERY_FORMAT", "parse_dpkg_query", "parse_dpkg_status"]

QUERY_FORMAT = r"${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${Maintainer}\n"
DPKG_ADMIN = "/var/lib/dpkg"
DPKG_INFO = "/var/lib/dpkg/info"
_KEYS = (b"Package", b"Status", b"Version", b"Architecture", b"Maintainer")


class DpkgSource:
    name = "dpkg"

    def __init__(self, info_dir: str | os.PathLike[str] = DPKG_INFO,
                 admin_dir: str | os.PathLike[str] = DPKG_ADMIN) -> None:
        self.info_dir = os.fspath(info_dir)
        self.admin_dir = os.fspath(admin_dir)

    def supported(self) -> bool:
        return shutil.which("dpkg-query") is not None

    def collect(self) -> list[Fragment]:
        packages = self._from_database()
        if packages is None:
            packages = parse_dpkg_query(run_command(["dpkg-query", "-W", "-f", QUERY_FORMAT]))
        listed = self._list_times()
        for package in packages:
            # Multi-arch packages have "<name>:<arch>.list", the others "<name>.list".
            mtime = listed.get(f"{package['name']}:{package.get('arch')}") or listed.get(package["name"])
            if mtime:
                package["install_date"] = datetime.fromtimestamp(mtime, timezone.utc).isoformat()
        return packages

    def _from_database(self) -> list[Fragment] | None:
        """Parse the status file, or None when dpkg-query must be asked (pending journal)."""
        try:
            if any(name.isdigit() for name in os.listdir(f"{self.admin_dir}/updates")):
                return None
            with open(f"{self.admin_dir}/status", "rb") as handle:
                return parse_dpkg_status(handle.read())
        except OSError:
            return None

    def _list_times(self) -> dict[str, float]:
        """mtime of every ``*.list`` in dpkg's info directory, in one directory scan."""
        times = {}
        try:
            with os.scandir(self.info_dir) as entries:
                for entry in entries:
                    if entry.name.endswith(".list"):
                        try:
                            times[entry.name[:-5]] = entry.stat().st_mtime
                        except OSError:
                            continue
        except OSError:
            return {}
        return times


def parse_dpkg_status(data: bytes) -> list[Fragment]:
    """Installed packages from dpkg's status file (deb822 stanzas), as dpkg-query lists them."""
    packages = []
    for number, stanza in enumerate(data.split(b"\n\n"), 1):
        fields = _fields(b"\n" + stanza)
        if not fields:
            continue
        if b"Package" not in fields or b"Status" not in fields:
            raise ValueError(f"dpkg status stanza {number}: no Package or Status field")
        status = fields[b"Status"].split()
        if len(status) != 3 or status[0] not in (b"install", b"hold") or status[2] != b"installed":
            continue  # removed, config-files only, half-installed, or being removed
        package = {
            "name": fields[b"Package"].decode("utf-8", "replace").strip(),
            "version": fields.get(b"Version", b"").decode("utf-8", "replace").strip() or None,
            "arch": fields.get(b"Architecture", b"").decode("utf-8", "replace").strip() or None,
            "publisher": fields.get(b"Maintainer", b"").decode("utf-8", "replace").strip() or None,
            "source": "dpkg",
        }
        packages.append({k: v for k, v in package.items() if v is not None})
    return packages


def _fields(stanza: bytes) -> dict[bytes, bytes]:
    """The few fields we keep, found by substring search (C speed) rather than line by line."""
    found = {}
    for key in _KEYS:
        start = stanza.find(b"\n" + key + b":")
        if start < 0:
            continue
        start += len(key) + 2
        end = stanza.find(b"\n", start)
        found[key] = stanza[start:end if end >= 0 else len(stanza)]
    return found


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
