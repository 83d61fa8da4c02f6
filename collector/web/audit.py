"""The audit log for auditors: newest entries first, and a check of the whole hash chain."""

from __future__ import annotations

from flask import render_template, request

from collector.access.audit_log import entry_count, recent_entries, verify_chain
from collector.extensions import request_session
from collector.web import bp
from collector.web.security import allow

__all__: list[str] = []

PER_PAGE = 100


@bp.get("/audit")
@allow("auditor")
def audit_log():
    session = request_session()
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 19 else None
    entries = recent_entries(session, PER_PAGE, before_id)
    chain = verify_chain(session) if request.args.get("verify") == "1" else None
    return render_template("audit.html", entries=entries, total=entry_count(session), chain=chain,
                           older=entries[-1].id if len(entries) == PER_PAGE else None)
