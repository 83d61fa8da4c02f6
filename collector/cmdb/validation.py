"""Every row of a register checked on its own and against the rest of the file.

All problems are collected before anything is decided, so one pass tells the person fixing
the file every bad row and column. Checks that need the CMDB (relationship targets, serials
recorded elsewhere) are in ``collector.cmdb.planning``.

The key of a row is its asset tag; a row without one is keyed by its serial number. So an
asset tag may appear once per file, and so may the serial of a row without an asset tag.

Columns kept as attributes (``ATTRIBUTE``: a custom field no CI field holds) land in the row's
``attributes`` value, {header: text or None}; planning merges them into the CI's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.cmdb.cells import CellProblem, parse_cell
from collector.cmdb.columns import ATTRIBUTE, FIELDS, IGNORE
from collector.cmdb.mapping import ColumnMapping
from collector.cmdb.reading import Sheet, column_letter
from collector.cmdb.report import RowIssue

__all__ = ["CiRow", "Checked", "check_sheet", "resolve_headers"]

_ATTRIBUTES_MAX, _ATTRIBUTE_HEADER_MAX = 200, 255


@dataclass
class CiRow:
    """One valid row: the parsed value of each mapped column present (None for an empty cell)."""

    row: int
    values: dict[str, object]

    @property
    def asset_tag(self) -> str | None:
        return self.values.get("asset_tag")

    @property
    def serial(self) -> str | None:
        return self.values.get("serial")


@dataclass
class Checked:
    rows: list[CiRow] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # CI field -> the file's header
    # Every asset tag the file names, on good rows and bad: a link to a bad row is not "unknown",
    # and a repeated tag is a duplicate even when its first row had another problem.
    tags: set[str] = field(default_factory=set)
    first_rows: dict[str, int] = field(default_factory=dict)  # casefolded tag -> first row
    attributes: dict[int, str] = field(default_factory=dict)  # column index -> attribute name
    derived: dict[str, int] = field(default_factory=dict)  # field -> index of the column it is read from
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)


def resolve_headers(sheet: Sheet, mapping: ColumnMapping) -> tuple[list[str | None], Checked]:
    """The field of each column (None: ignored), and header problems: unknown, unnamed, repeated, missing."""
    checked = Checked()
    fields: list[str | None] = []
    for index, header in enumerate(sheet.headers):
        target = mapping.field_for(header) if header else None
        if not header:
            checked.errors.append(RowIssue(sheet.header_row, column_letter(index), "column has no header"))
        elif target is None:
            checked.errors.append(RowIssue(sheet.header_row, header, "unknown column; rename it to a known header, "
                                           "or map it to a field or to \"ignore\" in the mapping"))
        elif target == ATTRIBUTE:
            _note_attribute(sheet.header_row, header, index, checked)
            target = None
        elif target != IGNORE and target in checked.headers:
            checked.errors.append(RowIssue(sheet.header_row, header,
                                           f"maps to {target}, like column {checked.headers[target]!r}"))
            target = None
        elif target != IGNORE:
            checked.headers[target] = header
        fields.append(target if target != IGNORE else None)
    if not {"asset_tag", "serial"} & checked.headers.keys():
        checked.errors.append(RowIssue(sheet.header_row, None, "missing column: a register needs an "
                                       "Asset Tag or a Serial Number column to know which CI each row is"))
    checked.derived = {target: fields.index(source) for target, source in mapping.derived.items()
                       if target not in checked.headers and source in checked.headers}
    return fields, checked


def _note_attribute(header_row: int, header: str, index: int, checked: Checked) -> None:
    """Keep a column under its header, or for a repeated one (Snipe-IT's report writes "Address"
    twice) its header and column letter. Each CI holds every kept column, so both are bounded."""
    if len(header) > _ATTRIBUTE_HEADER_MAX:
        checked.errors.append(RowIssue(header_row, column_letter(index), f"a kept column's header is longer than "
                                       f"{_ATTRIBUTE_HEADER_MAX} characters ({len(header)})"))
    elif len(checked.attributes) == _ATTRIBUTES_MAX:
        checked.errors.append(RowIssue(header_row, header, f"more than {_ATTRIBUTES_MAX} columns to keep; "
                                       "map the ones not needed to \"ignore\""))
    else:
        taken = checked.attributes.values()
        checked.attributes[index] = header if header not in taken else f"{header} ({column_letter(index)})"


def check_sheet(sheet: Sheet, mapping: ColumnMapping) -> Checked:
    fields, checked = resolve_headers(sheet, mapping)
    if not {"asset_tag", "serial"} & checked.headers.keys():
        return checked  # every row would repeat the missing-column error
    for number, cells in sheet.rows:
        row = _check_row(number, cells, fields, sheet.headers, mapping, checked)
        if row is not None:
            checked.rows.append(row)
    _check_keys(checked)
    return checked


def _check_row(number: int, cells: list, fields: list[str | None], headers: list[str], mapping: ColumnMapping,
               checked: Checked) -> CiRow | None:
    values: dict[str, object] = {}
    errors_before = len(checked.errors)
    for index, raw in enumerate(cells):
        if index >= len(fields):
            if raw is not None and str(raw).strip():
                checked.errors.append(RowIssue(number, column_letter(index), "value in a column without a header"))
            continue
        name = fields[index]
        if name is None and index in checked.attributes:
            _keep_attribute(number, index, raw, headers, mapping, checked, values)
            continue
        if name is None:
            continue
        try:
            parsed = parse_cell(FIELDS[name].kind, raw, mapping)
        except CellProblem as problem:
            checked.errors.append(RowIssue(number, headers[index], str(problem)))
            continue
        if parsed.warning:
            checked.warnings.append(RowIssue(number, headers[index], parsed.warning))
        values[name] = parsed.value
    if values.get("asset_tag"):
        _note_tag(number, values["asset_tag"], checked)
    _fill_short_row(values, fields, checked)
    if len(checked.errors) > errors_before:
        return None
    for target, index in checked.derived.items():
        _derive(target, cells[index] if index < len(cells) else None, mapping, values)
    row = CiRow(number, values)
    if row.asset_tag is None and row.serial is None:
        column = checked.headers.get("asset_tag") or checked.headers["serial"]
        checked.errors.append(RowIssue(number, column, "needs an asset tag or a usable serial number"))
        return None
    return row


def _fill_short_row(values: dict, fields: list[str | None], checked: Checked) -> None:
    """Missing trailing cells are empty, in the row's fields and its kept columns alike."""
    for name in fields:
        if name is not None:
            values.setdefault(name, None)
    if checked.attributes:
        kept = values.setdefault("attributes", {})
        for attribute in checked.attributes.values():
            kept.setdefault(attribute, None)


