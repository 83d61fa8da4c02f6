"""Query-string parameters shared by the listing endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from collector.errors import FieldError, InvalidInput

__all__ = ["DEFAULT_PER_PAGE", "Paging", "paging", "positive_int"]

DEFAULT_PER_PAGE = 50


def positive_int(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"must be an integer from 1 to {maximum}")])
    return int(raw)


@dataclass(frozen=True)
class Paging:
    """The page a listing asked for, and the one envelope every listing answers in."""

    page: int
    per_page: int

    def envelope(self, items: list, total: int) -> dict:
        return {"items": items, "page": self.page, "per_page": self.per_page, "total": total,
                "pages": (total + self.per_page - 1) // self.per_page}


def paging() -> Paging:
    """``page`` and ``per_page`` from the query string (per_page capped by page_size_max)."""
    from collector.extensions import get_config

    per_page = positive_int("per_page", DEFAULT_PER_PAGE, get_config().page_size_max)
    return Paging(page=positive_int("page", 1, 10_000_000), per_page=per_page)
