"""A site's column mapping: its own header names, date format and class/status words.

The same document is read from a TOML or JSON file (``--mapping FILE``) or from the API's
``mapping`` parameter (JSON)::

    date_format = "%d/%m/%Y"        # accepted besides ISO 8601 (YYYY-MM-DD)

    [columns]                       # file header -> CI field, or "ignore"
    "Inventory #" = "asset_tag"
    "Comments" = "ignore"

    [classes]                       # extra spellings of a CI class
    "Notebook PC" = "computer"

    [statuses]                      # extra spellings of a status
    "Live" = "deployed"

    unknown_columns = "keep"        # "error" (the default), "keep" or "ignore"

Headers the mapping does not name fall back to the default spellings of
``collector.cmdb.columns``; mapping a header to ``"ignore"`` skips that column, and to
``"attribute"`` keeps it on the CI under its header (``cis.attributes``), as ``unknown_columns =
"keep"`` does for every header nothing else claims.

A preset (``collector.cmdb.presets``) is a mapping for another tool's export, with a few knobs a
mapping file does not set: a class for unknown categories, thousands separators in amounts, the
tool's own formula escape, and a reader for its status spellings. A site's mapping file is laid
over the preset (``ColumnMapping.overlay``): its columns, classes and statuses win.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from collector.cmdb.columns import (
    ATTRIBUTE,
    CLASS_SPELLINGS,
    DEFAULT_HEADERS,
    FIELDS,
    IGNORE,
    STATUS_SPELLINGS,
    header_key,
    value_key,
)
from collector.errors import FieldError, InvalidInput
from collector.models.cmdb import CI_CLASSES, CI_STATUSES

__all__ = ["UNKNOWN_COLUMNS", "ColumnMapping", "StatusReader", "load_mapping", "mapping_from_json", "parse_mapping"]

_KEYS = ("columns", "date_format", "classes", "statuses", "unknown_columns")
UNKNOWN_COLUMNS = ("error", "keep", "ignore")
# A preset's status reader: (cell text, the plain lookup) -> a CI status, or None.
StatusReader = Callable[[str, Callable[[str], "str | None"]], "str | None"]
_PROBE_DATE = date(2031, 12, 25)  # day, month and year all distinct, so a format must keep each


@dataclass(frozen=True)
class ColumnMapping:
    columns: dict[str, str] = field(default_factory=dict)  # header_key -> field, IGNORE or ATTRIBUTE
    date_format: str | None = None
    classes: dict[str, str] = field(default_factory=dict)  # value_key -> CI class
    statuses: dict[str, str] = field(default_factory=dict)  # value_key -> CI status
    unknown_columns: str | None = None  # None: "error"
    # Set by presets only (collector.cmdb.presets):
    class_fallback: str | None = None  # the class of an unknown category, with a warning
    money_grouping: bool = False  # amounts may carry thousands separators or a decimal comma
    formula_escape: str | None = None  # the exporter's own escape before = + - @ (Snipe-IT: `)
    status_reader: StatusReader | None = field(default=None, compare=False)
    # field -> the field it is read from when the file has no column of its own: GLPI's computer
    # Name is its host name ({"hostname": "name"}); a value that does not parse is left out.
    derived: dict[str, str] = field(default_factory=dict)

    def field_for(self, header: str) -> str | None:
        """The field a header names (IGNORE to skip it, ATTRIBUTE to keep it), or None when
        nothing claims it and unknown columns are errors."""
        key = header_key(header)
        found = self.columns.get(key) or DEFAULT_HEADERS.get(key)
        if found is None and self.unknown_columns == "keep":
            return ATTRIBUTE
        if found is None and self.unknown_columns == "ignore":
            return IGNORE
        return found

    def ci_class(self, value: str) -> str | None:
        key = value_key(value)
        return self.classes.get(key) or CLASS_SPELLINGS.get(key)

    def ci_status(self, value: str) -> str | None:
        found = self._status(value)
        if found is None and self.status_reader is not None:
            found = self.status_reader(value, self._status)
        return found

    def _status(self, value: str) -> str | None:
        key = value_key(value)
        return self.statuses.get(key) or STATUS_SPELLINGS.get(key)

    def overlay(self, site: ColumnMapping | None) -> ColumnMapping:
        """This mapping (a preset's) with a site's mapping file on top: the site's names win."""
        if site is None:
            return self
        return replace(self, columns={**self.columns, **site.columns}, classes={**self.classes, **site.classes},
                       statuses={**self.statuses, **site.statuses}, date_format=site.date_format or self.date_format,
                       unknown_columns=site.unknown_columns or self.unknown_columns)


def parse_mapping(document: Mapping, origin: str = "mapping") -> ColumnMapping:
    """Check a mapping document and build it; every problem is named at once."""
    problems = [FieldError(f"{origin}.{key}", f"unknown key; use {', '.join(_KEYS)}") for key in document if key not in _KEYS]
    columns = _table(document, "columns", origin, problems, (*FIELDS, IGNORE, ATTRIBUTE), header_key)
    classes = _table(document, "classes", origin, problems, CI_CLASSES, value_key)
    statuses = _table(document, "statuses", origin, problems, CI_STATUSES, value_key)
    date_format = document.get("date_format")
    if date_format is not None and not _usable_date_format(date_format):
        problems.append(FieldError(f"{origin}.date_format",
                                   "must be a strptime format with day, month and year, such as %d/%m/%Y"))
    unknown_columns = document.get("unknown_columns")
    if unknown_columns is not None and unknown_columns not in UNKNOWN_COLUMNS:
        problems.append(FieldError(f"{origin}.unknown_columns", f"must be one of {', '.join(UNKNOWN_COLUMNS)}"))
    if problems:
        raise InvalidInput("invalid column mapping", problems)
    return ColumnMapping(columns=columns, date_format=date_format, classes=classes, statuses=statuses,
                         unknown_columns=unknown_columns)


def _table(document: Mapping, name: str, origin: str, problems: list[FieldError], allowed, key) -> dict[str, str]:
    table = document.get(name, {})
    if not isinstance(table, Mapping):
        problems.append(FieldError(f"{origin}.{name}", "must be a table of name = value"))
        return {}
    result = {}
    for spelling, target in table.items():
        if not isinstance(target, str) or target not in allowed:
            problems.append(FieldError(f"{origin}.{name}.{spelling}", f"{target!r} is not one of {', '.join(allowed)}"))
        elif not key(spelling):
            problems.append(FieldError(f"{origin}.{name}.{spelling}", "an empty name matches nothing"))
        else:
            result[key(spelling)] = target
    return result


def _usable_date_format(value) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        return datetime.strptime(_PROBE_DATE.strftime(value), value).date() == _PROBE_DATE
    except ValueError:
        return False


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file: ``.toml`` or ``.json``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read mapping file {path}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return mapping_from_json(raw, str(path))
    if suffix != ".toml":
        raise InvalidInput(f"mapping file {path} must end in .toml or .json")
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"mapping file {path} is not valid TOML: {exc}") from None
    return parse_mapping(document, path.name)


def mapping_from_json(raw: str | bytes, origin: str = "mapping") -> ColumnMapping:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{origin} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{origin} must be a JSON object")
    return parse_mapping(document, origin)
