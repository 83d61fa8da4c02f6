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
    if request.content_length is not None and request.content_length > max_wire_bytes:
        raise PayloadTooLarge(f"request body exceeds {max_wire_bytes} bytes")
    wire = read_capped(request.stream, max_wire_bytes)
    if encoding == "gzip":
        return UploadBody(raw=_gunzip_capped(wire, max_body_bytes), gzip_wire=wire)
    if len(wire) > max_body_bytes:
        raise PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    return UploadBody(raw=wire, gzip_wire=None)


def read_capped(stream, limit: int) -> bytes:
    """The whole stream, refusing (413) once it passes ``limit`` bytes."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes")
        chunks.append(chunk)


def _gunzip_capped(data: bytes, limit: int) -> bytes:
    return inflate_capped(data, limit, wbits=16 + zlib.MAX_WBITS, label="gzip")


def inflate_capped(data: bytes, limit: int, wbits: int, label: str) -> bytes:
    """Inflate ``data`` (gzip: wbits 16+15, zlib RFC 1950: 15) to at most ``limit`` bytes.

    ``max_length`` keeps each step's output bounded, so a bomb stops at the cap instead of
    filling the worker's memory; the stream must end exactly where the data does.
    """
    inflater = zlib.decompressobj(wbits=wbits)
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
        raise BadRequest(f"body is not valid {label}: {exc}") from None
    if not inflater.eof:
        raise BadRequest(f"{label} body is truncated")
    if inflater.unused_data:
        raise BadRequest(f"unexpected bytes after the {label} stream")
    return b"".join(out)
