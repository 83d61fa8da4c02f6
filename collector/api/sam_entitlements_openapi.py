"""The OpenAPI paths of /api/v1/sam/entitlements (collector/api/openapi.py merges them)."""

from __future__ import annotations

from collector.models.sam import LICENSE_METRICS
from collector.routing import ID64_MAX
from collector.sam.entitlement_import import COLUMNS
from collector.sam.entitlement_validation import TERMS
from collector.sam.entitlements import SORTS

__all__ = ["entitlement_paths"]

_ID64 = {"type": "integer", "minimum": 1, "maximum": ID64_MAX}
_TEXT = {"type": ["string", "null"], "maxLength": 255}
_NUMBER = {"type": ["integer", "string", "null"]}
_DECIMAL = {"type": ["number", "string", "null"]}
_DATE = {"type": ["string", "null"], "format": "date"}
_INPUT = {"type": "object", "additionalProperties": False, "properties": {
    "product_id": {**_ID64, "description": "the catalogue product; or publisher + product [+ edition]"},
    "publisher": _TEXT, "product": _TEXT, "edition": _TEXT,
    "metric": {"type": "string", "enum": list(LICENSE_METRICS),
               "description": "must be one the product is sold under when the product lists any"},
    "quantity": {**_NUMBER, "description": "whole number, 0 or more; optional for site and unlimited"},
    "version_from": {"type": ["string", "null"], "maxLength": 64},
    "version_to": {"type": ["string", "null"], "maxLength": 64, "description": "compared as versions: 9 < 10"},
    "downgrade_rights": {"type": ["boolean", "string", "null"]},
    "core_factor": {**_DECIMAL, "description": "processor_core only; above 0, default 1"},
    "min_cores_per_processor": {**_NUMBER, "description": "processor_core only"},
    "min_cores_per_vm": {**_NUMBER, "description": "processor_core only"},
    "term": {"type": ["string", "null"], "enum": [*TERMS, None]},
    "start_date": _DATE, "end_date": {**_DATE, "description": "subscriptions: required, not before start_date"},
    "unit_cost": {**_DECIMAL, "description": "0 or more, at most 2 decimals"},
    "currency": {"type": ["string", "null"], "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217, default EUR"},
    "po_number": _TEXT, "vendor": _TEXT, "contract_id": _TEXT,
    "notes": {"type": ["string", "null"], "maxLength": 10000}}}
_ALLOCATION_INPUT = {"type": "object", "additionalProperties": False, "required": ["target_kind", "target"],
                     "properties": {"target_kind": {"type": "string", "enum": ["device", "user", "department"]},
                                    "target": {"type": "string", "maxLength": 255,
                                               "description": "the CI id for a device, else the name"},
                                    "quantity": {"type": "integer", "minimum": 1, "default": 1}}}
_ISSUES = {"type": "array", "items": {"type": "object", "properties": {
    "row": {"type": ["integer", "null"]}, "column": {"type": ["string", "null"]}, "message": {"type": "string"}}}}
