"""Asset-tag labels: one PDF page the size of a label, with the tag in text and as a QR code.

The QR code holds two lines: the asset tag, then the collector's URL of the CI, so a phone
camera opens the record and a scanner that only wants the tag reads the first line. The page
is 62 x 29 mm, the common continuous-label width of desktop label printers. PDFs are written
with ``invariant`` set, so the same CI gives the same bytes (no creation date or random id).
"""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from collector.errors import Conflict, NotFound
from collector.models import WorkflowInstance
from collector.models.cmdb import ConfigurationItem

__all__ = ["LABEL_SIZE_MM", "ci_label", "label_payload", "label_pdf", "qr_widget", "workflow_label"]

LABEL_SIZE_MM = (62, 29)


def label_payload(ci: ConfigurationItem, base_url: str) -> str:
    """What the QR code encodes: the tag, a newline, the CI's URL on the collector."""
    return f"{ci.asset_tag}\n{base_url.rstrip('/')}/api/v1/cis/{ci.id}"


def qr_widget(payload: str):
    """reportlab's QR widget for ``payload``, error correction M (a label survives scuffs)."""
    from reportlab.graphics.barcode.qr import QrCodeWidget

    return QrCodeWidget(payload, barLevel="M", barBorder=2)


def label_pdf(ci: ConfigurationItem, base_url: str) -> bytes:
    """The label of a tagged CI as PDF bytes."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    if not ci.asset_tag:
        raise ValueError(f"CI {ci.id} has no asset tag to print")
    width, height = LABEL_SIZE_MM[0] * mm, LABEL_SIZE_MM[1] * mm
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setTitle(f"Asset tag {ci.asset_tag}")
    side = height - 2 * mm
    widget = qr_widget(label_payload(ci, base_url))
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, 1 * mm, 1 * mm)
    _text(canvas, ci, side + 3 * mm, height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _text(canvas, ci: ConfigurationItem, x: float, height: float) -> None:
    from reportlab.lib.units import mm

    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(x, height - 8 * mm, ci.asset_tag)
    canvas.setFont("Helvetica", 6.5)
    lines = [" ".join(p for p in (ci.vendor, ci.model) if p) or (ci.name or ""), f"S/N {ci.serial or '-'}",
             f"CI {ci.id}"]
    for number, line in enumerate(lines):
        canvas.drawString(x, height - (13 + 4 * number) * mm, line[:34])


def ci_label(session: Session, ci_id: int, base_url: str) -> tuple[ConfigurationItem, bytes]:
    """The CI and its label; NotFound for no such CI, Conflict for a CI with no asset tag."""
    ci = session.get(ConfigurationItem, ci_id)
    if ci is None:
        raise NotFound(f"no CI with id {ci_id}")
    if not ci.asset_tag:
        raise Conflict(f"CI {ci_id} has no asset tag to print")
    return ci, label_pdf(ci, base_url)


def workflow_label(session: Session, instance_id: int, base_url: str) -> tuple[ConfigurationItem, bytes]:
    """The label of the CI a workflow is about (procurement: the CI its tag task created)."""
    instance = session.get(WorkflowInstance, instance_id)
    if instance is None:
        raise NotFound(f"no workflow with id {instance_id}")
    if instance.ci_id is None:
        raise Conflict(f"workflow {instance_id} has no CI yet: the label exists once its tag task is done")
    return ci_label(session, instance.ci_id, base_url)
