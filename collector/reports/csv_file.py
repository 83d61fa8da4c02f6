"""An export as streamed CSV: the header line, then the rows. Nothing else: the provenance
(as-of, scope, who, audit entry, data hash) lives in the audit log and, for a download that
wants it alongside, in the ``.csv.json`` sidecar of the ZIP format (collector/reports/files.py).

The file starts with a UTF-8 byte order mark: Excel opens a CSV without one in the local
ANSI code page and garbles every non-ASCII host name or comment, while pandas, LibreOffice and
Python's ``csv`` with ``utf-8-sig`` skip it. The bytes after the mark are exactly what the data
hash covers (collector/reports/sealing.py). The first bytes leave before the first database
query, and rows follow in ~64 KiB pieces.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from collector.reports.exports import Export
from collector.reports.sealing import DataDigest

__all__ = ["BOM", "csv_chunks"]

BOM = codecs.BOM_UTF8
_PIECE = 64 * 1024


def csv_chunks(export: Export, digest: DataDigest) -> Iterator[bytes]:
    """Yield the file in pieces; ``digest`` counts, tallies and hashes the rows as they go."""
    yield BOM + digest.header_line.encode("utf-8")
    pieces, size = [], 0
    for row in export.rows():
        line = digest.add(row)
        pieces.append(line)
        size += len(line)
        if size >= _PIECE:
            yield "".join(pieces).encode("utf-8")
            pieces, size = [], 0
    yield "".join(pieces).encode("utf-8")
