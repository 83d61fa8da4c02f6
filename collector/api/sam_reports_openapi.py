"""The OpenAPI paths of /api/v1/sam reports (collector/api/sam_reports.py), merged into the
document by collector/api/openapi.py."""

from __future__ import annotations

from collector.routing import ID64_MAX

__all__ = ["sam_report_paths"]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_ERROR = {"$ref": "#/components/schemas/Error"}
_ID = {"type": "integer", "minimum": 1, "maximum": ID64_MAX}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_MONEY = {"type": ["string", "null"], "description": "decimal amount with two places"}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str | None = None) -> dict:
    parameter = {"name": name, "in": "query", "schema": schema}
    return {**parameter, "description": description} if description else parameter


_ERRORS = {"401": _error("Missing, unknown or revoked credential"), "403": _error("The token's role may not do this")}
_INVALID = {"422": _error("A query parameter is invalid; `fields` names it")}
_PAGES = [_query("page", {"type": "integer", "minimum": 1}),
          _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500})]
_PUBLISHER = _query("publisher", {"type": "string", "maxLength": 255}, "exact publisher name (the ELP's scope)")
_RUN = {"type": ["object", "null"], "description": "the latest finished position run; null before the first",
        "properties": {"id": {"type": "integer"}, "as_of": {"type": "string"}, "finished_at": _NULLABLE_TEXT}}
_NOTE = {"type": ["string", "null"], "description": "\"no position run yet…\" when there is none, else null"}
_PRODUCT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "publisher": {"type": "string"}, "name": {"type": "string"},
    "edition": {"type": "string"}, "category": {"type": "string"}, "licensable": {"type": "boolean"},
    "metrics": {"type": "array", "items": {"type": "string"}}, "installs": {"type": "integer"},
    "devices": {"type": "integer"}}}
_POSITION = {"type": "object", "properties": {
    "product_id": {"type": "integer"}, "metric": {"type": "string"}, "entitled": {"type": ["integer", "null"]},
    "consumed": {"type": "integer"}, "allocated": {"type": "integer"}, "balance": {"type": ["integer", "null"]},
    "status": {"type": "string", "enum": ["short", "ok", "surplus"]}, "unit_cost": _MONEY,
    "currency": {"type": "string"}, "shortfall_cost": _MONEY, "surplus_cost": _MONEY,
    "explanation": {"type": "string"}, "publisher": {"type": "string"}, "product": {"type": "string"},
    "edition": {"type": "string"}}}


def _page_of(item: dict, with_run: bool = False) -> dict:
    properties = {"items": {"type": "array", "items": item}, "page": {"type": "integer"},
                  "per_page": {"type": "integer"}, "total": {"type": "integer"}, "pages": {"type": "integer"}}
    if with_run:
        properties.update(run=_RUN, note=_NOTE)
    return {"type": "object", "properties": properties}


def _get(summary: str, parameters: list, responses: dict) -> dict:
    return {"get": {"summary": summary, "security": [{"apiToken": []}], "parameters": parameters,
                    "responses": {**responses, **_ERRORS}}}


def _catalogue_paths() -> dict:
    detail = {**_PRODUCT, "properties": {**_PRODUCT["properties"], "run": _RUN,
              "versions": {"type": "array", "items": {"type": "object"}},
              "positions": {"type": "array", "items": _POSITION},
              "history": {"type": "array", "items": {"type": "object"}}}}
    return {
        "/api/v1/sam/products": _get(
            "Software catalogue: normalised products with installs and devices, filtered and paginated",
            [*_PAGES, _query("q", {"type": "string", "maxLength": 255}, "substring of publisher, name or edition"),
             _PUBLISHER, _query("licensable", {"type": "string", "enum": ["true", "false"]})],
            {"200": _json(_page_of(_PRODUCT), "A page of products"), **_INVALID}),
        "/api/v1/sam/products/{product_id}": _get(
            "One product: versions with install counts, its positions in the latest run and their history",
            [{"name": "product_id", "in": "path", "required": True, "schema": _ID}],
            {"200": _json(detail, "The product"), "404": _error("No such product")}),
        "/api/v1/sam/assets/{asset_id}/products": _get(
            "The products on one machine: its raw titles as normalised (licensable first), and how many of its "
            "titles are ignored (libraries, patches), uncovered by any rule, or not normalised yet",
            [{"name": "asset_id", "in": "path", "required": True, "schema": _ID}],
            {"200": _json({"type": "object", "properties": {
                "asset_id": {"type": "integer"}, "titles": {"type": "integer"},
                "not_normalised": {"type": "integer"}, "uncovered": {"type": "integer"},
                "ignored": {"type": "integer"}, "products": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "publisher": {"type": "string"}, "name": {"type": "string"},
                    "edition": {"type": "string"}, "category": {"type": "string"}, "licensable": {"type": "boolean"},
                    "versions": {"type": "array", "items": {"type": "string"}}, "titles": {"type": "integer"}}}}}},
                "The machine's products"), "404": _error("No such asset")}),
    }


