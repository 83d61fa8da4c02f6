"""Parsing an inventory upload: content hash first, then JSON, envelope and validation.

Most uploads repeat the agent's last report under a new report id. The content hash is
therefore taken over the raw body with the values of the volatile fields (report id,
collection time, spool drop count) blanked, found by exact byte search: when it equals the
agent's last hash, the body is byte-for-byte a report that was fully validated before,
so only the two new values are checked and the 220 KiB JSON is not parsed at all.
Anything else (a changed report, or a body where those keys are ambiguous) is parsed,
its envelope checked, and validated in full before it is stored.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from collector.errors import BadRequest, FieldError, InvalidInput
from common.schema import INVENTORY_SCHEMA_VERSION, MAX_SOFTWARE_ITEMS, Int32, InventoryReport, ShortText, UtcDatetime

__all__ = ["ParsedInventory", "canonical_json", "load_json_object", "parse_inventory", "validation_error"]

# Fields that differ between two reports of an unchanged machine.
VOLATILE_FIELDS = frozenset({"report_id", "collected_at", "spool_dropped"})
_STRING_VALUE = re.compile(rb'\s*:\s*"([^"\\]{0,64})"')
# A whole JSON integer (3e9, 1.0 or an overlong number take the full parse, which names them).
_INT_VALUE = re.compile(rb"\s*:\s*(\d{1,20})(?=\s*[,}])")
_VOLATILE_KEYS = ((b'"report_id"', _STRING_VALUE, True), (b'"collected_at"', _STRING_VALUE, True),
                  (b'"spool_dropped"', _INT_VALUE, False))
_UTC = TypeAdapter(UtcDatetime)
_SPOOL_DROPPED = TypeAdapter(Int32)


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_version: int
    report_id: uuid.UUID
    agent_id: ShortText
    collected_at: UtcDatetime
    # Validated here too: an unchanged report is stored without the full model (issue 16).
    spool_dropped: Int32 = 0


@dataclass
class ParsedInventory:
    body: bytes
    report_id: str
    collected_at: datetime
    content_hash: str
    spool_dropped: int
    # None when the body was recognised as the agent's last content and never parsed.
    agent_id: str | None
    # The upload as gzip, when it arrived so: stored as the observation's payload as-is.
    gzip_wire: bytes | None = None
    _document: dict[str, Any] | None = field(default=None, repr=False)
    _report: InventoryReport | None = field(default=None, repr=False)

    @property
    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = load_json_object(self.body)
        return self._document

    def validated(self) -> InventoryReport:
        """The full report; raises InvalidInput naming every bad field."""
        if self._report is None:
            try:
                self._report = InventoryReport.model_validate(self.document)
            except ValidationError as exc:
                raise validation_error("inventory report failed validation", exc) from None
        return self._report

    def adopt_validated(self, report: InventoryReport) -> None:
        """Take ``report`` as this body's validation: the caller validated the very document this
        body was serialised from (a foreign agent's first report, collector/interop/), so the
        ~1,500 packages are not validated twice."""
        self._report = report

    def validated_subset(self, software_indices: list[int]) -> InventoryReport:
        """The report validated with only these software entries (the others were validated
        before, identical, in the previous report); its ``software`` holds just those."""
        software = self.document.get("software")
        if not isinstance(software, list) or len(software) > MAX_SOFTWARE_ITEMS:
            return self.validated()  # let the full validation name the problem
        subset = {**self.document, "software": [software[i] for i in software_indices]}
        try:
            return InventoryReport.model_validate(subset)
        except ValidationError as exc:
            error = validation_error("inventory report failed validation", exc)
            raise InvalidInput(error.message, [_renumber(f, software_indices) for f in error.fields]) from None

    def payload(self) -> bytes:
        """The report as received, gzip-compressed (the agent's own bytes when it sent gzip)."""
        return self.gzip_wire if self.gzip_wire is not None else gzip.compress(self.body, 1, mtime=0)


def parse_inventory(body: bytes, known_hash: str | None = None, gzip_wire: bytes | None = None,
                    document: dict[str, Any] | None = None) -> ParsedInventory:
    """Parse an upload; ``known_hash`` is the agent's last content hash (the fast path).
    ``document``: the dict ``body`` was serialised from (a converted foreign report), taken
    instead of parsing the body again."""
    found = _volatile_values(body)
    if found is not None:
        content_hash, values = found
        if content_hash == known_hash:
            quick = _quick_envelope(body, content_hash, values, gzip_wire)
            if quick is not None:
                return quick
    if document is None:
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
    if found is None:
        # Volatile keys ambiguous in the raw bytes (e.g. a package literally named
        # "report_id"): hash the key-sorted document without them instead.
        content = {k: v for k, v in document.items() if k not in VOLATILE_FIELDS}
        content_hash = hashlib.sha256(b"canonical:" + canonical_json(content)).hexdigest()
    return ParsedInventory(
        body=body,
        report_id=str(envelope.report_id),
        collected_at=envelope.collected_at,
        content_hash=content_hash,
        spool_dropped=envelope.spool_dropped,
        agent_id=envelope.agent_id,
        gzip_wire=gzip_wire,
        _document=document,
    )



def _volatile_values(body: bytes) -> tuple[str, dict[bytes, bytes]] | None:
    """The raw-body content hash and the volatile values, or None when a key is ambiguous."""
    spans, values = [], {}
    for key, pattern, required in _VOLATILE_KEYS:
        count = body.count(key)
        if count == 0 and not required:
            continue
        if count != 1:
            return None
        match = pattern.match(body, body.find(key) + len(key))
        if match is None:
            return None
        spans.append(match.span(1))
        values[key] = match.group(1)
    digest = hashlib.sha256()
    view, position = memoryview(body), 0
    for start, end in sorted(spans):
        digest.update(view[position:start])
        position = end
    digest.update(view[position:])
    return digest.hexdigest(), values


def _quick_envelope(body: bytes, content_hash: str, values: dict[bytes, bytes], gzip_wire: bytes | None) -> ParsedInventory | None:
    """Check the new report id and time of a body otherwise identical to a validated one."""
    try:
        report_id = uuid.UUID(values[b'"report_id"'].decode("ascii"))
        collected_at = _UTC.validate_python(values[b'"collected_at"'].decode("ascii"))
        spool_dropped = _SPOOL_DROPPED.validate_python(int(values.get(b'"spool_dropped"', b"0")))
    except (ValueError, UnicodeDecodeError, ValidationError):
        return None  # let the full parse name the problem
    return ParsedInventory(
        body=body,
        report_id=str(report_id),
        collected_at=collected_at,
        content_hash=content_hash,
        spool_dropped=spool_dropped,
        agent_id=None,
        gzip_wire=gzip_wire,
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


def _renumber(error: FieldError, indices: list[int]) -> FieldError:
    """Map ``software.<i>`` in a subset's error back to the entry's position in the report."""
    parts = error.field.split(".")
    if len(parts) > 1 and parts[0] == "software" and parts[1].isdigit():
        parts[1] = str(indices[int(parts[1])])
    return FieldError(".".join(parts), error.message)


def validation_error(message: str, exc: ValidationError, limit: int = 50) -> InvalidInput:
    """Translate pydantic errors into field paths such as ``software.12.name``."""
    fields = [
        FieldError(".".join(str(part) for part in error["loc"]) or "(body)", error["msg"])
        for error in exc.errors(include_url=False, include_input=False)[:limit]
    ]
    return InvalidInput(message, fields)
