"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of this API.

Request schemas come from the same pydantic models the collector validates with, so the
document cannot drift from the wire contract; a test checks that its paths and methods
are exactly the blueprint's routes.
"""

from __future__ import annotations

from functools import lru_cache

from collector.api import bp
from common.schema import CheckinRequest, DiscoveryReport, EnrollRequest, InventoryReport

from collector.api.sam_reports_openapi import sam_report_paths
from collector.cmdb.presets import PRESET_NAMES
from collector.routing import ID32_MAX, ID64_MAX

REF = "#/components/schemas/{model}"
# Ids in paths: what the route converters accept (collector/routing.py); anything else is a 404.
_ID64 = {"type": "integer", "minimum": 1, "maximum": ID64_MAX}
_ID32 = {"type": "integer", "minimum": 1, "maximum": ID32_MAX}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_PDF_LABEL = {"description": "The label", "content": {"application/pdf": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}}


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
    schemas.update(ScanProfile=_SCAN_PROFILE, ScanTask=_SCAN_TASK,
                   ScanProfileInput={"type": "object", "additionalProperties": False, "properties": {
                       **_PROFILE_FIELDS, "agents": {"type": "array", "items": {"type": "string"}}}})
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
        "/api/v1/health/live": {"get": {"summary": "Liveness: the process answers (no database access)",
                                        "responses": {"200": _json({"type": "object"}, "Alive")}}},
        "/api/v1/health/ready": {"get": {"summary": "Readiness: the database is reachable and writable",
                                         "responses": {"200": _json({"type": "object"}, "Ready")}}},
        "/api/v1/health": {"get": {"summary": "Readiness (same as /health/ready, kept for compatibility)",
                                   "responses": {"200": _json({"type": "object"}, "Ready")}}},
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
                            "tasks": {"type": "array", "items": {"$ref": REF.format(model="ScanTask")}}}},
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
                    "201": _json({"type": "object"}, "Stored: counts of devices, new devices, links to assets and switch-port placements; device_ids, one per reported device in order (null for one with no identity)"),
                    **_UPLOAD_ERRORS,
                },
            }
        },
        "/api/v1/devices": {
            "get": {
                "summary": "Devices found by scanners; managed=false lists those no asset accounts for; "
                           "quieted=policy lists the discovered nodes whose unmanaged exception the policy did "
                           "not raise (quieted=suppression: a rule suppressed it), each with not_raised.reason",
                "security": [{"apiToken": []}],
                "parameters": page_params[:2] + [
                    {"name": "managed", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
                    {"name": "quieted", "in": "query", "schema": {"type": "string", "enum": ["policy", "suppression"]}},
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "case-insensitive substring of IP, MAC, name, vendor or type"}],
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
                "summary": "One asset: hardware, OS, NICs, disks, software, each with the report and agent it came from; "
                           "reported_by: the agent reporting it now (protocol, version, label)",
                "security": [{"apiToken": []}],
                "parameters": [{"name": "asset_id", "in": "path", "required": True, "schema": _ID64}],
                "responses": {"200": _json({"type": "object"}, "The asset"), **_TOKEN_ERRORS, "404": _error("No such asset")},
            }
        },
        **_cmdb_paths(page_params[:2]),
        **_reconciliation_paths(page_params[:2]),
        **_kpi_paths(),
        **_scan_profile_paths(),
        **_workflow_paths(page_params[:2]),
        **_sam_entitlement_paths(page_params[:2]),
        **_sam_paths(page_params[:2]),
        **sam_report_paths(),
        **_sam_run_paths(),
        **_suppression_paths(),
        **_audit_paths(),
    }


def _audit_paths() -> dict:
    from collector.api.audit import audit_paths

    return audit_paths(_json, _error, _TOKEN_ERRORS)


def _sam_entitlement_paths(page_params: list) -> dict:
    from collector.api.sam_entitlements_openapi import entitlement_paths

    return entitlement_paths(_json, _error, _TOKEN_ERRORS, page_params)


def _sam_paths(page_params: list) -> dict:
    from collector.api.sam_rules import sam_rules_paths

    return sam_rules_paths(_json, _error, _TOKEN_ERRORS, page_params)


def _suppression_paths() -> dict:
    from collector.api.suppressions import suppression_paths

    return suppression_paths(_json, _error, _TOKEN_ERRORS)


def _sam_run_paths() -> dict:
    from collector.api.sam_runs import sam_run_paths

    return sam_run_paths(_json, _error, _TOKEN_ERRORS)


_ISSUES = {"type": "array", "items": {"type": "object", "properties": {
    "row": {"type": ["integer", "null"], "description": "spreadsheet row (header = 1); null for the whole file"},
    "column": {"type": ["string", "null"], "description": "the file's header"},
    "message": {"type": "string"}}}}
_IMPORT_REPORT = {"type": "object", "properties": {
    "dry_run": {"type": "boolean"}, "imported": {"type": "boolean"}, "rows": {"type": "integer"},
    "created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
    "batch": {"type": ["string", "null"]}, "columns": {"type": "object"}, "errors": _ISSUES, "warnings": _ISSUES,
    "preview": {"type": "array", "items": {"type": "object"}}}}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cmdb_paths(page_params: list) -> dict:
    """The CMDB register (collector/api/cis.py)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "/api/v1/cis": {"get": {
            "summary": "List CIs, paginated; filter by class, status, or q (substring of tag, name, serial, host, user)",
            "security": [{"apiToken": []}],
            "parameters": page_params + [{"name": name, "in": "query", "schema": {"type": "string"}}
                                         for name in ("class", "status", "q")],
            "responses": {"200": _json({"type": "object"}, "A page of CIs"), **_TOKEN_ERRORS,
                          "422": _error("Invalid filter or page parameter")},
        }},
        "/api/v1/cis/{ci_id}": {"get": {
            "summary": "One CI with its MACs and relationships (both directions)",
            "security": [{"apiToken": []}],
            "parameters": [{"name": "ci_id", "in": "path", "required": True, "schema": _ID64}],
            "responses": {"200": _json({"type": "object"}, "The CI"), **_TOKEN_ERRORS, "404": _error("No such CI")},
        }},
        "/api/v1/cis/{ci_id}/label.pdf": {"get": {
            "summary": "The CI's asset-tag label (62 x 29 mm PDF; QR code: the tag, then the CI's URL)",
            "security": [{"apiToken": []}],
            "parameters": [{"name": "ci_id", "in": "path", "required": True, "schema": _ID64}],
            "responses": {"200": _PDF_LABEL, **_TOKEN_ERRORS, "404": _error("No such CI"),
                          "409": _error("The CI has no asset tag")},
        }},
        "/api/v1/cis/export": {"get": {
            "summary": "Export every CI as CSV (UTF-8 with BOM) or XLSX, with the headers the import reads",
            "security": [{"apiToken": []}],
            "parameters": [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"]}}],
            "responses": {"200": {"description": "The register", "content": {"text/csv": binary, _XLSX: binary}},
                          **_TOKEN_ERRORS, "422": _error("Unknown format")},
        }},
        "/api/v1/cis/import": {"post": {
            "summary": "Import CIs from CSV or XLSX (upsert by asset tag); all rows or none (operator role)",
            "security": [{"apiToken": []}],
            "parameters": [
                {"name": "dry_run", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]},
                 "description": "true: report what would change and store nothing"},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"]},
                 "description": "overrides the type guessed from Content-Type or the file name"},
                {"name": "mapping", "in": "query", "schema": {"type": "string"},
                 "description": "JSON column mapping: {columns, date_format, classes, statuses, unknown_columns}; "
                                "with a preset, laid over it"},
                {"name": "preset", "in": "query", "schema": {"type": "string", "enum": list(PRESET_NAMES)},
                 "description": "the file is another tool's export (docs/migrating-from-ocs-glpi.md (section 7)); its columns, "
                                "categories and statuses are mapped and other columns kept as CI attributes"},
            ],
            "requestBody": {"required": True, "content": {
                "text/csv": binary, _XLSX: binary,
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}, "mapping": {"type": "string"},
                    "preset": {"type": "string", "enum": list(PRESET_NAMES)}}}}}},
            "responses": {
                "200": _json(_IMPORT_REPORT, "Imported, or the dry run's preview"),
                "400": _error("Multipart upload without a 'file' part"),
                **_TOKEN_ERRORS,
                "409": _error("Another writer added one of the file's asset tags during the import; nothing stored"),
                "413": _error("File over the configured size or row limit"),
                "415": _error("Neither CSV nor XLSX"),
                "422": _json({**_IMPORT_REPORT, "properties": {"error": {"type": "string"},
                                                               **_IMPORT_REPORT["properties"]}},
                             "Bad rows, columns or encoding (every problem listed), or a bad mapping or unknown "
                             "preset (`fields`); nothing stored"),
            },
        }},
    }


