"""Reading query-string and form values for the web pages: bounded, with clear errors."""

from __future__ import annotations

from flask import request

from collector.errors import FieldError, InvalidInput

__all__ = ["choice", "form_int", "page_number", "text"]


def text(name: str, limit: int = 255) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > limit:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"at most {limit} characters")])
    return value or None


def choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"must be one of {', '.join(allowed)}")])
    return value


def page_number(name: str = "page", maximum: int = 100_000) -> int:
    raw = request.args.get(name, "1")
    # isascii: "²".isdigit() is true, and int("²") raises.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or not 1 <= int(raw) <= maximum:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"must be a number from 1 to {maximum}")])
    return int(raw)


def form_int(name: str, optional: bool = False) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw and optional:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("invalid form", [FieldError(name, "must be a number")])
    return int(raw)
