"""Operating system: os-release, kernel, architecture, boot time, install date, time zone."""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from datetime import datetime, timezone

import psutil

from agent.probes.base import Fragment

__all__ = ["OperatingSystemProbe", "parse_os_release"]

# The oldest of these is a good estimate of when the system was installed: the root
# filesystem's lost+found and the installer's logs are written once, at install time.
_INSTALL_MARKERS = ("/var/log/installer", "/lost+found", "/root", "/etc/machine-id")
# Image builders that clamp mtimes (SOURCE_DATE_EPOCH) leave 1970 dates: not an install date.
_PLAUSIBLE_SINCE = 946_684_800  # 2000-01-01


class OperatingSystemProbe:
    name = "os"

    def __init__(self, etc: str | os.PathLike[str] = "/etc") -> None:
        self.etc = os.fspath(etc)

    def supported(self) -> bool:
        return sys.platform.startswith("linux")

    def collect(self) -> Fragment:
        release = self._os_release()
        hostname = socket.gethostname()
        fqdn = socket.getfqdn()
        host: Fragment = {"hostname": hostname}
        if fqdn and "." in fqdn and fqdn != hostname:
            host["fqdn"] = fqdn
            host["domain"] = fqdn.split(".", 1)[1]
        machine_id = self._read("machine-id")
        if machine_id:
            host["machine_id"] = machine_id
        operating_system = {
            "name": release.get("NAME") or platform.system(),
            "version": release.get("VERSION_ID") or release.get("VERSION"),
            "build": release.get("BUILD_ID") or release.get("VERSION_CODENAME"),
            "kernel": platform.release(),
            "arch": platform.machine(),
            "boot_time": _iso(psutil.boot_time()),
            "install_date": self._install_date(),
            "timezone": self._timezone(),
        }
        return {"host": host, "os": {k: v for k, v in operating_system.items() if v}}

    def _read(self, name: str) -> str | None:
        try:
            with open(os.path.join(self.etc, name)) as handle:
                return handle.read().strip() or None
        except OSError:
            return None

    def _os_release(self) -> dict[str, str]:
        for path in (os.path.join(self.etc, "os-release"), "/usr/lib/os-release"):
            try:
                with open(path) as handle:
                    return parse_os_release(handle.read())
            except OSError:
                continue
        return {}

    def _timezone(self) -> str | None:
        name = self._read("timezone")
        if name:
            return name
        try:
            target = os.readlink(os.path.join(self.etc, "localtime"))
        except OSError:
            return time.tzname[0] or None
        return target.split("zoneinfo/", 1)[-1]

    @staticmethod
    def _install_date() -> str | None:
        times = []
        for marker in _INSTALL_MARKERS:
            try:
                mtime = os.stat(marker).st_mtime
            except OSError:
                continue
            if mtime >= _PLAUSIBLE_SINCE:
                times.append(mtime)
        return _iso(min(times)) if times else None


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release(5): KEY=value lines, values optionally quoted."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value.replace('\\"', '"').replace("\\\\", "\\")
    return values


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()
