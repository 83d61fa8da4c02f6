"""An export as PDF, drawn with reportlab's canvas: landscape A4, a provenance block on the
first page, the header repeated on every page, long cells wrapped to a few lines.

The canvas writes page by page (no layout engine holding the whole table), and text uses an
embedded TrueType font (DejaVu Sans when Debian's fonts-dejavu-core is installed, else the
Bitstream Vera that reportlab ships), so any host name is drawn as the text it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import reportlab
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from collector.reports.cells import cell_text
from collector.reports.exports import Export

__all__ = ["BOLD", "FONT", "MARGIN", "PdfTable", "register_fonts", "write_pdf"]

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_VERA = Path(reportlab.__file__).parent / "fonts"
FONT, BOLD = "StocktakeSans", "StocktakeSans-Bold"
_SIZE, _LEADING, MARGIN, _MAX_LINES = 7, 8.5, 28, 4


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        regular, bold = _VERA / "Vera.ttf", _VERA / "VeraBd.ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


class PdfTable:
    """The table drawn page by page, its header repeated on each (the ELP subclasses it for
    sections and "page X of Y" footers, collector/sam/elp_files.py)."""

    def __init__(self, canvas: Canvas, export: Export) -> None:
        self.canvas, self.export = canvas, export
        self.width, self.height = landscape(A4)
        weights = export.widths or (1,) * len(export.headers)
        usable = self.width - 2 * MARGIN
        self.columns = [usable * w / sum(weights) for w in weights]
        self.page = 1
        self.y = 0.0

    def _cells(self, values, font: str) -> list[list[str]]:
        cells = []
        for value, width in zip(values, self.columns):
            lines = simpleSplit(cell_text(value), font, _SIZE, width - 4) or [""]
            if len(lines) > _MAX_LINES:
                lines = lines[:_MAX_LINES - 1] + [lines[_MAX_LINES - 1][:-1] + "…"]
            cells.append(lines)
        return cells

    def _draw(self, cells: list[list[str]], font: str) -> None:
        height = max(len(lines) for lines in cells) * _LEADING + 2
        if self.y - height < MARGIN + 12:
            self.new_page()
        x = MARGIN
        self.canvas.setFont(font, _SIZE)
        for lines, width in zip(cells, self.columns):
            for i, line in enumerate(lines):
                self.canvas.drawString(x + 2, self.y - _SIZE - i * _LEADING, line)
            x += width
        self.y -= height
        self.canvas.setLineWidth(0.2)
        self.canvas.line(MARGIN, self.y, self.width - MARGIN, self.y)

    def header(self) -> None:
        self._draw(self._cells(self.export.headers, BOLD), BOLD)

    def row(self, values) -> None:
        self._draw(self._cells(values, FONT), FONT)

    def footer(self) -> None:
        self.canvas.setFont(FONT, 6.5)
        text = (f"Stocktake {self.export.title} · generated {self.export.generated_at:%Y-%m-%d %H:%M UTC} "
                f"by {self.export.generated_by} · page {self.page}")
        self.canvas.drawString(MARGIN, MARGIN - 12, text)

    def new_page(self) -> None:
        self.footer()
        self.canvas.showPage()
        self.page += 1
        self.y = self.height - MARGIN
        self.header()

    def provenance(self) -> None:
        self.y = self.height - MARGIN
        self.canvas.setFont(BOLD, 13)
        self.canvas.drawString(MARGIN, self.y - 13, f"Stocktake {self.export.title}")
        self.y -= 22
        for label, value in self.export.provenance()[1:]:
            self.canvas.setFont(BOLD, 8)
            self.canvas.drawString(MARGIN, self.y - 8, f"{label}:")
            self.canvas.setFont(FONT, 8)
            self.canvas.drawString(MARGIN + 80, self.y - 8, cell_text(value)[:200])
            self.y -= 11
        self.y -= 8


def write_pdf(export: Export, target: BinaryIO) -> int:
    """Write the document to ``target``; returns the number of data rows."""
    register_fonts()
    canvas = Canvas(target, pagesize=landscape(A4), pageCompression=1)
    canvas.setTitle(f"Stocktake {export.title}")
    canvas.setAuthor(export.generated_by)
    table = PdfTable(canvas, export)
    table.provenance()
    table.header()
    rows = 0
    for values in export.rows():
        table.row(values)
        rows += 1
    if rows == 0:
        table.row(["(no rows)"] + [""] * (len(export.headers) - 1))
    table.footer()
    canvas.save()
    return rows
