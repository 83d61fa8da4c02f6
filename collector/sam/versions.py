"""Comparing software versions the way people read them: "9" < "10", "2016" < "2019".

Entitlements cover a range of major versions (``version_from`` .. ``version_to``); installs
carry the major version normalisation found. Both are compared by :func:`version_key`.
"""

from __future__ import annotations

import re

__all__ = ["major_version", "version_key"]

_PARTS = re.compile(r"\d+|[A-Za-z]+")


def version_key(text: str) -> tuple:
    """A sort key: numeric parts compare as numbers (before letters at the same place)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in _PARTS.findall(text or ""))


def major_version(raw: str | None) -> str | None:
    """The first numeric part of a version ("16.0.1234" -> "16", "2019 SP1" -> "2019"), or None."""
    match = re.search(r"\d+", raw or "")
    return str(int(match.group())) if match else None
