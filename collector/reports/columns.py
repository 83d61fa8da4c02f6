"""Column sizes from the content: the first rows of an export are read ahead (then written as
usual) so the PDF and XLSX writers can size each column for what it holds, keeping tokens
such as MAC and IP addresses, ids and dates whole, without holding the whole table in memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice

from collector.reports.cells import cell_text

__all__ = ["SAMPLE_ROWS", "ColumnSize", "measure", "peek", "tokens"]

SAMPLE_ROWS = 500
_BREAKS = re.compile(r"[ \t\r\n]+")  # not str.split(): a no-break space keeps a date and its time together


def tokens(text: str) -> list[str]:
    """The words of ``text``, split where a line may break."""
    return [token for token in _BREAKS.split(text) if token]


def peek(rows: Iterable[tuple], count: int = SAMPLE_ROWS) -> tuple[list[tuple], Iterator[tuple]]:
    """The first ``count`` rows, and an iterator over all rows (those included)."""
    iterator = iter(rows)
    head = list(islice(iterator, count))
    return head, chain(head, iterator)


class ColumnSize:
    """A column's widest unbreakable token (``least``) and widest whole cell (``most``) in some unit."""

    def __init__(self, least: float, most: float) -> None:
        self.least, self.most = least, max(least, most)

    def __repr__(self) -> str:
        return f"ColumnSize({self.least:.1f}, {self.most:.1f})"


def measure(headers: tuple[str, ...], sample: list[tuple], width: Callable[[str], float],
            header_width: Callable[[str], float] | None = None) -> list[ColumnSize]:
    """Sizes per column under ``width`` (a text measure: characters, points...). Headers wrap
    at spaces, so only their longest word is a floor; their whole text counts as content."""
    header_width = header_width or width
    sizes = []
    for index, header in enumerate(headers):
        least = max(header_width(word) for word in tokens(header) or [""])
        most = header_width(header)
        for row in sample:
            text = cell_text(row[index]) if index < len(row) else ""
            if not text:
                continue
            most = max(most, width(text))
            least = max(least, max(width(token) for token in tokens(text) or [""]))
        sizes.append(ColumnSize(least, most))
    return sizes
