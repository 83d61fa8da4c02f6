"""An export as PDF, drawn with reportlab's canvas page by page (no layout engine holding the
whole table, so 100,000 rows stream): a provenance block (report, as-of, scope, who) on the
first page, the header repeated on every page, "page X of Y" in every footer, and on the last
page the totals, the audit entry and the SHA-256 of the data (recorded before the file is
closed: collector/reports/sealing.py says what is hashed).

Columns are sized from the first rows' content (collector/reports/columns.py): each at least
as wide as its widest token (MAC, IP, id, date) and sharing the rest by content; portrait when
the table fits, landscape A4 otherwise. Cells wrap at spaces, and a token still wider than its
column breaks by characters, so text never runs into the next column. Text uses an embedded
TrueType font (DejaVu Sans when Debian's fonts-dejavu-core is installed, else the Bitstream
Vera that reportlab ships), so any host name is drawn as the text it is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import reportlab
from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from collector.reports.cells import cell_text
from collector.reports.columns import measure, peek, tokens
from collector.reports.exports import Export, producer
from collector.reports.sealing import HASHED, RECOMPUTE, DataDigest, Seal, Sealed

__all__ = ["BOLD", "FONT", "MARGIN", "PdfTable", "plan_columns", "register_fonts", "wrap_text", "write_pdf"]

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_VERA = Path(reportlab.__file__).parent / "fonts"
FONT, BOLD = "StocktakeSans", "StocktakeSans-Bold"
_SIZE, _LEADING, MARGIN, _MAX_LINES, _PAD = 7, 8.5, 28, 40, 2.5
_SMALL = 6  # the table's font when its columns do not fit at _SIZE
_FOOTER_SIZE = 6.5
_TOKEN_CAP, _CELL_CAP = 120.0, 320.0  # points: a column's floor and its content width are capped
_PAGES_FORM = "stocktake-page-count"


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        regular, bold = _VERA / "Vera.ttf", _VERA / "VeraBd.ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


def _fit(word: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``word`` fit in ``width`` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(word[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines no wider than ``width``: breaks at spaces, and inside a token only when the token
    alone is wider than the column."""
    if "\n" not in text and stringWidth(text, font, size) <= width:
        return [text]
    lines = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in tokens(paragraph):
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while stringWidth(word, font, size) > width:
                cut = _fit(word, font, size, width)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _measures(size: float):
    def regular(text: str) -> float:
        return stringWidth(text, FONT, size)

    def bold(text: str) -> float:
        return stringWidth(text, BOLD, size)
    return regular, bold


def plan_columns(headers: tuple[str, ...], sample: list[tuple]) -> tuple[tuple[float, float], list[float], float]:
    """The page size, column widths (points) and font size for a table whose first rows are
    ``sample``: 7 pt, or 6 pt when the columns' unbreakable tokens take most of landscape A4 at 7."""
    # A date or time is one token: it never wraps between the date and the time.
    whole = [tuple(cell_text(v).replace(" ", "\u00a0") if isinstance(v, date) else v for v in row)
             for row in sample]
    sizes = measure(headers, whole, *_measures(_SIZE))
    least = [min(s.least, _TOKEN_CAP) + 2 * _PAD for s in sizes]
    most = [min(s.most, _CELL_CAP) + 2 * _PAD for s in sizes]
    page = portrait(A4) if sum(most) <= portrait(A4)[0] - 2 * MARGIN else landscape(A4)
    usable = page[0] - 2 * MARGIN
    if sum(most) <= usable:
        return page, [m * usable / sum(most) for m in most], _SIZE
    # Floors taking most of the width leave the wordy columns a few words a line: smaller type then.
    size = _SIZE if sum(least) <= 0.8 * usable else _SMALL
    scale = size / _SIZE  # text widths scale with the font size; the padding does not
    least = _water_fill([(w - 2 * _PAD) * scale + 2 * _PAD for w in least], usable)
    most = [max((w - 2 * _PAD) * scale + 2 * _PAD, low) for w, low in zip(most, least)]
    if sum(most) <= usable:
        return page, [m * usable / sum(most) for m in most], size
    return page, _level(least, most, usable), size


