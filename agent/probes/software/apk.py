"""Alpine packages from apk's installed database, ``/lib/apk/db/installed``.

The database is text: one block per package, blocks separated by a blank line, each line
a one-letter field, a colon and a value (apk-tools ``src/package.c``, the same letters as
``APKINDEX``). ``P`` is the name, ``V`` the version, ``A`` the architecture and ``m`` the
maintainer; ``R``/``a``/``Z`` lines repeat once per installed file. apk records no install
time: ``t`` is when the package was *built*, so it is not reported as an install date.
Virtual packages (``apk add --virtual .build-deps ...``) only group dependencies and are
skipped. Reading the file costs a few milliseconds, where ``apk info`` costs a process.
"""

from __future__ import annotations

from pathlib import Path

from agent.probes.base import Fragment

__all__ = ["ApkSource", "INSTALLED_DB", "parse_apk_installed"]

INSTALLED_DB = Path("/lib/apk/db/installed")
# ``apk add --virtual NAME`` records a dependency group under this description: not software.
VIRTUAL = "virtual meta package"


class ApkSource:
    name = "apk"

    def __init__(self, installed_db: Path = INSTALLED_DB) -> None:
        self.installed_db = installed_db

    def supported(self) -> bool:
        return self.installed_db.is_file()

    def collect(self) -> list[Fragment]:
        return parse_apk_installed(self.installed_db.read_text(encoding="utf-8", errors="replace"))


def parse_apk_installed(text: str) -> list[Fragment]:
    """One record per package block; a block without ``P:`` or a line without ``X:`` is an error."""
    blocks: list[tuple[int, dict[str, str]]] = []
    block: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            block = {}
            continue
        key, separator, value = line.partition(":")
        if not separator or len(key) != 1:
            raise ValueError(f"apk installed db line {number}: expected 'X:value', got {line[:60]!r}")
        if not block:
            blocks.append((number, block))
        block.setdefault(key, value.strip())  # per-file lines (R, a, Z) repeat; package fields do not
    packages = [_package(fields, line) for line, fields in blocks]
    return [package for package in packages if package is not None]


def _package(fields: dict[str, str], line: int) -> Fragment | None:
    if not fields.get("P"):
        raise ValueError(f"apk installed db line {line}: package block without a P: (name) line")
    if fields.get("T") == VIRTUAL:
        return None
    package = {"name": fields["P"], "version": fields.get("V") or None, "arch": fields.get("A") or None,
               "publisher": fields.get("m") or None, "source": "apk"}
    return {k: v for k, v in package.items() if v is not None}