def _derive(target: str, raw, mapping: ColumnMapping, values: dict) -> None:
    """A field read from another column: only a clean value counts, anything else leaves it alone."""
    try:
        parsed = parse_cell(FIELDS[target].kind, raw, mapping)
    except CellProblem:
        return
    if parsed.value is not None and parsed.warning is None:
        values[target] = parsed.value


def _keep_attribute(number: int, index: int, raw, headers: list[str], mapping: ColumnMapping, checked: Checked,
                    values: dict) -> None:
    try:
        parsed = parse_cell("attribute", raw, mapping)
    except CellProblem as problem:
        checked.errors.append(RowIssue(number, headers[index], str(problem)))
        return
    values.setdefault("attributes", {})[checked.attributes[index]] = parsed.value


def _note_tag(number: int, tag: str, checked: Checked) -> None:
    """Each asset tag once per file (compared without case: "lt-1" and "LT-1" are one typo apart)."""
    checked.tags.add(tag)
    first = checked.first_rows.setdefault(tag.casefold(), number)
    if first != number:
        checked.errors.append(RowIssue(number, checked.headers["asset_tag"],
                                       f"duplicate asset tag {tag!r} (also on row {first})"))


def _check_keys(checked: Checked) -> None:
    """Each serial-keyed row's serial once; a serial on several tagged rows is a warning."""
    serial_keys: dict[str, int] = {}
    serial_rows: dict[str, int] = {}
    for row in checked.rows:
        if row.asset_tag is None and row.serial is not None:
            first = serial_keys.setdefault(row.serial.casefold(), row.row)
            if first != row.row:
                checked.errors.append(RowIssue(row.row, checked.headers["serial"],
                                               f"duplicate serial {row.serial!r} in rows without an asset tag "
                                               f"(also on row {first})"))
        if row.serial is not None:
            first = serial_rows.setdefault(row.serial.casefold(), row.row)
            if first != row.row and row.asset_tag is not None:
                checked.warnings.append(RowIssue(row.row, checked.headers["serial"],
                                                 f"serial {row.serial!r} is also on row {first}"))
    bad = {issue.row for issue in checked.errors}
    checked.rows = [row for row in checked.rows if row.row not in bad]