def _reconciliation_paths(page_params: list) -> dict:
    """Reconciliation (collector/api/reconciliation.py)."""
    def choice(name: str, values: tuple[str, ...]) -> dict:
        return {"name": name, "in": "query", "schema": {"type": "string", "enum": list(values)}}

    return {
        "/api/v1/reconciliation": {"get": {
            "summary": "The reconciliation report: last run, counts per outcome, open exceptions per kind, the "
                       "exceptions not raised (quieted: by policy, by suppression rules), and rows (one per "
                       "observed asset or device, with the CI it matched and why, and its quieted exceptions)",
            "security": [{"apiToken": []}],
            "parameters": page_params + [choice("outcome", ("matched", "unmanaged", "duplicate"))],
            "responses": {"200": _json({"type": "object"}, "The report"), **_TOKEN_ERRORS,
                          "422": _error("Invalid outcome or page parameter")},
        }},
        "/api/v1/reconciliation/runs": {"post": {
            "summary": "Run a full reconciliation now (operator role); dry_run=true computes without writing",
            "security": [{"apiToken": []}],
            "parameters": [choice("dry_run", ("true", "false"))],
            "responses": {"201": _json({"type": "object"}, "Finished: run id, counts, exceptions opened and resolved, duration_ms"),
                          "200": _json({"type": "object"}, "Dry run: the counts, nothing written"), **_TOKEN_ERRORS,
                          "409": _error("Another node holds the reconciliation lock"),
                          "422": _error("Invalid dry_run")},
        }},
        "/api/v1/reconciliation/cis/{reference}": {"get": {
            "summary": "Explain one CI (by asset tag or id): its matches with rule and evidence, authoritative "
                       "values by source, and its exceptions",
            "security": [{"apiToken": []}],
            "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object"}, "The explanation"), **_TOKEN_ERRORS,
                          "404": _error("No CI with that asset tag or id")},
        }},
        "/api/v1/exceptions": {"get": {
            "summary": "Audit exceptions, newest first; filter by kind and status",
            "security": [{"apiToken": []}],
            "parameters": page_params + [
                choice("kind", ("unmanaged", "missing", "drift", "duplicate", "conflict", "cloned_identity",
                                "over_deployed")),
                choice("status", ("open", "acknowledged", "resolved"))],
            "responses": {"200": _json({"type": "object"}, "A page of exceptions"), **_TOKEN_ERRORS,
                          "422": _error("Invalid kind, status or page parameter")},
        }},
    }


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_PERCENT = {"type": ["number", "null"], "description": "null when there are no CIs"}
_DURATIONS = {"type": "object", "properties": {
    "count": {"type": "integer"},
    "median_hours": {"type": ["number", "null"], "description": "null when nothing was measured"},
    "p90_hours": {"type": ["number", "null"], "description": "nearest-rank 90th percentile"}}}
