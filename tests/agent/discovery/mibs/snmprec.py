"""Rows from snmprec text (snmpsim's recording format, ``oid|tag|value``) in the walkers' plain form.

Parser tests feed real recorded lines through this instead of a live agent: the values
come out exactly as agent.discovery.snmp.walk would return them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FIXTURES", "rows"]

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "snmp"
_NUMBERS = {2, 65, 66, 67, 70}  # INTEGER, Counter32, Gauge32, TimeTicks, Counter64


def _value(tag: str, value: str):
    hexed = tag.endswith("x")
    number = int(tag.rstrip("x"))
    raw = bytes.fromhex(value) if hexed else value.encode("latin-1")
    if number in _NUMBERS:
        return int(value)
    if number in (4, 68):  # OCTET STRING, Opaque
        return raw
    if number == 6:
        return value
    if number == 64:
        return ".".join(str(octet) for octet in raw) if hexed else value
    return None


def rows(text: str) -> list[tuple[str, object]]:
    found = []
    for line in text.strip().splitlines():
        oid, tag, value = line.strip().split("|", 2)
        found.append((oid, _value(tag, value)))
    return found
