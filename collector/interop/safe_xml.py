"""Reading XML from foreign agents without trusting it.

Foreign agents (OCS Inventory, FusionInventory, a GLPI agent in XML mode) post XML that is
often zlib-compressed (RFC 1950). Everything here is bounded before it can cost memory:

- the wire bytes are read up to a cap, then inflated incrementally up to a second cap
  (a zlib bomb stops at the cap, see ``collector.api.body.inflate_capped``);
- a document with a DOCTYPE goes through defusedxml with DTDs, entity declarations and
  external references forbidden (billion laughs, XXE, external DTDs); one without cannot
  declare an entity and is built by ElementTree's C parser; either way the element count and
  depth are bounded (``parse_xml``);
- values are read with ``child_text``/``child_int``, which refuse an element where text
  is expected and name the field (``CONTENT.HARDWARE.MEMORY``) in the error.

Every failure is a ``BadRequest`` (400) or ``PayloadTooLarge`` (413): nothing here can
raise anything else for any input.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pyexpat import ExpatError
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from collector.api.body import inflate_capped, read_capped
from collector.errors import BadRequest, FieldError, PayloadTooLarge

__all__ = [
    "XmlLimits",
    "as_int",
    "child_int",
    "child_text",
    "contains_markup",
    "decode_body",
    "element_text",
    "parse_xml",
    "read_xml_body",
]

# Parsing is fed in slices so that a limit stops the parser early, not after the whole body.
_FEED_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_DOCTYPE = b"<!DOCTYPE"
# ASCII digits only: int() would also take "1_000" and other scripts' digits.
_INTEGER = re.compile(r"-?[0-9]{1,19}")


@dataclass(frozen=True)
class XmlLimits:
    """Caps for one XML upload. OCS inventories nest four levels deep (REQUEST/CONTENT/
    SOFTWARES/NAME) and FusionInventory's network inventory about eight; a Windows machine
    with 3,000 programs is ~40,000 elements."""

    max_wire_bytes: int
    max_inflated_bytes: int
    max_depth: int = 32
    max_elements: int = 250_000


def read_xml_body(stream, limits: XmlLimits, content_length: int | None = None) -> bytes:
    """The request's XML bytes: read capped, then inflated (zlib or gzip) capped."""
    if content_length is not None and content_length > limits.max_wire_bytes:
        raise PayloadTooLarge(f"request body exceeds {limits.max_wire_bytes} bytes")
    return decode_body(read_capped(stream, limits.max_wire_bytes), limits.max_inflated_bytes)


def decode_body(wire: bytes, max_inflated_bytes: int) -> bytes:
    """Plain XML as is; zlib (RFC 1950) or gzip inflated up to ``max_inflated_bytes``.

    Agents label compressed bodies inconsistently (OCS sends ``application/x-compress`` for
    zlib, and for gzip when Compress::Zlib is missing), so the bytes decide, not the header.
    """
    if not wire:
        raise BadRequest("empty request body; expected XML")
    if wire.startswith(_GZIP_MAGIC):
        return inflate_capped(wire, max_inflated_bytes, wbits=16 + zlib.MAX_WBITS, label="gzip")
    if _is_zlib_header(wire):
        return inflate_capped(wire, max_inflated_bytes, wbits=zlib.MAX_WBITS, label="zlib")
    if len(wire) > max_inflated_bytes:
        raise PayloadTooLarge(f"request body exceeds {max_inflated_bytes} bytes")
    return wire


def _is_zlib_header(data: bytes) -> bool:
    """RFC 1950 section 2.2: CM = 8 (deflate), CINFO <= 7, and (CMF*256 + FLG) % 31 == 0."""
    if len(data) < 2:
        return False
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0


class _LimitExceeded(Exception):
    pass


class _BoundedTreeBuilder(TreeBuilder):
    """A TreeBuilder that counts depth and elements as the parser reports them."""

    def __init__(self, max_depth: int, max_elements: int) -> None:
        super().__init__()
        self._max_depth, self._max_elements = max_depth, max_elements
        self._depth = self._elements = 0

    def start(self, tag, attrs):
        self._depth += 1
        self._elements += 1
        if self._depth > self._max_depth:
            raise _LimitExceeded(f"XML nesting deeper than {self._max_depth} levels")
        if self._elements > self._max_elements:
            raise _LimitExceeded(f"XML has more than {self._max_elements} elements")
        return super().start(tag, attrs)

    def end(self, tag):
        self._depth -= 1
        return super().end(tag)


