"""Arch Linux packages from pacman's local database, one ``desc`` file per package.

``/var/lib/pacman/local/<name>-<version>/desc`` holds sections: a ``%KEY%`` line, one value
per line, then a blank line (libalpm ``be_local.c``, ``local_db_read``). ``%INSTALLDATE%``
is a Unix time, which pacman writes when it installs or upgrades the package.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from agent.probes.base import Fragment

__all__ = ["LOCAL_DB", "PacmanSource", "parse_pacman_desc"]

LOCAL_DB = Path("/var/lib/pacman/local")
# makepkg's default when PACKAGER is unset: locally built (AUR) packages, no publisher.
UNKNOWN_PACKAGER = "Unknown Packager"
_SECTION = re.compile(r"^%([A-Z0-9]+)%$")


class PacmanSource:
    name = "pacman"

    def __init__(self, local_db: Path = LOCAL_DB) -> None:
        self.local_db = local_db

    def supported(self) -> bool:
        return self.local_db.is_dir()

    def collect(self) -> list[Fragment]:
        return [
            parse_pacman_desc(path.read_text(encoding="utf-8", errors="replace"), str(path))
            for path in sorted(self.local_db.glob("*/desc"))
        ]


def parse_pacman_desc(text: str, origin: str = "desc") -> Fragment:
    """One package from a ``desc`` file; ``origin`` names the file in error messages."""
    sections = _sections(text, origin)
    name = _first(sections, "NAME")
    if not name:
        raise ValueError(f"{origin}: no %NAME% section")
    packager = _first(sections, "PACKAGER")
    installed = _first(sections, "INSTALLDATE")
    if installed is not None and not installed.isdigit():
        raise ValueError(f"{origin}: %INSTALLDATE% is not a Unix time: {installed[:40]!r}")
    package = {
        "name": name,
        "version": _first(sections, "VERSION"),
        "arch": _first(sections, "ARCH"),
        "publisher": None if packager == UNKNOWN_PACKAGER else packager,
        "source": "pacman",
        "install_date": datetime.fromtimestamp(int(installed), timezone.utc).isoformat() if installed else None,
    }
    return {k: v for k, v in package.items() if v is not None}


def _sections(text: str, origin: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            current = None
            continue
        header = _SECTION.match(line) if current is None else None
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is None:
            raise ValueError(f"{origin} line {number}: value outside a %SECTION%: {line[:60]!r}")
        else:
            current.append(line.strip())
    return sections


def _first(sections: dict[str, list[str]], key: str) -> str | None:
    values = sections.get(key)
    return values[0] if values and values[0] else None