_DURATION_KPI = {"type": "object", "properties": {
    "overall": _DURATIONS, "by_template": {"type": "object", "additionalProperties": _DURATIONS},
    "weeks": {"type": "array", "description": "per ISO week of the ending event, the current week last",
              "items": {"type": "object", "properties": {
                  "week": {"type": "string"}, "starts": {"type": "string", "format": "date"}, "overall": _DURATIONS,
                  "by_template": {"type": "object", "additionalProperties": _DURATIONS}}}}}}
_ON_TIME = {"type": "object", "properties": {
    "delivered": {"type": "integer", "description": "deliveries with a need-by date"},
    "on_time": {"type": "integer"}, "percent": {"type": ["number", "null"]},
    "without_need_by": {"type": "integer"}}}
_KPIS = {"type": "object", "properties": {
    "generated_at": {"type": "string", "format": "date-time"},
    "weeks": {"type": "integer"},
    "ci_completeness": {"type": "object", "properties": {
        "cis": {"type": "integer"}, "complete": {"type": "integer"}, "percent": _PERCENT,
        "by_class": {"type": "array", "items": {"type": "object", "properties": {
            "ci_class": {"type": "string"}, "cis": {"type": "integer"}, "complete": {"type": "integer"},
            "percent": _PERCENT, "missing": _COUNTS}}},
        "most_missing": {"type": "array", "description": "most often missing first", "items": {
            "type": "object", "properties": {"field": {"type": "string"}, "cis": {"type": "integer"}}}}}},
    "audit_exceptions": {"type": "object", "properties": {
        "kinds": {"type": "array", "items": {"type": "string"}},
        "weeks": {"type": "array", "items": {"type": "object", "properties": {
            "week": {"type": "string", "description": "ISO week, e.g. 2026-W49"},
            "starts": {"type": "string", "format": "date"},
            "opened": _COUNTS, "closed": _COUNTS, "open": _COUNTS}}},
        "ageing": {"type": "object", "description": "days open (0-7, 8-30, 31-90, >90) -> kind -> count",
                   "additionalProperties": _COUNTS}}},
    "cycle_time": {**_DURATION_KPI, "description": "started -> closed, instances closed in the period"},
    "approval_time": {**_DURATION_KPI, "description": "approval task ready -> approved or rejected"},
    "on_time_provisioning": {"type": "object", "description": "deliveries (tasks with kpi=delivered) on or "
                                                              "before the need-by date", "properties": {
        "overall": _ON_TIME, "by_template": {"type": "object", "additionalProperties": _ON_TIME},
        "weeks": {"type": "array", "items": {"type": "object", "properties": {
            "week": {"type": "string"}, "starts": {"type": "string", "format": "date"}, "overall": _ON_TIME}}}}},
    "disposal_lead_time": {**_DURATION_KPI, "description": "kpi=retirement_approved -> kpi=disposed"}}}


