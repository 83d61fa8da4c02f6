"""Checking what a person submits for a task against the fields the template declares.

Fields are Camunda form fields (``camunda:formData``): id, type (string, long, boolean,
date, enum) and constraints (required, minlength, maxlength, min, max). Every problem is
collected before failing, unknown fields are refused, and the result is plain JSON values
(dates as ISO strings) ready for the task's data.
"""

from __future__ import annotations

from datetime import date

from collector.errors import FieldError, InvalidInput

__all__ = ["validate_form"]

_STRING_MAX = 10_000


def validate_form(fields: list, data: dict) -> dict:
    """The cleaned values for ``fields``, or InvalidInput naming every bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("the form must be a JSON object", [FieldError("data", "must be an object")])
    declared = {f.id: f for f in fields}
    errors = [FieldError(name, "is not a field of this task") for name in data if name not in declared]
    clean = {}
    for field in fields:
        value = data.get(field.id)
        if value is None or value == "":
            if field.get_validation("required") == "true":
                errors.append(FieldError(field.id, "is required"))
            continue
        try:
            clean[field.id] = _convert(field, value)
        except ValueError as exc:
            errors.append(FieldError(field.id, str(exc)))
    if errors:
        raise InvalidInput("invalid form input; nothing was stored", errors)
    return clean


def _convert(field, value):
    kind = field.type or "string"
    if kind == "string":
        if not isinstance(value, str) or "\x00" in value or len(value) > _STRING_MAX:
            raise ValueError("must be text")
        value = value.strip()
        _bounds(len(value), field.get_validation("minlength"), field.get_validation("maxlength"), "characters")
        return value
    if kind == "long":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        _bounds(value, field.get_validation("min"), field.get_validation("max"), "")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat() if isinstance(value, str) and len(value) == 10 else _bad()
        except ValueError:
            raise ValueError("must be a date, YYYY-MM-DD") from None
    if kind == "enum":
        options = [o.id for o in getattr(field, "options", [])]
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value
    raise ValueError(f"has type {kind!r}, which Stocktake does not accept")


def _bad():
    raise ValueError("not a date")


def _bounds(number: int, low: str | None, high: str | None, unit: str) -> None:
    unit = f" {unit}" if unit else ""
    if low is not None and number < int(low):
        raise ValueError(f"must be at least {low}{unit}")
    if high is not None and number > int(high):
        raise ValueError(f"must be at most {high}{unit}")
