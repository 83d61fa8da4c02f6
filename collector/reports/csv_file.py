"""An export as streamed CSV: provenance lines, a blank line, the header, then the rows.

The first bytes (a UTF-8 byte order mark, so spreadsheets pick the right encoding, and the
provenance) leave before the first database query, and rows follow in ~64 KiB pieces.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from collector.reports.cells import spreadsheet_cell
from collector.reports.exports import Export

__all__ = ["csv_chunks"]

_PIECE = 64 * 1024


def csv_chunks(export: Export, counter: list[int] | None = None) -> Iterator[bytes]:
    """Yield the file in pieces; ``counter[0]`` counts the data rows written."""
    counter = counter if counter is not None else [0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    for label, value in export.provenance():
        writer.writerow([f"# {label}", spreadsheet_cell(value)])
    writer.writerow([])
    writer.writerow(export.headers)
    yield _drain(buffer)
    for row in export.rows():
        writer.writerow([spreadsheet_cell(v) for v in row])
        counter[0] += 1
        if buffer.tell() >= _PIECE:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
