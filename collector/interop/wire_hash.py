"""Recognising a foreign agent's unchanged inventory from its raw bytes, before any parsing.

Stocktake's own agent gets its unchanged reports recognised by a hash of the raw body with the
volatile values blanked (collector/ingest/parsing.py). Foreign agents need the same, or every
run costs a full XML/JSON parse, validation and conversion only to find nothing changed. Their
bodies hold values that change between two runs of an unchanged machine, found by running the
Debian agents twice (``ocsinventory-agent --local=DIR``, ``fusioninventory-agent --local DIR``)
and diffing:

- ocsinventory-agent 2.10: ``DRIVES/FREE`` and ``HARDWARE/DESCRIPTION`` ("x86_64/<uptime>");
  posting to a server, also ``HARDWARE/CHECKSUM`` (a bit per section changed since its last run,
  which FusionInventory sends only in some runs);
- fusioninventory-agent 2.6: ``ACCESSLOG/LOGDATE``, ``DRIVES/FREE``, ``OPERATINGSYSTEM/BOOT_TIME``,
  ``HARDWARE/ETIME`` (the run's seconds, sent only when at least one), and whole ``PROCESSES``
  and ``ENVS`` entries (their number and order change);
- GLPI agent JSON: ``drives[].free``, ``operatingsystem.boot_time``, ``accesslog.logdate``.

Only what the converters never read is blanked (collector/interop/ocs_xml.py and glpi_json.py
leave these out as volatile), so two bodies with the same wire hash convert to the same
report. The hash is only ever compared with one stored after a body that validated and was
stored (collector/interop/foreign_agents.py), so a hostile body can only match it by being that
body with other blanked values; the blanked values are therefore held to be inert: plain
text (no markup, entity or escape, valid UTF-8, no control characters) of the type the full
path validates, and a body with comments, CDATA, DTDs, processing instructions or NUL never
gets a wire hash at all.

Each hash also covers what the request adds to the converted report outside the body (the
protocol, the agent version from the User-Agent, a device id header), as ``context``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable

from pydantic import TypeAdapter, ValidationError

from collector.interop.glpi_models import Count, DateOrDatetime
from collector.interop.safe_xml import contains_markup

__all__ = ["glpi_wire_hash", "ocs_inventory_key", "ocs_wire_hash"]

_WHITE_SPACE = b" \t\n\r\f\v"  # what \s matches in a bytes pattern
_BLANK = b"\x00"  # never in a body that gets a hash (refused below), so a blank cannot be forged
# XML character data with no markup and no control character; of references only XML's five
# predefined entities (&lt; ... &quot;), which always parse (a numeric one could name NUL).
_TEXT = rb"(?:[^<&\x00-\x08\x0b\x0c\x0e-\x1f]|&(?:lt|gt|amp|apos|quot);){0,4096}"
# A flat element: <TAG>text</TAG> (the back reference keeps start and end tags equal).
_FLAT = rb"\s*<(?P<tag>[A-Z][A-Z0-9_]{0,31})>" + _TEXT + rb"</(?P=tag)>"
# JSON: a plain string (no escapes, no control characters), or a whole non-negative number.
_JSON_STRING = rb'"[^"\\\x00-\x1f]{0,128}"'
_JSON_COUNT = rb"[0-9]{1,19}(?=\s*[,}])"


@dataclass(frozen=True)
class _Rule:
    """Blank group 1 of ``pattern`` wherever it matches (inside ``scope``'s element when set)."""

    pattern: re.Pattern[bytes]
    needle: bytes  # what every match starts with (after white space, for an optional element)
    scope: bytes | None = None
    valid: Callable[[bytes], bool] = lambda value: True
    # Left out altogether (an element sent only sometimes) rather than replaced by a blank.
    optional: bool = False


def _xml_value(tag: bytes, scope: bytes | None = None) -> _Rule:
    return _Rule(re.compile(b"<" + tag + b">(" + _TEXT + b")</" + tag + b">"), b"<" + tag + b">", scope)


def _xml_optional(tag: bytes, scope: bytes) -> _Rule:
    """An element present in some runs only: left out with the white space before it, and only
    after a sibling's end tag or the scope's start tag (never inside an element read as text)."""
    return _Rule(re.compile(b"(<" + tag + b">" + _TEXT + b"</" + tag + b">)"), b"<" + tag + b">", scope, optional=True)


def _xml_entries(tag: bytes) -> _Rule:
    """A run of ``<TAG>`` entries holding flat elements only: their number and order may vary."""
    start, end = b"<" + tag + b">", b"</" + tag + b">"
    # <TAG> (a flat element | </TAG> <TAG>)* </TAG>: one or more entries, each of flat elements.
    return _Rule(re.compile(b"(" + start + b"(?:" + _FLAT + rb"|\s*" + end + rb"\s*" + start + rb")*\s*" + end + b")"),
                 start)


def _validates(adapter: TypeAdapter, convert: Callable[[bytes], object]) -> Callable[[bytes], bool]:
    def valid(value: bytes) -> bool:
        try:
            adapter.validate_python(convert(value))
        except (ValueError, ValidationError):
            return False
        return True

    return valid


_OCS_RULES = (
    _xml_value(b"FREE"),  # DRIVES: free space (never read by ocs_xml)
    # HARDWARE: a bit per section changed since the agent's last run (FusionInventory sends it
    # only sometimes)
    _xml_optional(b"CHECKSUM", scope=b"HARDWARE"),
    _xml_value(b"DESCRIPTION", scope=b"HARDWARE"),  # "x86_64/00-00-00 00:48:08": architecture and uptime
    _xml_value(b"LOGDATE"),  # ACCESSLOG (FusionInventory): this run's time
    _xml_value(b"BOOT_TIME"),  # OPERATINGSYSTEM (FusionInventory)
    _xml_value(b"LASTDATE"),  # HARDWARE (OCS Windows agent): this run's time
    _xml_value(b"DATELASTLOGGEDUSER"),
    _xml_value(b"LASTLOGGEDUSER"),
    _xml_optional(b"ETIME", scope=b"HARDWARE"),  # FusionInventory: the run's seconds, sent when >= 1
    _xml_entries(b"PROCESSES"),
    _xml_entries(b"ENVS"),
)
_GLPI_RULES = (
    _Rule(re.compile(rb'"free"\s*:\s*(' + _JSON_COUNT + rb")"), b'"free"',
          valid=_validates(TypeAdapter(Count), lambda value: int(value))),
    _Rule(re.compile(rb'"boot_time"\s*:\s*(' + _JSON_STRING + rb")"), b'"boot_time"',
          valid=_validates(TypeAdapter(DateOrDatetime), lambda value: value[1:-1].decode())),
    _Rule(re.compile(rb'"logdate"\s*:\s*(' + _JSON_STRING + rb")"), b'"logdate"'),
)


def ocs_wire_hash(body: bytes, context: str, max_elements: int) -> str | None:
    """The wire hash of an OCS/FusionInventory XML body (inflated); None when it cannot have one."""
    if contains_markup(body, b"<!") or contains_markup(body, b"<?", 1) or body.count(b"<") > max_elements:
        return None  # comments, CDATA, DTDs, a late processing instruction; or too many elements to tell
    return _blanked_hash(body, context, _OCS_RULES, _span(body, b"<SOFTWARES>", b"</SOFTWARES>"))


def glpi_wire_hash(body: bytes, context: str) -> str | None:
    """The wire hash of a GLPI agent's JSON message (inflated); None when it cannot have one."""
    return _blanked_hash(body, context, _GLPI_RULES)


def _span(body: bytes, start_tag: bytes, end_tag: bytes) -> tuple[int, int]:
    """From the first ``start_tag`` to the end of the last ``end_tag`` ((0, 0) when there is none)."""
    start, end = body.find(start_tag), body.rfind(end_tag)
    return (start, end + len(end_tag)) if start != -1 and end > start else (0, 0)


def _blanked_hash(body: bytes, context: str, rules: tuple[_Rule, ...], unsearched: tuple[int, int] = (0, 0)) -> str | None:
    """``unsearched``: a span the rules do not look in (OCS's SOFTWARES entries, ~90% of an
    inventory, hold no volatile value). It is hashed as it is, like every byte no rule blanks:
    blanking less never lets two bodies that convert differently share a hash; a body whose
    volatile values sit there only misses the fast path."""
    if _BLANK in body:
        return None
    spans = []
    for rule in rules:
        region = _scope(body, rule.scope, unsearched)
        if region is None:
            return None
        for part in _outside(region, unsearched):
            for match in _matches(body, rule, *part):
                value = match.group(1)
                if not _inert(value) or not rule.valid(value):
                    return None
                start, end = match.span(1)
                if rule.optional:  # with the white space before it, as far back as the scope allows
                    while start > region[0] and body[start - 1] in _WHITE_SPACE:
                        start -= 1
                    if not _after_sibling(body, start, region[0]):
                        return None
                spans.append((start, end, rule.optional))
    spans.sort()
    digest = hashlib.sha256(context.encode("utf-8", "replace") + _BLANK)
    view, position = memoryview(body), 0
    for start, end, optional in spans:
        if start < position:
            return None  # overlapping rules: not expected of any agent; no fast path
        digest.update(view[position:start])
        if not optional:
            digest.update(_BLANK)
        position = end
    digest.update(view[position:])
    return digest.hexdigest()


def _matches(body: bytes, rule: _Rule, start: int, end: int):
    """``rule.pattern.finditer(body, start, end)``, found by the needle (a C substring search)
    instead of the regex engine walking every byte: most rules match a few times in 300 KB."""
    position = body.find(rule.needle, start, end)
    while position != -1:
        match = rule.pattern.match(body, position, end)
        if match is not None:
            yield match
            position = match.end()
        else:
            position += 1
        position = body.find(rule.needle, position, end)


def _outside(region: tuple[int, int], unsearched: tuple[int, int]) -> list[tuple[int, int]]:
    """The parts of ``region`` before and after ``unsearched``."""
    (start, end), (skip_start, skip_end) = region, unsearched
    if skip_start >= skip_end or skip_end <= start or skip_start >= end:
        return [region]
    return [part for part in ((start, skip_start), (skip_end, end)) if part[0] < part[1]]


def _scope(body: bytes, tag: bytes | None, unsearched: tuple[int, int] = (0, 0)) -> tuple[int, int] | None:
    """Where a rule applies: the whole body, or the one ``<tag>`` element's content (None when
    there are several; one inside ``unsearched`` is not counted, nor looked in)."""
    if tag is None:
        return 0, len(body)
    start_tag = b"<" + tag + b">"
    found = [position for start, end in _outside((0, len(body)), unsearched)
             for position in _all(body, start_tag, start, end)]
    if not found:
        return 0, 0
    if len(found) > 1:
        return None
    start = found[0] + len(start_tag)
    end = body.find(b"</" + tag + b">", start)
    return (start, end) if end != -1 else None


def _all(body: bytes, needle: bytes, start: int, end: int) -> list[int]:
    """Every position of ``needle`` in ``body[start:end]``, up to two (enough to tell one from several)."""
    found = []
    position = body.find(needle, start, end)
    while position != -1 and len(found) < 2:
        found.append(position)
        position = body.find(needle, position + 1, end)
    return found


def _after_sibling(body: bytes, start: int, scope_start: int) -> bool:
    """Whether ``start`` follows an end tag (or the scope's start tag) directly: an element there is
    a child of an element that holds elements, whose text no converter reads."""
    if start == scope_start:
        return True
    return body[start - 1:start] == b">" and body[body.rfind(b"<", 0, start) + 1:][:1] == b"/"


def _inert(value: bytes) -> bool:
    """Text that parses as itself wherever the rule found it: UTF-8, and no CDATA end marker."""
    if b"]]>" in value:
        return False
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_OCS_INVENTORY_QUERY = b"<QUERY>INVENTORY</QUERY>"
_OCS_DEVICE_ID = re.compile(rb"<DEVICEID>\s*([\x21-\x25\x27-\x3b\x3d-\x7e](?:[\x20-\x25\x27-\x3b\x3d-\x7e]{0,253}"
                            rb"[\x21-\x25\x27-\x3b\x3d-\x7e])?)\s*</DEVICEID>")


def ocs_inventory_key(body: bytes, protocol: str, agent_version: str | None, glpi_agent_id: str | None,
                      max_elements: int) -> tuple[str, str] | None:
    """(device id, wire hash) of an OCS ``INVENTORY`` request, read without parsing; None when the
    body is anything else or its device id is not plain ASCII (such a body takes the full path).

    ``glpi_agent_id`` is the GLPI-Agent-ID header, which names the device for a GLPI agent in
    XML mode (collector/api/ocs.py does the same after parsing).
    """
    if body.count(_OCS_INVENTORY_QUERY) != 1 or body.count(b"<DEVICEID>") != 1:
        return None
    match = _OCS_DEVICE_ID.match(body, body.find(b"<DEVICEID>"))
    if match is None:
        return None
    device_id = glpi_agent_id if protocol == "glpi" and glpi_agent_id else match.group(1).decode("ascii")
    wire_hash = ocs_wire_hash(body, f"ocs|{protocol}|{agent_version}|{device_id}", max_elements)
    return (device_id, wire_hash) if wire_hash is not None else None