def _kpi_paths() -> dict:
    """KPIs (collector/api/kpis.py; definitions in collector/reports/kpis.py)."""
    weeks = {"name": "weeks", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 104},
             "description": "ISO weeks to report, the current one last (default 12)"}
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"/api/v1/kpis": {"get": {
        "summary": "KPIs: % of CI records complete (overall, per class, fields most often missing), audit "
                   "exceptions opened, closed and open per ISO week and kind with the ageing of open ones, "
                   "workflow cycle time and approval time (median and p90 per template), on-time provisioning "
                   "and disposal lead time, each with a per-week trend",
        "security": [{"apiToken": []}],
        "parameters": [weeks],
        "responses": {"200": _json(_KPIS, "The KPIs"), **_TOKEN_ERRORS, "422": _error("weeks is not 1 to 104")},
    }}, "/api/v1/kpis/export": {"get": {
        "summary": "The KPI report as a file: one row per figure (KPI, ISO week, week start, group, measure, "
                   "value); CSV header first, the provenance in the XLSX About sheet, the PDF and the ZIP's "
                   ".csv.json sidecar; the data's SHA-256 goes to the audit log before the file is closed",
        "security": [{"apiToken": []}],
        "parameters": [weeks, {"name": "format", "in": "query",
                               "schema": {"type": "string", "enum": ["csv", "xlsx", "pdf", "zip"], "default": "csv"}}],
        "responses": {"200": {"description": "The report", "content": {"text/csv": binary, _XLSX: binary,
                                                                       "application/pdf": binary,
                                                                       "application/zip": binary}},
                      **_TOKEN_ERRORS, "422": _error("weeks is not 1 to 104, or an unknown format")},
    }}}


_CREDENTIAL_ENTRY = {"type": "object", "additionalProperties": False, "required": ["version"], "properties": {
    "name": {"type": "string"}, "version": {"enum": ["2c", "3"]}, "community": {"type": "string"},
    "user": {"type": "string"}, "auth_protocol": {"enum": ["SHA", "SHA256", "SHA512", "MD5"]},
    "auth_key": {"type": "string", "minLength": 8}, "priv_protocol": {"enum": ["AES", "AES256", "DES"]},
    "priv_key": {"type": "string", "minLength": 8}}}
_PROFILE_FIELDS = {
    "name": {"type": "string", "maxLength": 128},
    "ranges": {"type": "array", "items": {"type": "string", "description": "IPv4 CIDR"}, "minItems": 1, "maxItems": 64},
    "interface": {"type": "string", "maxLength": 15}, "allow_public": {"type": "boolean", "default": False},
    "max_addresses": {"type": "integer", "description": "default and ceiling: config scan_max_addresses"},
    "interval_s": {"type": "integer", "minimum": 300, "maximum": 604800, "default": 3600},
    "enabled": {"type": "boolean", "default": True},
    "credentials": {"type": "array", "items": _CREDENTIAL_ENTRY, "maxItems": 16,
                    "description": "SNMP credentials, tried in order; stored encrypted, never shown again"},
}
_SCAN_PROFILE = {"type": "object", "properties": {
    "id": {"type": "integer"}, **{k: v for k, v in _PROFILE_FIELDS.items() if k != "credentials"},
    "credentials": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "version": {"type": "string"}, "user": {"type": ["string", "null"]}}}},
    "agents": {"type": "array", "items": {"type": "string"}},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    "last_report_at": {"type": ["string", "null"], "format": "date-time"},
    "last_report_by": {"type": ["string", "null"]}}}
