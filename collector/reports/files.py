"""An export written whole to a binary file in any of the formats, with its SHA-256 and size:
what the API and CLI deliver (the web UI streams CSV itself, collector/web/exports.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from collector.reports.csv_file import csv_chunks
from collector.reports.exports import Export
from collector.reports.pdf_file import write_pdf
from collector.reports.xlsx_file import write_xlsx

__all__ = ["MEDIA_TYPES", "WrittenFile", "write_export"]

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class WrittenFile:
    rows: int
    sha256: str
    size: int


def write_export(export: Export, fmt: str, target: BinaryIO) -> WrittenFile:
    """Write at the target's current position (a seekable file) and hash what was written."""
    start = target.tell()
    if fmt == "csv":
        counter = [0]
        for chunk in csv_chunks(export, counter):
            target.write(chunk)
        rows = counter[0]
    else:
        rows = (write_xlsx if fmt == "xlsx" else write_pdf)(export, target)
    end = target.tell()
    target.seek(start)
    digest = hashlib.file_digest(target, "sha256").hexdigest()
    target.seek(end)
    return WrittenFile(rows, digest, end - start)