_IMPORT = {"type": "object", "properties": {
    "dry_run": {"type": "boolean"}, "imported": {"type": "boolean"}, "rows": {"type": "integer"},
    "created": {"type": "integer"}, "batch": {"type": ["string", "null"]}, "sha256": {"type": "string"},
    "columns": {"type": "object"}, "errors": _ISSUES, "warnings": _ISSUES,
    "entitlement_ids": {"type": "array", "items": {"type": "integer"}}}}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def entitlement_paths(json_response, error, token_errors: dict, page_params: list) -> dict:
    one = [{"name": "entitlement_id", "in": "path", "required": True, "schema": _ID64}]
    view = json_response({"type": "object", "description": "The entitlement with its product, allocations "
                                                           "and days_left (subscriptions)"}, "The entitlement")
    body = {"required": True, "content": {"application/json": {"schema": _INPUT}}}
    invalid = error("A field failed validation (`fields` names every one); nothing was stored")
    unknown = error("No such entitlement")
    return {
        "/api/v1/sam/entitlements": {
            "get": {"summary": "Entitlements with product, allocated total and days left; filter and sort",
                    "security": [{"apiToken": []}],
                    "parameters": page_params + [
                        {"name": "publisher", "in": "query", "schema": {"type": "string", "maxLength": 255}},
                        {"name": "product", "in": "query", "schema": {"type": "string", "maxLength": 255}},
                        {"name": "metric", "in": "query", "schema": {"type": "string", "enum": list(LICENSE_METRICS)}},
                        {"name": "term", "in": "query", "schema": {"type": "string", "enum": list(TERMS)}},
                        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)}},
                        {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}}],
                    "responses": {"200": json_response({"type": "object"}, "A page of entitlements"), **token_errors,
                                  "422": error("Invalid filter or page parameter")}},
            "post": {"summary": "Record an entitlement (admin)", "security": [{"apiToken": []}], "requestBody": body,
                     "responses": {"201": view, "400": error("Malformed JSON"), **token_errors, "422": invalid}},
        },
        "/api/v1/sam/entitlements/{entitlement_id}": {
            "get": {"summary": "One entitlement with its allocations", "security": [{"apiToken": []}],
                    "parameters": one, "responses": {"200": view, **token_errors, "404": unknown}},
            "put": {"summary": "Change an entitlement (admin); fields not sent keep their values, the result is "
                               "checked whole", "security": [{"apiToken": []}], "parameters": one,
                    "requestBody": body,
                    "responses": {"200": view, "400": error("Malformed JSON"), **token_errors, "404": unknown,
                                  "422": invalid}},
            "delete": {"summary": "Delete an entitlement with its allocations (admin)", "security": [{"apiToken": []}],
                       "parameters": one,
                       "responses": {"204": {"description": "Deleted"}, **token_errors, "404": unknown}},
        },
        "/api/v1/sam/entitlements/import": {"post": {
            "summary": f"Import entitlements from CSV or XLSX, all rows or none (admin); columns: {', '.join(COLUMNS)}",
            "security": [{"apiToken": []}],
            "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "string",
                                                                        "enum": ["1", "0", "true", "false"]},
                            "description": "1: check every row and store nothing"}],
            "requestBody": {"required": True, "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                _XLSX: {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"200": json_response(_IMPORT, "The dry run's result"),
                          "201": json_response(_IMPORT, "Imported under one batch"),
                          "400": error("Multipart upload without a 'file' part"), **token_errors,
                          "413": error("File over the configured size or row limit"),
                          "415": error("Neither CSV nor XLSX"),
                          "422": json_response(_IMPORT, "Every problem by row and column; nothing stored")}}},
        "/api/v1/sam/entitlements/{entitlement_id}/allocations": {
            "get": {"summary": "The entitlement's allocations", "security": [{"apiToken": []}], "parameters": one,
                    "responses": {"200": json_response({"type": "object"}, "The allocations"), **token_errors,
                                  "404": unknown}},
            "post": {"summary": "Allocate part of an entitlement to a device (CI id), user or department (admin); "
                                "never beyond the quantity bought", "security": [{"apiToken": []}],
                     "parameters": one,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ALLOCATION_INPUT}}},
                     "responses": {"201": json_response({"type": "object"}, "The allocation"),
                                   "400": error("Malformed JSON"), **token_errors, "404": unknown, "422": invalid}},
        },
        "/api/v1/sam/entitlements/{entitlement_id}/allocations/{allocation_id}": {"delete": {
            "summary": "Remove an allocation (admin)", "security": [{"apiToken": []}],
            "parameters": one + [{"name": "allocation_id", "in": "path", "required": True, "schema": _ID64}],
            "responses": {"204": {"description": "Removed"}, **token_errors,
                          "404": error("No such entitlement or allocation")}}},
    }
