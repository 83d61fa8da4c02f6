"""Reading upload bodies with hard caps, before and after decompression.

The wire bytes are read in chunks up to ``max_wire_bytes`` (this also bounds chunked
uploads that send no Content-Length); gzip is inflated incrementally with
``max_length`` so that a gzip bomb stops at ``max_body_bytes`` of output instead of
filling the worker's memory.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from flask import Request

from collector.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

__all__ = ["UploadBody", "inflate_capped", "read_capped", "read_json_body"]

READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadBody:
    """The decompressed JSON, and the gzip bytes as they came off the wire (if gzipped)."""

    raw: bytes
    gzip_wire: bytes | None


def read_json_body(request: Request, max_wire_bytes: int, max_body_bytes: int) -> UploadBody:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(f"unsupported Content-Encoding {encoding!r}; use gzip or none")
    wire = read_capped(request, max_wire_bytes)
    if encoding == "gzip":
        return UploadBody(raw=inflate_capped(wire, max_body_bytes, "gzip"), gzip_wire=wire)
    if len(wire) > max_body_bytes:
        raise PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    return UploadBody(raw=wire, gzip_wire=None)


def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (with or without Content-Length)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes")
    chunks, total = [], 0
    while True:
        chunk = request.stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes")
        chunks.append(chunk)


# zlib's window bits per container: RFC 1952 gzip, RFC 1950 zlib (what OCS and GLPI agents send).
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "zlib": zlib.MAX_WBITS}


def inflate_capped(data: bytes, limit: int, container: str = "gzip") -> bytes:
    """Decompress a gzip or zlib stream, stopping at ``limit`` bytes of output (a bomb is a 413)."""
    inflater = zlib.decompressobj(wbits=_WBITS[container])
    out, total = [], 0
    try:
        while data:
            piece = inflater.decompress(data, limit + 1 - total)
            total += len(piece)
            if total > limit:
                raise PayloadTooLarge(f"decompressed body exceeds {limit} bytes")
            out.append(piece)
            data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise BadRequest(f"body is not valid {container}: {exc}") from None
    if not inflater.eof:
        raise BadRequest(f"{container} body is truncated")
    if inflater.unused_data:
        raise BadRequest(f"unexpected bytes after the {container} stream")
    return b"".join(out)
