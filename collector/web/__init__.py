"""The web UI: server-rendered pages for admins, operators and auditors.

Views parse the request, check the role (``security.allow``, deny by default), call a
service and render a template. Every asset is served from ``static/``; pages run no script.
"""

from flask import Blueprint

from collector.request_guards import refuse_nul_characters

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web-static")
bp.before_request(refuse_nul_characters)

from collector.web import (  # noqa: E402,F401
    admin, assets, audit, bulk_triage, dashboard, errors, exceptions, exports, form_state, kpis, login, network,
    readable, reconciliation, records, sam_entitlements, sam_pages, sam_titles, saved_filters, search, security,
    settings, suppressions, templating, workflows,
)

__all__ = ["bp"]
