"""Query-string parameters shared by the listing endpoints."""

from __future__ import annotations

from flask import request

from collector.errors import FieldError, InvalidInput

__all__ = ["DEFAULT_PER_PAGE", "positive_int"]

DEFAULT_PER_PAGE = 50


def positive_int(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"must be an integer from 1 to {maximum}")])
    return int(raw)
