"""Parsing an inventory upload: JSON, the envelope, the content hash, then full validation.

The envelope (schema version, report id, agent id, time) is checked on every upload.
The full pydantic validation of 1,500 packages costs milliseconds, so it runs only when
the content hash differs from the agent's last stored report: identical content was
already validated when it was first stored.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from collector.errors import BadRequest, FieldError, InvalidInput
from common.schema import INVENTORY_SCHEMA_VERSION, InventoryReport, ShortText, UtcDatetime

__all__ = ["ParsedInventory", "canonical_json", "load_json_object", "parse_inventory", "validation_error"]

# Fields that differ between two reports of an unchanged machine.
VOLATILE_FIELDS = frozenset({"report_id", "collected_at", "spool_dropped"})


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_version: int
    report_id: uuid.UUID
    agent_id: ShortText
    collected_at: UtcDatetime


@dataclass
class ParsedInventory:
    document: dict[str, Any]
    report_id: str
    agent_id: str
    collected_at: datetime
    content_hash: str
    # Key-sorted JSON of the report without its volatile fields: hashed, and kept as the payload.
    canonical_content: bytes
    spool_dropped: int
    _report: InventoryReport | None = field(default=None, repr=False)

    def validated(self) -> InventoryReport:
        """The full report; raises InvalidInput naming every bad field."""
        if self._report is None:
            try:
                self._report = InventoryReport.model_validate(self.document)
            except ValidationError as exc:
                raise validation_error("inventory report failed validation", exc) from None
        return self._report


def parse_inventory(body: bytes) -> ParsedInventory:
    document = load_json_object(body)
    try:
        envelope = _Envelope.model_validate(document)
    except ValidationError as exc:
        raise validation_error("inventory report envelope failed validation", exc) from None
    if envelope.schema_version != INVENTORY_SCHEMA_VERSION:
        raise InvalidInput(
            f"unsupported schema_version {envelope.schema_version}",
            [FieldError("schema_version", f"this collector accepts version {INVENTORY_SCHEMA_VERSION}")],
        )
    spool_dropped = document.get("spool_dropped", 0)
    content = canonical_json({k: v for k, v in document.items() if k not in VOLATILE_FIELDS})
    return ParsedInventory(
        document=document,
        report_id=str(envelope.report_id),
        agent_id=envelope.agent_id,
        collected_at=envelope.collected_at,
        content_hash=hashlib.sha256(content).hexdigest(),
        canonical_content=content,
        spool_dropped=spool_dropped if isinstance(spool_dropped, int) else 0,
    )


def canonical_json(value: Any) -> bytes:
    """Key-sorted compact JSON: equal documents give equal bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def load_json_object(body: bytes) -> dict[str, Any]:
    if not body:
        raise BadRequest("empty request body; expected a JSON object")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as utf8:
            raise BadRequest(f"request body is not valid UTF-8 (byte {utf8.start})") from None
        raise BadRequest(f"malformed JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("request body must be a JSON object")
    return document


def validation_error(message: str, exc: ValidationError, limit: int = 50) -> InvalidInput:
    """Translate pydantic errors into field paths such as ``software.12.name``."""
    fields = [
        FieldError(".".join(str(part) for part in error["loc"]) or "(body)", error["msg"])
        for error in exc.errors(include_url=False, include_input=False)[:limit]
    ]
    return InvalidInput(message, fields)
