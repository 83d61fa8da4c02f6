"""Asset-tag labels as PDF: per CI, and per workflow (procurement's tag task creates the CI).

Auditors may fetch them (reading); the QR code holds the tag and the CI's URL on the
collector: ``public_url`` when configured, else the address this request came to.
"""

from __future__ import annotations

from flask import Response, request

from collector.api import bp
from collector.api.auth import current_token
from collector.cmdb.labels import ci_label, workflow_label
from collector.extensions import get_config, request_session

__all__: list[str] = []


def _pdf(ci, pdf: bytes) -> Response:
    """Named after the CI id: a tag may hold characters unsafe in a file name."""
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=label-ci-{ci.id}.pdf"})


def _base_url() -> str:
    return get_config().public_url or request.host_url


@bp.get("/cis/<int:ci_id>/label.pdf")
def cis_label(ci_id: int):
    current_token("auditor")
    return _pdf(*ci_label(request_session(), ci_id, _base_url()))


@bp.get("/workflows/<int:instance_id>/label.pdf")
def workflows_label(instance_id: int):
    current_token("auditor")
    return _pdf(*workflow_label(request_session(), instance_id, _base_url()))
