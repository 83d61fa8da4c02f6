"""Version strings as packagers write them, reduced to what licences are sold by.

Licences name major versions ("Office 2019", "SQL Server 2022", "AutoCAD 2024", "Java 8"), while
installs report whatever the packager wrote: "16.0.17126.20132", dpkg's "1:7.5.8-2" (epoch,
upstream, Debian revision), rpm's "1.8.0.392.b08-4.el9". ``major_version`` takes the first
number of the upstream part; ``version_key`` orders versions so that "9" < "10" and
"2016" < "2019", which is what entitlement version ranges compare.
"""

from __future__ import annotations

import re

__all__ = ["major_version", "version_key"]

_EPOCH = re.compile(r"^\d+:")
_LEADING = re.compile(r"^[^\w]*[vV]?(\d+)")
_PARTS = re.compile(r"\d+|[A-Za-z]+")


def upstream(raw: str) -> str:
    """The version without a dpkg/rpm epoch ("1:7.5.8-2" → "7.5.8-2")."""
    return _EPOCH.sub("", raw.strip(), count=1)


def major_version(raw: str | None) -> str | None:
    """The leading number of a version: "16.0.17126.20132" → "16", "1:7.5.8-2" → "7", "v2.3" → "2".

    None when the version does not start with a number (a build name, an empty string)."""
    if not raw:
        return None
    match = _LEADING.match(upstream(raw))
    return str(int(match.group(1))) if match else None


def version_key(text: str | None) -> tuple:
    """A sort key: numbers compare as numbers, words as lower-case text, numbers before words.

    Epochs are ignored (entitlement ranges name major versions, which have none); None and ""
    sort first; trailing zero parts do not count ("10" == "10.0"). Every element is a
    (kind, number, text) triple so mixed versions never compare int with str."""
    if not text:
        return ()
    parts = [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in _PARTS.findall(upstream(text))]
    while parts and parts[-1] == (0, 0, ""):
        parts.pop()
    return tuple(parts)
