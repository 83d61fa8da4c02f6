"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of this API.

Request schemas come from the same pydantic models the collector validates with, so the
document cannot drift from the wire contract; a test checks that its paths and methods
are exactly the blueprint's routes.
"""

from __future__ import annotations

from functools import lru_cache

from collector.api import bp
from common.schema import CheckinRequest, DiscoveryReport, EnrollRequest, InventoryReport

REF = "#/components/schemas/{model}"


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_AUTH_ERRORS = {"401": _error("Missing, unknown or revoked credential")}
_TOKEN_ERRORS = {**_AUTH_ERRORS, "403": _error("The token's role may not do this")}
# What an agent's report upload (inventory, discovery) can be answered besides success.
_UPLOAD_ERRORS = {
    "400": _error("Malformed JSON, invalid UTF-8 or broken gzip"),
    **_AUTH_ERRORS,
    "403": _error("agent_id in the report is not the authenticated agent"),
    "413": _error("Body over the configured limit (compressed or decompressed)"),
    "415": _error("Not application/json, or an unsupported Content-Encoding"),
    "422": _error("A field failed validation; `fields` names each"),
}


def _components() -> dict:
    schemas: dict = {}
    for model in (InventoryReport, EnrollRequest, CheckinRequest, DiscoveryReport):
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "fields": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }
    schemas["AssetSummary"] = {
        "type": "object",
        "properties": {
            name: {"type": kind} if kind != "nullable-string" else {"type": ["string", "null"]}
            for name, kind in {
                "id": "integer",
                "hostname": "string",
                "fqdn": "nullable-string",
                "serial": "nullable-string",
                "vendor": "nullable-string",
                "model": "nullable-string",
                "os": "nullable-string",
                "agent_id": "nullable-string",
                "software_count": "integer",
                "first_seen_at": "string",
                "last_seen_at": "string",
            }.items()
        },
    }
    return {
        "schemas": schemas,
        "securitySchemes": {
            "nodeKey": {"type": "http", "scheme": "bearer", "description": "Per-agent node key from /enroll"},
            "apiToken": {"type": "http", "scheme": "bearer", "description": "API token from `stocktake-collector api-token create`"},
        },
    }


def _paths() -> dict:
    page_params = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
        {"name": "hostname", "in": "query", "schema": {"type": "string"}, "description": "case-insensitive substring"},
        {"name": "serial", "in": "query", "schema": {"type": "string"}},
        {"name": "mac", "in": "query", "schema": {"type": "string"}, "description": "any common MAC notation"},
    ]
    return {
        "/api/v1/health": {"get": {"summary": "Liveness and database check", "responses": {"200": _json({"type": "object"}, "Healthy")}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": _json({"type": "object"}, "OpenAPI document")}}},
        "/api/v1/enroll": {
            "post": {
                "summary": "Trade an enrollment secret for a per-agent node key",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model="EnrollRequest")}}}},
                "responses": {
                    "201": _json(
                        {"type": "object", "properties": {"agent_id": {"type": "string"}, "node_key": {"type": "string"}}},
                        "Enrolled; the node key is shown once",
                    ),
                    "400": _error("Malformed JSON"),
                    "401": _error("Invalid, expired or revoked enrollment secret"),
                    "409": _error("agent_id names an active agent and node_key is not its current key"),
                    "422": _error("A field failed validation"),
                    "429": _error("Too many failed attempts from this client; see Retry-After"),
                },
            }
        },
        "/api/v1/inventory": {
            "post": {
                "summary": "Upload an inventory report (gzip accepted); idempotent on report_id",
                "security": [{"nodeKey": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model="InventoryReport")}}}},
                "responses": {
                    "200": _json({"type": "object"}, "This report id was already stored"),
                    "201": _json({"type": "object"}, "Stored (status: stored, unchanged or historical)"),
                    **_UPLOAD_ERRORS,
                },
            }
        },
        "/api/v1/checkin": {
            "post": {
                "summary": "An agent reports its state; the answer carries its settings and tasks",
                "security": [{"nodeKey": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model="CheckinRequest")}}}},
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {
                            "settings": {"type": "object", "properties": {
                                "inventory_interval_s": {"type": "integer"}, "splay_s": {"type": "integer"},
                                "checkin_interval_s": {"type": "integer"}}},
                            "tasks": {"type": "array", "items": {"type": "object"}}}},
                        "Settings and tasks for this agent",
                    ),
                    "400": _error("Malformed JSON"),
                    **_AUTH_ERRORS,
                    "413": _error("Body over 16 KiB"),
                    "422": _error("A field failed validation"),
                },
            }
        },
        "/api/v1/discovery": {
            "post": {
                "summary": "A scanner agent uploads what one scan found; devices are linked to assets by MAC or serial",
                "security": [{"nodeKey": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model="DiscoveryReport")}}}},
                "responses": {
                    "200": _json({"type": "object"}, "This report id was already stored"),
                    "201": _json({"type": "object"}, "Stored: counts of devices, new devices, links to assets and switch-port placements"),
                    **_UPLOAD_ERRORS,
                },
            }
        },
        "/api/v1/devices": {
            "get": {
                "summary": "Devices found by scanners; managed=false lists those no asset accounts for",
                "security": [{"apiToken": []}],
                "parameters": page_params[:2] + [{"name": "managed", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}}],
                "responses": {"200": _json({"type": "object"}, "A page of devices"), **_TOKEN_ERRORS,
                              "422": _error("Invalid parameter")},
            }
        },
        "/api/v1/assets": {
            "get": {
                "summary": "List assets, paginated and filterable",
                "security": [{"apiToken": []}],
                "parameters": page_params,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": {"$ref": REF.format(model="AssetSummary")}},
                                "page": {"type": "integer"},
                                "per_page": {"type": "integer"},
                                "total": {"type": "integer"},
                                "pages": {"type": "integer"},
                            },
                        },
                        "A page of assets",
                    ),
                    **_TOKEN_ERRORS,
                    "422": _error("Invalid filter or page parameter"),
                },
            }
        },
        "/api/v1/assets/{asset_id}": {
            "get": {
                "summary": "One asset: hardware, OS, NICs, disks, software, each with the report it came from",
                "security": [{"apiToken": []}],
                "parameters": [{"name": "asset_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json({"type": "object"}, "The asset"), **_TOKEN_ERRORS, "404": _error("No such asset")},
            }
        },
    }


@lru_cache(maxsize=1)
def build_openapi() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stocktake collector API", "version": "1"},
        "paths": _paths(),
        "components": _components(),
    }


@bp.get("/openapi.json")
def openapi_document():
    return build_openapi()
