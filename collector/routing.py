"""URL converters for database ids: an id the database cannot hold is a 404, never a 500.

Werkzeug's ``int`` converter accepts any number of digits, and an id past the column's range
reaches the database as an overflow error (PostgreSQL: "integer out of range", a 500). The
``int`` converter is replaced by one bounded to BIGINT (ids of BigInteger tables; SQLite's
INTEGER is 64-bit too), and ``id32`` serves tables whose ids are INTEGER (int4 on PostgreSQL).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

__all__ = ["ID32_MAX", "ID64_MAX", "init_app"]

ID64_MAX = 2**63 - 1
ID32_MAX = 2**31 - 1


class DatabaseId(IntegerConverter):
    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = ID64_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class DatabaseId32(DatabaseId):
    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = ID32_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Install the converters; before any blueprint is registered, since rules bind them when added."""
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["id32"] = DatabaseId32