_SCAN_TASK = {"type": "object", "description": "A scan profile for an assigned scanner agent (common/scan_tasks.py)",
              "properties": {"type": {"const": "scan"}, "profile_id": {"type": "integer"}, "profile": {"type": "string"},
                             **{k: v for k, v in _PROFILE_FIELDS.items() if k not in ("name", "enabled")}}}


def _scan_profile_paths() -> dict:
    """Scan profiles (collector/api/scan_profiles.py)."""
    profile_id = [{"name": "profile_id", "in": "path", "required": True, "schema": _ID32}]
    profile = _json({"$ref": REF.format(model="ScanProfile")}, "The profile (credentials: name, version, user only)")
    invalid = _error("A field failed validation (`fields` names each); nothing was stored")
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model="ScanProfileInput")}}}}
    return {
        "/api/v1/scan-profiles": {
            "get": {"summary": "Every scan profile with its assigned agents", "security": [{"apiToken": []}],
                    "responses": {"200": _json({"type": "object", "properties": {"items": {
                        "type": "array", "items": {"$ref": REF.format(model="ScanProfile")}}}}, "The profiles"),
                        **_TOKEN_ERRORS}},
            "post": {"summary": "Create a scan profile (admin); `agents` may assign it at once",
                     "security": [{"apiToken": []}], "requestBody": body,
                     "responses": {"201": profile, "400": _error("Malformed JSON"), **_TOKEN_ERRORS,
                                   "409": _error("The name is taken"), "422": invalid}},
        },
        "/api/v1/scan-profiles/{profile_id}": {
            "get": {"summary": "One scan profile", "security": [{"apiToken": []}], "parameters": profile_id,
                    "responses": {"200": profile, **_TOKEN_ERRORS, "404": _error("No such profile")}},
            "patch": {"summary": "Change fields of a scan profile (admin); `credentials` replaces them all",
                      "security": [{"apiToken": []}], "parameters": profile_id, "requestBody": body,
                      "responses": {"200": profile, "400": _error("Malformed JSON"), **_TOKEN_ERRORS,
                                    "404": _error("No such profile"), "409": _error("The name is taken"),
                                    "422": invalid}},
            "delete": {"summary": "Delete a scan profile (admin)", "security": [{"apiToken": []}],
                       "parameters": profile_id,
                       "responses": {"204": {"description": "Deleted"}, **_TOKEN_ERRORS,
                                     "404": _error("No such profile")}},
        },
        "/api/v1/scan-profiles/{profile_id}/agents": {"put": {
            "summary": "Set the agents that run a scan profile (admin)", "security": [{"apiToken": []}],
            "parameters": profile_id,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["agents"], "properties": {
                    "agents": {"type": "array", "items": {"type": "string"}}}}}}},
            "responses": {"200": profile, "400": _error("Malformed JSON"), **_TOKEN_ERRORS,
                          "404": _error("No such profile"), "422": _error("An unknown or revoked agent (named)")},
        }},
    }


