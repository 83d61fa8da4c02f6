"""Comparing version strings as versions, not as text: "9" < "10", "2016" < "2019"."""

from __future__ import annotations

import re

__all__ = ["version_key"]

_CHUNK = re.compile(r"\d+|[a-z]+")


def version_key(text: str) -> tuple:
    """A sort key: digit runs compare as numbers, letter runs as text (after every number at the
    same place), case and separators ignored; trailing zero parts do not count ("10" == "10.0")."""
    parts = [(0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk) for chunk in _CHUNK.findall(text.lower())]
    while parts and parts[-1] == (0, 0, ""):
        parts.pop()
    return tuple(parts)
