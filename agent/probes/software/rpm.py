"""RPM packages (RHEL, Fedora, SUSE) from ``rpm -qa`` with an explicit query format."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

from agent.probes.base import Fragment, run_command

__all__ = ["QUERY_FORMAT", "RpmSource", "parse_rpm_query"]

QUERY_FORMAT = r"%{NAME}\t%{EPOCH}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{VENDOR}\t%{INSTALLTIME}\n"


class RpmSource:
    name = "rpm"

    def supported(self) -> bool:
        return shutil.which("rpm") is not None and shutil.which("dpkg-query") is None

    def collect(self) -> list[Fragment]:
        return parse_rpm_query(run_command(["rpm", "-qa", "--queryformat", QUERY_FORMAT]))


def parse_rpm_query(text: str) -> list[Fragment]:
    packages = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise ValueError(f"rpm line {number}: expected 5 tab-separated fields, got {len(fields)}")
        name, version, arch, vendor, installed = (f.strip() for f in fields)
        if name.startswith("gpg-pubkey"):
            continue  # imported signing keys, not software
        version = version.removeprefix("(none):")
        package = {
            "name": name,
            "version": version or None,
            "arch": None if arch in ("", "(none)") else arch,
            "publisher": None if vendor in ("", "(none)") else vendor,
            "source": "rpm",
            "install_date": datetime.fromtimestamp(int(installed), timezone.utc).isoformat() if installed.isdigit() else None,
        }
        packages.append({k: v for k, v in package.items() if v is not None})
    return packages
