"""/sam/titles and /sam/rules: curating normalisation. Auditors look; admins add and delete rules."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from collector.extensions import get_db, request_session
from collector.sam.admin_rules import add_rule, delete_rule, list_rules, rule_coverage, rule_from_form, rule_view
from collector.sam.rules import SOURCES
from collector.sam.runs import normalise_and_record
from collector.sam.titles import TITLE_SORTS, uncovered_titles
from collector.web import bp
from collector.web.form_state import keep_typed
from collector.web.listing import list_args, stay_in_range
from collector.web.params import text
from collector.web.security import actor, allow

__all__: list[str] = []


@bp.get("/sam/titles")
@allow("auditor")
def sam_titles():
    search, listing = text("q"), list_args("sam_titles", tuple(TITLE_SORTS), "-devices")
    items, total = uncovered_titles(request_session(), search=search, page=listing.page, per_page=listing.per_page,
                                    sort=listing.sort)
    stay_in_range(listing, total)
    return render_template("sam_titles.html", items=items, total=total, search=search, page=listing.page,
                           listing=listing, sources=SOURCES,
                           added=request.args.get("rule"), covered=request.args.get("covered", type=int),
                           prefill={"pattern": text("pattern", 1000), "source": request.args.get("source")})


@bp.post("/sam/titles/rules")
@allow("admin")
@keep_typed(sam_titles)
def sam_titles_add_rule():
    """Store the rule, re-normalise, and say how many titles it now covers."""
    definition = rule_from_form(request.form.to_dict())
    with get_db().write() as session:
        rule_id = add_rule(session, definition, actor(), note=request.form.get("note") or None).rule_id
    normalise_and_record(get_db(), actor())
    with get_db().session() as session:  # a fresh read: the request's session predates the run
        covered = rule_coverage(session, rule_id)
    return redirect(url_for("web.sam_titles", rule=rule_id, covered=covered), 303)


@bp.get("/sam/rules")
@allow("auditor")
def sam_rules():
    rules = [rule_view(row) for row in list_rules(request_session())]
    return render_template("sam_rules.html", rules=rules, deleted=request.args.get("deleted"))


@bp.post("/sam/rules/<rule_id>/delete")
@allow("admin")
def sam_rules_delete(rule_id: str):
    with get_db().write() as session:
        delete_rule(session, rule_id, actor())
    normalise_and_record(get_db(), actor())
    return redirect(url_for("web.sam_rules", deleted=rule_id), 303)
