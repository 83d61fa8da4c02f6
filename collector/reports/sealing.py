"""The data hash of an export, and the audit entry that seals it before the file is closed.

Every format hashes the same thing, so an auditor can recompute it from the CSV whatever file
they were handed: the SHA-256 of the CSV export's bytes after its UTF-8 byte-order mark, i.e.
the header line and every data row, UTF-8, comma-separated, CRLF line ends, quoted as needed
(RFC 4180, Python's ``csv`` minimal quoting), each cell as the CSV shows it (times
``YYYY-MM-DD HH:MM:SS`` UTC, formula-like text with a leading apostrophe). The writers feed
each row through :class:`DataDigest`; once the last row is in, the ``seal`` callback records the
digest, row count and totals in the audit log and returns the entry, whose id and hash the file
then prints (PDF last page, XLSX "About" sheet, ZIP sidecar).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collector.reports.cells import spreadsheet_cell

__all__ = ["HASHED", "RECOMPUTE", "DataDigest", "Seal", "Sealed", "csv_values"]

HASHED = ("SHA-256 of the CSV export of the same data after its UTF-8 byte-order mark: the header line and "
          "every data row, UTF-8, comma-separated, CRLF line ends, RFC 4180 quoting, cells as the CSV shows them")
RECOMPUTE = "tail -c +4 export.csv | sha256sum"
_TALLY_LIMIT = 12  # distinct values listed in the totals; the rest are summed as "other"


def csv_values(row: Iterable[object]) -> list[object]:
    """The row's cells as the CSV writes them (numbers stay numbers, text is neutralised)."""
    return [spreadsheet_cell(value) for value in row]


class DataDigest:
    """Serialises rows to CSV text exactly once, hashing the text and counting as it goes.

    ``count_by`` names a column whose values are tallied for the totals (status, outcome...)."""

    def __init__(self, headers: tuple[str, ...], count_by: str | None = None) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._hash = hashlib.sha256()
        self.column = count_by
        self._index = headers.index(count_by) if count_by in headers else None
        self.tally: Counter[str] = Counter()
        self.rows = 0
        self.values: list[object] = []  # the last row's cells as the CSV writes them (the XLSX reuses them)
        self.header_line = self._line(headers)

    def _line(self, values: Iterable[object]) -> str:
        self.values = csv_values(values)
        self._writer.writerow(self.values)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        self._hash.update(text.encode("utf-8"))
        return text

    def add(self, row: tuple) -> str:
        """Take one data row; returns its CSV line (with CRLF)."""
        self.rows += 1
        if self._index is not None:
            value = row[self._index]
            self.tally["(none)" if value in (None, "") else str(value)] += 1
        return self._line(row)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def totals(self) -> list[tuple[str, int]]:
        """("Rows", n) then the count per value of ``count_by`` (the most frequent, in value order)."""
        lines = [("Rows", self.rows)]
        if self._index is None:
            return lines
        common = self.tally.most_common(_TALLY_LIMIT)
        lines += [(f"{self.column}: {value}", count) for value, count in sorted(common)]
        rest = self.rows - sum(count for _, count in common)
        return lines + ([(f"{self.column}: other", rest)] if rest else [])

    def total_lines(self) -> list[tuple[str, int]]:
        """The totals labelled for a page: ("Total rows", n), ("Rows with Status = open", n)..."""
        return [("Total rows" if label == "Rows" else f"Rows with {label.replace(': ', ' = ', 1)}", count)
                for label, count in self.totals()]


@dataclass(frozen=True)
class Sealed:
    """The audit entry holding an export's data hash, written before the file is closed."""

    entry_id: int
    data_sha256: str
    rows: int


Seal = Callable[[DataDigest], Sealed]
