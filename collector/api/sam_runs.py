"""Computing licence positions over HTTP: ``POST /api/v1/sam/positions/run`` (operators and admins).

The read routes (positions, evidence, reclaim, renewals) and the ELP exports are elsewhere."""

from __future__ import annotations

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.extensions import get_config, get_db
from collector.sam.run import run_positions

__all__ = ["sam_run_paths"]


@bp.post("/sam/positions/run")
def sam_positions_run():
    """Compute every licence position now, then raise the remediation and renewal workflows."""
    token = current_token("operator")
    summary = run_positions(get_db(), get_config(), actor=token_actor(token))
    if summary is None:
        return {"status": "busy", "detail": "another node is computing the licence positions"}, 409
    return {"status": "finished", **summary}, 201


def sam_run_paths(json_response, error, token_errors: dict) -> dict:
    """The OpenAPI paths of this module (collector/api/openapi.py merges them)."""
    return {"/api/v1/sam/positions/run": {"post": {
        "summary": "Compute every licence position now (operator role): positions, evidence, over-deployment "
                   "exceptions, reclaim candidates, renewal items; then raise the remediation and renewal workflows",
        "security": [{"apiToken": []}],
        "responses": {"201": json_response({"type": "object", "properties": {
            "status": {"type": "string"}, "run_id": {"type": "integer"}, "as_of": {"type": "string"},
            "counts": {"type": "object"}, "seconds": {"type": "number"}, "workflows": {"type": "object"}}},
            "Finished: the run id, its counts and the workflows it raised"), **token_errors,
            "409": error("Another node is computing the licence positions")}}}}