def _position_paths() -> dict:
    evidence = {"type": "object", "properties": {name: {} for name in (
        "metric", "device", "ci_id", "asset_id", "user", "version", "units", "reason", "first_seen_at",
        "last_seen_at", "report_id")}}
    return {
        "/api/v1/sam/positions": _get(
            "Licence positions of the latest finished run: entitled, consumed, balance and money per product and "
            "metric (empty, with a note, before the first run)",
            [_PUBLISHER, _query("status", {"type": "string", "enum": ["short", "ok", "surplus"]}),
             _query("metric", {"type": "string", "maxLength": 255})],
            {"200": _json({"type": "object", "properties": {"run": _RUN, "note": _NOTE, "items": {
                "type": "array", "items": _POSITION}}}, "The positions"), **_INVALID}),
        "/api/v1/sam/positions/{product_id}/evidence": _get(
            "The consumption evidence behind a product's positions (device, user, version, units, reason, "
            "first and last seen, report id), paginated",
            [{"name": "product_id", "in": "path", "required": True, "schema": _ID}, *_PAGES,
             _query("metric", {"type": "string", "maxLength": 255})],
            {"200": _json(_page_of(evidence, True), "A page of evidence rows"), **_INVALID}),
        "/api/v1/sam/reclaim": _get(
            "Reclaim candidates: installs of licensed products unused for N days and the money removing them frees",
            [*_PAGES, _PUBLISHER, _query("sort", {"type": "string", "enum": ["freed_cost", "days_unused", "device",
                                                                             "product"]}),
             _query("order", {"type": "string", "enum": ["asc", "desc"]})],
            {"200": _json(_page_of({"type": "object"}, True), "A page of candidates"), **_INVALID}),
        "/api/v1/sam/renewals": _get(
            "Subscriptions ending within 90/60/30 days or expired: one row per entitlement with days left",
            [_PUBLISHER, _query("status", {"type": "string", "enum": ["open", "renewed", "retired", "dismissed",
                                                                      "all"]})],
            {"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object"}}}}, "The renewal items"), **_INVALID}),
    }


def _file_paths() -> dict:
    return {
        "/api/v1/sam/elp": _get(
            "The Effective License Position of a publisher (or all) as CSV, XLSX or PDF: scope, as-of time, every "
            "position with its explanation, the evidence rows and totals; its SHA-256 goes to the audit log",
            [_PUBLISHER, _query("format", {"type": "string", "enum": ["csv", "xlsx", "pdf"], "default": "csv"})],
            {"200": {"description": "The ELP file", "content": {"text/csv": _BINARY, _XLSX: _BINARY,
                                                                "application/pdf": _BINARY}}, **_INVALID}),
        "/api/v1/sam/audit-pack": _get(
            "The audit pack: one ZIP with the ELP (CSV, XLSX, PDF), evidence, entitlements, reclaim, renewals and "
            "a manifest of every member's SHA-256; the ZIP's SHA-256 goes to the audit log",
            [_PUBLISHER],
            {"200": {"description": "The ZIP", "content": {"application/zip": _BINARY}}, **_INVALID}),
    }


def sam_report_paths() -> dict:
    return {**_catalogue_paths(), **_position_paths(), **_file_paths()}
