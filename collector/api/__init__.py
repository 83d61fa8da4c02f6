"""REST API v1 (JSON): agents enrol and report here; people and scripts read assets."""

from flask import Blueprint

from collector.request_guards import refuse_nul_characters

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_nul_characters)

from collector.api import (assets, audit, checkin, cis, discovery, enroll, errors, health, inventory, kpis,  # noqa: E402,F401
                           labels, openapi, reconciliation, sam_entitlements, sam_reports, sam_rules,
                           sam_runs, scan_profiles, suppressions, workflow_oversight, workflows)

__all__ = ["bp"]