def _level(least: list[float], most: list[float], usable: float) -> list[float]:
    """Share the room between the floors and the content widths by raising one common level:
    each column gets its content width if that is below the level, else the level (or its floor),
    so the wordy columns (summary, comments) end up equally wide, not the longest one widest."""
    low, high = 0.0, max(most)
    for _ in range(40):
        level = (low + high) / 2
        low, high = (level, high) if sum(min(m, max(f, level)) for f, m in zip(least, most)) <= usable else (low, level)
    widths = [min(m, max(f, low)) for f, m in zip(least, most)]
    return [w + (usable - sum(widths)) / len(widths) for w in widths]


def _water_fill(least: list[float], usable: float) -> list[float]:
    """Floors that fit ``usable``: when they do not, only the widest are cut, to one common
    width, so narrow columns (dates, kinds, ids) keep their tokens whole."""
    if sum(least) <= usable:
        return least
    low, high = 0.0, max(least)
    for _ in range(40):
        cap = (low + high) / 2
        low, high = (cap, high) if sum(min(w, cap) for w in least) <= usable else (low, cap)
    return [min(w, low) for w in least]


class PdfTable:
    """The table drawn page by page, its header repeated on each (the ELP subclasses it for
    sections, collector/sam/elp_files.py)."""

    def __init__(self, canvas: Canvas, export: Export, columns: list[float] | None = None,
                 pagesize: tuple[float, float] | None = None, size: float = _SIZE) -> None:
        self.canvas, self.export = canvas, export
        self.size, self.leading = size, size * _LEADING / _SIZE
        self.width, self.height = pagesize or landscape(A4)
        if columns is None:
            weights = export.widths or (1,) * len(export.headers)
            usable = self.width - 2 * MARGIN
            columns = [usable * w / sum(weights) for w in weights]
        self.columns = columns
        self.page = 1
        self.y = 0.0

    def _cells(self, values, font: str) -> list[list[str]]:
        cells = []
        for value, width in zip(values, self.columns):
            text = cell_text(value)
            if isinstance(value, date):
                text = text.replace(" ", "\u00a0")  # whole unless the column is narrower than a date
            lines = wrap_text(text, font, self.size, width - 2 * _PAD) or [""]
            if len(lines) > _MAX_LINES:
                marker = wrap_text("… (the CSV holds the rest)", font, self.size, width - 2 * _PAD)
                lines = lines[:_MAX_LINES - len(marker)] + marker
            cells.append(lines)
        return cells

    def _draw(self, cells: list[list[str]], font: str, right: list[bool] | None = None) -> None:
        """One row; ``right`` marks the cells drawn flush right (numbers)."""
        height = max(len(lines) for lines in cells) * self.leading + 3
        if self.y - height < MARGIN + 12:
            self.new_page()
        x = MARGIN
        self.canvas.setFont(font, self.size)
        for index, (lines, width) in enumerate(zip(cells, self.columns)):
            for i, line in enumerate(lines):
                if right and right[index]:
                    self.canvas.drawRightString(x + width - _PAD, self.y - self.size - 1 - i * self.leading, line)
                else:
                    self.canvas.drawString(x + _PAD, self.y - self.size - 1 - i * self.leading, line)
            x += width
        self.y -= height
        self.canvas.setLineWidth(0.2)
        self.canvas.line(MARGIN, self.y, MARGIN + sum(self.columns), self.y)

    def header(self) -> None:
        self._draw(self._cells(self.export.headers, BOLD), BOLD)

    def row(self, values) -> None:
        right = [isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values]
        self._draw(self._cells(values, FONT), FONT, right)

    def footer(self) -> None:
        scope = self.export.scope
        scope = scope if len(scope) <= 70 else scope[:69] + "…"
        text = (f"Stocktake {self.export.title} · {scope} · as of {self.export.generated_at:%Y-%m-%d %H:%M UTC} "
                f"· export {self.export.export_id} · Page {self.page} of ")
        self.canvas.setFont(FONT, _FOOTER_SIZE)
        self.canvas.drawString(MARGIN, MARGIN - 12, text)
        self.canvas.saveState()
        self.canvas.translate(MARGIN + stringWidth(text, FONT, _FOOTER_SIZE), MARGIN - 12)
        self.canvas.doForm(_PAGES_FORM)
        self.canvas.restoreState()

    def new_page(self, header: bool = True) -> None:
        self.footer()
        self.canvas.showPage()
        self.page += 1
        self.y = self.height - MARGIN
        if header:
            self.header()

    def _block(self, lines: list[tuple[str, str]], size: float = 8) -> None:
        """Label / value lines, both wrapped (labels to the widest label, at most a third of the
        page), starting a page if they do not fit."""
        usable = self.width - 2 * MARGIN
        label_width = min(max(stringWidth(f"{label}:", BOLD, size) for label, _ in lines) + 8, usable / 3)
        wrapped = [(wrap_text(f"{label}:", BOLD, size, label_width - 8),
                    wrap_text(cell_text(value), FONT, size, usable - label_width) or [""]) for label, value in lines]
        if self.y - sum(max(len(a), len(b)) for a, b in wrapped) * (size + 3) < MARGIN + 12:
            self.new_page(header=False)
        for labels, values in wrapped:
            for i in range(max(len(labels), len(values))):
                if i < len(labels):
                    self.canvas.setFont(BOLD, size)
                    self.canvas.drawString(MARGIN, self.y - size, labels[i])
                if i < len(values):
                    self.canvas.setFont(FONT, size)
                    self.canvas.drawString(MARGIN + label_width, self.y - size, values[i])
                self.y -= size + 3

    def provenance(self) -> None:
        self.y = self.height - MARGIN
        self.canvas.setFont(BOLD, 13)
        self.canvas.drawString(MARGIN, self.y - 13, f"Stocktake {self.export.title}")
        self.y -= 24
        self._block(self.export.provenance()[1:])
        self.y -= 10

    def closing(self, digest: DataDigest, sealed: Sealed) -> None:
        """The totals and the seal, after the last row (so on the last page)."""
        self.y -= 10
        lines = [(label, str(count)) for label, count in digest.total_lines()]
        lines += [("Audit log entry", f"{sealed.entry_id} (recorded before this file was closed)"),
                  ("SHA-256 of the data", sealed.data_sha256), ("What is hashed", HASHED),
                  ("To recompute", f"{RECOMPUTE} (on the CSV export of these rows; the entry names its filters)")]
        self._block(lines)

    def finish(self) -> None:
        """The last footer, then the page count every footer refers to."""
        self.footer()
        self.canvas.beginForm(_PAGES_FORM)
        self.canvas.setFont(FONT, _FOOTER_SIZE)
        self.canvas.drawString(0, 0, str(self.page))
        self.canvas.endForm()


def _metadata(canvas: Canvas, export: Export) -> None:
    canvas.setTitle(f"Stocktake {export.title}")
    canvas.setAuthor(export.generated_by)
    canvas.setCreator(producer())
    canvas.setSubject(f"{export.title}: {export.scope}; as of {export.generated_at:%Y-%m-%d %H:%M:%S} UTC; "
                      f"export {export.export_id}")


def write_pdf(export: Export, target: BinaryIO, seal: Seal) -> int:
    """Write the document to ``target``; returns the number of data rows."""
    register_fonts()
    digest = DataDigest(export.headers, export.count_by)
    sample, rows = peek(export.rows())
    pagesize, columns, size = plan_columns(export.headers, sample)
    canvas = Canvas(target, pagesize=pagesize, pageCompression=1)
    _metadata(canvas, export)
    table = PdfTable(canvas, export, columns, pagesize, size)
    table.provenance()
    table.header()
    for values in rows:
        digest.add(values)
        table.row(values)
    if digest.rows == 0:
        table.y -= 4
        table._block([("No rows", "nothing matched the scope above")])
    table.closing(digest, seal(digest))
    table.finish()
    canvas.save()
    return digest.rows