def parse_xml(data: bytes, max_depth: int = 32, max_elements: int = 250_000) -> Element:
    """The document's root element; DTDs, entities and external references are refused.

    Most documents take the direct way: the element count is bounded beforehand by the count
    of ``<`` bytes, and the depth checked on the finished tree. A direct body without a
    document type declaration is built by ElementTree's C parser (no DTD: no entity can be
    declared, so there is nothing for defusedxml to refuse; ~3 ms for an 8,000-element OCS
    inventory); one with a DOCTYPE goes through defusedxml's parser, which refuses it, driving
    the C TreeBuilder from its expat callbacks. A body with NUL bytes (UTF-16) or more ``<``
    than allowed elements is built by defusedxml's parser and a counting TreeBuilder that stops
    at either limit as the parser reaches it.
    """
    try:
        # Without NUL bytes the encoding is ASCII-compatible (pyexpat takes only 8-bit codecs
        # beside UTF-16), so every element starts with a 0x3C byte.
        if b"\x00" not in data and data.count(b"<") <= max_elements:
            root = _parse_direct(data)
            if _deeper_than(root, max_depth):
                raise _LimitExceeded(f"XML nesting deeper than {max_depth} levels")
            return root
        return _parse_counting(data, max_depth, max_elements)
    except _LimitExceeded as exc:
        raise BadRequest(str(exc)) from None
    except DefusedXmlException as exc:
        # DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden: refused, never resolved.
        raise BadRequest(f"XML refused: {type(exc).__name__}") from None
    except (ParseError, ExpatError) as exc:
        raise BadRequest(f"malformed XML: {exc}") from None
    except (ValueError, LookupError) as exc:  # an unknown or impossible declared encoding
        raise BadRequest(f"malformed XML: {exc}") from None


def _deeper_than(root: Element, max_depth: int) -> bool:
    """Whether an element lies more than ``max_depth`` levels down (the root is level 1): one
    list per level, of the elements that have children (~2.5x faster than ElementPath's
    ``*/*/...``, which steps a generator per element per level; leaves, most of an
    inventory, are never listed)."""
    level = [root] if len(root) else []  # the elements of this level that have children
    for _ in range(1, max_depth):
        if not level:
            return False
        level = [child for element in level for child in element if len(child)]
    return bool(level)


def _defused_parser(builder: TreeBuilder) -> DefusedXMLParser:
    return DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def _parse_direct(data: bytes) -> Element:
    if not contains_markup(data, _DOCTYPE):
        # No document type declaration, so no entity can be declared: nothing defusedxml guards
        # against can occur, and ElementTree's C parser (expat driven from C, no call per element
        # through Python's argument tuples) builds the tree about a third faster. The bytes are
        # ASCII-compatible here (no NUL), and every encoding expat reads then spells the
        # declaration with these bytes; a body that has them anywhere, even in a comment, takes
        # defusedxml's parser below, which refuses a real one.
        parser = XMLParser()
        parser.feed(data)
        return parser.close()
    builder = TreeBuilder()
    expat = _defused_parser(builder).parser  # defusedxml's handlers for DTDs and entities stay installed
    expat.ordered_attributes = False
    expat.StartElementHandler, expat.EndElementHandler = builder.start, builder.end
    expat.CharacterDataHandler = builder.data
    view = memoryview(data)
    for start in range(0, len(data), _FEED_CHUNK):
        expat.Parse(bytes(view[start:start + _FEED_CHUNK]), False)
    expat.Parse(b"", True)
    return builder.close()


def contains_markup(data: bytes, marker: bytes, start: int = 0) -> bool:
    """Whether ``marker`` (``<`` and a byte rare in XML bodies, such as ``<!`` or ``<?``) occurs
    at or after ``start``. Found by that second byte (one memchr over a body that rarely has
    any) rather than by the whole needle, whose search stops at every ``<`` of an XML body
    (~0.25 ms per 300 KB)."""
    rare = marker[1:2]
    position = data.find(rare, start + 1)
    while position != -1:
        if data.startswith(marker, position - 1):
            return True
        position = data.find(rare, position + 1)
    return False


def _parse_counting(data: bytes, max_depth: int, max_elements: int) -> Element:
    parser = _defused_parser(_BoundedTreeBuilder(max_depth, max_elements))
    view = memoryview(data)
    for start in range(0, len(data), _FEED_CHUNK):
        parser.feed(bytes(view[start:start + _FEED_CHUNK]))
    return parser.close()


def child_text(parent: Element, tag: str, field: str, max_length: int = 1024) -> str | None:
    """The stripped text of ``parent``'s child ``tag`` (None when absent or empty).

    ``field`` names the value in errors. A child holding elements, repeated children and
    text longer than ``max_length`` are refused rather than guessed at.
    """
    found = parent.findall(tag)
    if not found:
        return None
    if len(found) > 1:
        raise _field_error(field, "appears more than once")
    return element_text(found[0], field, max_length)


def element_text(element: Element, field: str, max_length: int = 1024) -> str | None:
    """``child_text``'s checks on an element already found (None when empty)."""
    if len(element):
        raise _field_error(field, "must be text, not nested elements")
    text = (element.text or "").strip()
    if len(text) > max_length:
        raise _field_error(field, f"longer than {max_length} characters")
    return text or None


def child_int(parent: Element, tag: str, field: str, minimum: int = 0, maximum: int = 2**63 - 1) -> int | None:
    """``child_text`` as a whole number within [minimum, maximum] (None when absent or empty)."""
    return as_int(child_text(parent, tag, field, max_length=32), field, minimum, maximum)


def as_int(text: str | None, field: str, minimum: int = 0, maximum: int = 2**63 - 1) -> int | None:
    """A whole number in ASCII digits within [minimum, maximum]; None stays None."""
    if text is None:
        return None
    if not _INTEGER.fullmatch(text):
        raise _field_error(field, f"must be a whole number, got {text[:32]!r}")
    value = int(text)
    if not minimum <= value <= maximum:
        raise _field_error(field, f"must be between {minimum} and {maximum}")
    return value


def _field_error(field: str, message: str) -> BadRequest:
    return BadRequest(f"{field} {message}", [FieldError(field, message)])
