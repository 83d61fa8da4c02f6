"""/api/v1/sam/rules, /sam/normalise, /sam/titles: normalisation rules and curation. Auditors read; admins write."""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.body import read_json_body
from collector.api.params import paging
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_db, request_session
from collector.ingest.parsing import load_json_object
from collector.sam.admin_rules import add_rule, delete_rule, list_rules, rule_view
from collector.sam.runs import normalise_and_record
from collector.sam.titles import uncovered_titles

__all__ = ["sam_rules_paths"]

MAX_RULE_BODY = 16 * 1024


@bp.get("/sam/rules")
def sam_rules_index():
    current_token("auditor")
    return {"items": [rule_view(row) for row in list_rules(request_session())]}


@bp.post("/sam/rules")
def sam_rules_create():
    """Body: the rule object, or ``{"rule": {...}, "position": n, "note": "..."}``."""
    token = current_token("admin")
    data = load_json_object(read_json_body(request, MAX_RULE_BODY, MAX_RULE_BODY).raw)
    wrapped = isinstance(data.get("rule"), dict)
    definition = data["rule"] if wrapped else data
    position, note = (data.get("position"), data.get("note")) if wrapped else (None, None)
    unknown = [FieldError(str(key), "unknown field") for key in data if key not in ("rule", "position", "note")]
    if wrapped and unknown:
        raise InvalidInput("invalid rule", unknown)
    with get_db().write() as session:
        view = rule_view(add_rule(session, definition, token_actor(token), position=position, note=note))
    return view, 201


@bp.delete("/sam/rules/<rule_id>")
def sam_rules_delete(rule_id: str):
    token = current_token("admin")
    with get_db().write() as session:
        delete_rule(session, rule_id, token_actor(token))
    return "", 204


@bp.post("/sam/normalise")
def sam_normalise():
    """``?full=true`` redoes every title; otherwise only new ones and those of an older ruleset."""
    token = current_token("admin")
    full = request.args.get("full", "false")
    if full not in ("true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError("full", "must be true or false")])
    return normalise_and_record(get_db(), token_actor(token), full=full == "true").as_dict()


@bp.get("/sam/titles")
def sam_titles():
    current_token("auditor")
    if request.args.get("covered", "no") != "no":
        raise InvalidInput("invalid query parameter", [FieldError("covered", "only covered=no is listed")])
    pages = paging()
    search = (request.args.get("q") or "").strip()[:255] or None
    items, total = uncovered_titles(request_session(), search=search, page=pages.page, per_page=pages.per_page)
    return pages.envelope(items, total)


def sam_rules_paths(json_response, error, token_errors: dict, page_params: list) -> dict:
    """The OpenAPI paths of this module (collector/api/openapi.py)."""
    rule = {"type": "object", "description": "A normalisation rule: id, name or name_regex, optional "
                                             "publisher_regex and sources, publisher, product, edition, version, "
                                             "major_version, edition_map, major_map, or ignore = true"}
    view = {"type": "object", "properties": {"rule_id": {"type": "string"}, "position": {"type": "integer"},
                                             "definition": rule, "note": {"type": ["string", "null"]},
                                             "created_at": {"type": ["string", "null"], "format": "date-time"}}}
    invalid = error("The rule is invalid (`fields` names each key and reason); nothing stored")
    result = {"type": "object", "properties": {k: {"type": "integer"} for k in
                                               ("titles", "covered", "uncovered", "products_created")}}
    result["properties"].update({"ruleset": {"type": "string"}, "seconds": {"type": "number"}})
    return {
        "/api/v1/sam/rules": {
            "get": {"summary": "Admin normalisation rules, in the order they are tried (before the shipped ones)",
                    "security": [{"apiToken": []}],
                    "responses": {"200": json_response({"type": "object", "properties": {
                        "items": {"type": "array", "items": view}}}, "The rules"), **token_errors}},
            "post": {"summary": "Add an admin rule (admin); the next normalise redoes stored titles",
                     "security": [{"apiToken": []}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                         rule, {"type": "object", "required": ["rule"], "properties": {
                             "rule": rule, "position": {"type": "integer"}, "note": {"type": "string"}}}]}}}},
                     "responses": {"201": json_response(view, "The stored rule"), "400": error("Malformed JSON"),
                                   **token_errors, "409": error("The rule id is taken"), "422": invalid}}},
        "/api/v1/sam/rules/{rule_id}": {"delete": {
            "summary": "Delete an admin rule (admin)", "security": [{"apiToken": []}],
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Deleted"}, **token_errors, "404": error("No such admin rule")}}},
        "/api/v1/sam/normalise": {"post": {
            "summary": "Normalise new titles (and those of an older ruleset; all with full=true) (admin)",
            "security": [{"apiToken": []}],
            "parameters": [{"name": "full", "in": "query", "schema": {"type": "boolean", "default": False}}],
            "responses": {"200": json_response(result, "What the run did"), **token_errors,
                          "422": error("full is not true or false, or a stored admin rule is invalid")}}},
        "/api/v1/sam/titles": {"get": {
            "summary": "Raw titles no rule covers, with install counts, largest first", "security": [{"apiToken": []}],
            "parameters": [{"name": "covered", "in": "query", "schema": {"enum": ["no"], "default": "no"}},
                           {"name": "q", "in": "query", "schema": {"type": "string"},
                            "description": "case-insensitive substring of the name"}, *page_params],
            "responses": {"200": json_response({"type": "object"}, "A page of titles: name, publisher, source, "
                                                                   "titles, version, installs"),
                          **token_errors, "422": error("Invalid parameter")}}},
    }
