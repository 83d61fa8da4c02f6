"""One exported value as spreadsheet-safe text.

Text a spreadsheet would evaluate (starting with = + - @, tab or CR: OWASP "CSV injection")
gets a leading apostrophe, exactly as the CMDB export does, so a host name an agent sent as
``=HYPERLINK(...)`` is shown, never run. Control characters that XLSX cannot hold are dropped.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from collector.cmdb.cells import FORMULA_PREFIXES
from collector.cmdb.exporting import neutralise

__all__ = ["cell_text", "spreadsheet_cell"]

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_RISKY = frozenset(FORMULA_PREFIXES) | {"'"}  # what neutralise() may change: formulas, and the escape itself


def cell_text(value: object) -> str:
    """The value as plain text (PDF, provenance)."""
    if value is None:
        return ""
    if type(value) is str:
        return _ILLEGAL.sub("", value) if _ILLEGAL.search(value) else value
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # exports state times in UTC
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _ILLEGAL.sub("", str(value))


def spreadsheet_cell(value: object) -> object:
    """The value for a CSV or XLSX cell: numbers stay numbers, text is neutralised."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 168, not 168.0: the CSV and the XLSX read back show the same text
    if isinstance(value, (int, float)):
        return value
    text = cell_text(value)
    # Most cells start with a letter or digit: skip the formula check for them (a third of an
    # XLSX export's time at 100,000 rows went to this function).
    return neutralise(text) if text[:1] in _RISKY else text