def _workflow_paths(page_params: list) -> dict:
    """Workflows (collector/api/workflows.py)."""
    instance_id = [{"name": "instance_id", "in": "path", "required": True, "schema": _ID64}]
    view = _json({"type": "object", "description": "The instance: status, stage, version, ready tasks with "
                                                   "their form fields, and its events"}, "The workflow")
    acting = {**_AUTH_ERRORS, "403": _error("An auditor token, a token not named after an active user, or a "
                                            "person the task's role, the own-request rule or the override "
                                            "rule does not allow"),
              "400": _error("Malformed JSON"),
              "422": _error("Bad body or form input (`fields` names each); nothing stored")}

    def body(properties: dict, required: list[str] | None = None) -> dict:
        schema = {"type": "object", "additionalProperties": False, "properties": properties}
        if required:
            schema["required"] = required
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    from collector.api.workflow_oversight import oversight_paths

    return {
        **oversight_paths(_json, _error, _TOKEN_ERRORS, acting, page_params),
        "/api/v1/workflows/templates": {"get": {
            "summary": "Loaded workflow templates (tasks, stages, roles) and the refusals of bad ones "
                       "(file, line, reason)", "security": [{"apiToken": []}],
            "responses": {"200": _json({"type": "object"}, "Templates and errors"), **_TOKEN_ERRORS}}},
        "/api/v1/workflows": {
            "get": {"summary": "Workflow instances, newest first; filter by status and template",
                    "security": [{"apiToken": []}],
                    "parameters": page_params + [
                        {"name": "status", "in": "query",
                         "schema": {"type": "string", "enum": ["running", "closed", "cancelled"]}},
                        {"name": "template", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": _json({"type": "object"}, "A page of workflows"), **_TOKEN_ERRORS,
                                  "422": _error("Invalid status or page parameter")}},
            "post": {"summary": "Start a workflow from a template about a CI or an audit exception; templates "
                                "of subject none (procurement, SAM) start about nothing yet or take an optional "
                                "CI, their product typed in the first task (operator token named after a user)",
                     "security": [{"apiToken": []}],
                     "requestBody": body({"template": {"type": "string"},
                                          "ci_id": {"type": "integer", "minimum": 1, "maximum": ID64_MAX},
                                          "exception_id": {"type": "integer", "minimum": 1, "maximum": ID64_MAX}},
                                         ["template"]),
                     "responses": {"201": view, **acting,
                                   "409": _error("The exception is resolved or already has a running workflow")}},
        },
        "/api/v1/workflows/my-tasks": {"get": {
            "summary": "Ready tasks the token's user may complete", "security": [{"apiToken": []}],
            "responses": {"200": _json({"type": "object"}, "The tasks"), **_AUTH_ERRORS,
                          "403": acting["403"]}}},
        "/api/v1/workflows/{instance_id}": {"get": {
            "summary": "One workflow with its ready tasks and history", "security": [{"apiToken": []}],
            "parameters": instance_id,
            "responses": {"200": view, **_TOKEN_ERRORS, "404": _error("No such workflow")}}},
        "/api/v1/workflows/{instance_id}/tasks/{task_id}": {"post": {
            "summary": "Complete a ready task with its form data; `version` refuses a stale view; an admin may "
                       "pass a failing validation with `override_reason`", "security": [{"apiToken": []}],
            "parameters": instance_id + [{"name": "task_id", "in": "path", "required": True,
                                          "schema": {"type": "string"}}],
            "requestBody": body({"data": {"type": "object"},
                                 "version": {"type": "integer", "minimum": 1, "maximum": ID64_MAX},
                                 "override_reason": {"type": "string", "maxLength": 2000}}),
            "responses": {"200": view, **acting, "404": _error("No such workflow or task"),
                          "409": _error("The task is not ready, the version is stale, the workflow is not "
                                        "running, or its validation fails")}}},
        "/api/v1/workflows/{instance_id}/label.pdf": {"get": {
            "summary": "The asset-tag label of the workflow's CI (procurement: the CI its tag task created)",
            "security": [{"apiToken": []}], "parameters": instance_id,
            "responses": {"200": _PDF_LABEL, **_TOKEN_ERRORS, "404": _error("No such workflow"),
                          "409": _error("The workflow has no CI yet, or the CI has no asset tag")}}},
        "/api/v1/workflows/{instance_id}/comments": {"post": {
            "summary": "Comment on a workflow's history", "security": [{"apiToken": []}],
            "parameters": instance_id,
            "requestBody": body({"body": {"type": "string", "minLength": 1, "maxLength": 2000}}, ["body"]),
            "responses": {"201": _json({"type": "object"}, "The comment event"), **acting,
                          "404": _error("No such workflow")}}},
    }


# Answered by api/errors.py on any route that touches the database (all but these).
_UNAVAILABLE = _error("The database is locked, unreachable or read-only for now; retry after `Retry-After` seconds")
_NO_DATABASE = {"/api/v1/health/live", "/api/v1/openapi.json"}


def _with_unavailable(paths: dict) -> dict:
    for path, operations in paths.items():
        if path not in _NO_DATABASE:
            for operation in operations.values():
                operation["responses"].setdefault("503", _UNAVAILABLE)
    return paths


@lru_cache(maxsize=1)
def build_openapi() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stocktake collector API", "version": "1"},
        "paths": _with_unavailable(_paths()),
        "components": _components(),
    }


@bp.get("/openapi.json")
def openapi_document():
    return build_openapi()
