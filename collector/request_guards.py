"""Checks every request passes before a view runs.

PostgreSQL text cannot hold a NUL character: a query-string or form value carrying one reached
a SELECT as a 500 ("PostgreSQL text fields cannot contain NUL"), found by the API fuzz test on
the SAM routes. No field of Stocktake's means anything with NUL in it, so it is refused for every
route at once, as a 422 naming the field, instead of in each parser."""

from __future__ import annotations

from flask import request

from collector.errors import FieldError, InvalidInput

__all__ = ["refuse_nul_characters"]

_FORM = "application/x-www-form-urlencoded"


def refuse_nul_characters() -> None:
    bad = [name for name, value in request.args.items(multi=True) if "\x00" in name or "\x00" in value]
    if request.mimetype == _FORM:
        bad += [name for name, value in request.form.items(multi=True) if "\x00" in name or "\x00" in value]
    if bad:
        fields = [FieldError(name.replace("\x00", "\\0")[:64], "must not contain NUL characters")
                  for name in dict.fromkeys(bad)]
        raise InvalidInput("invalid request", fields)
