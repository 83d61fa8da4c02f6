"""One register cell to a stored value, or the reason it cannot be stored.

Identifiers go through ``common.identity`` so the CMDB holds exactly what agents and
scanners report (reconciliation compares like with like). A placeholder serial or UUID
("To be filled by O.E.M.", all zeros) identifies nothing: it is stored empty with a warning,
not refused, because the rest of the row is still good register data.

Cells that are, or look like, spreadsheet formulas are refused: ``=HYPERLINK(...)`` or
``=cmd|...`` in a register is either a mistake or an attack on whoever opens the export
(OWASP "CSV injection"). A value the exporter escaped with a leading apostrophe
(``'=literal``) is text and comes back without the apostrophe.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from collector.cmdb.mapping import ColumnMapping
from collector.cmdb.reading import CellError, Formula
from collector.models.cmdb import CI_CLASSES, CI_STATUSES
from common.identity import normalize_hostname, normalize_mac, normalize_serial, normalize_uuid

__all__ = ["CellProblem", "FORMULA_PREFIXES", "Parsed", "looks_like_formula", "parse_cell"]

# Characters a spreadsheet may evaluate at the start of a cell (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# "=..." always; "+", "-" or "@" unless only a signed number follows ("-5", "+44 20 7946 0000").
_FORMULA = re.compile(r"^(=|[+\-@](?![\d.\s]*$))")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HOSTNAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$")
_MONEY = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_GROUP_SPACES = re.compile(r"[\s\u00a0\u202f']")  # 1 234.56, 1'234.56
_COMMA_GROUPS = re.compile(r"^\d{1,3}(,\d{3})+$")
_DOT_GROUPS = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")  # 1.234.567 ("1.234" stays ambiguous)
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")
_MAC_SPLIT = re.compile(r"[;,\s]+")
_TEXT_MAX, _NOTES_MAX, _ATTRIBUTE_MAX = 255, 10_000, 2_000
_YEARS = range(1970, 2101)


_FIRST_SUSPECTS = frozenset("'=+-@")


class CellProblem(ValueError):
    """The cell's value cannot be stored; the message says why, for the person fixing the file."""


@dataclass(frozen=True)
class Parsed:
    value: object
    warning: str | None = None


_EMPTY = Parsed(None)


def looks_like_formula(text: str) -> bool:
    return bool(_FORMULA.match(text.lstrip()))


def parse_cell(kind: str, raw: object, mapping: ColumnMapping) -> Parsed:
    """Parse a cell of ``kind`` (see ``collector.cmdb.columns``); an empty cell is ``Parsed(None)``."""
    if raw is None or raw == "":
        return _EMPTY
    if type(raw) is str:  # most cells: skip the checks for XLSX-native values
        if mapping.formula_escape and raw.startswith(mapping.formula_escape):
            raw = _foreign_escape(raw, mapping.formula_escape)
        text = _text(raw)
        return _PARSERS[kind](text, mapping) if text is not None else _EMPTY
    if isinstance(raw, Formula):
        raise CellProblem(f"formula not allowed: {_clip(raw.text)}; paste the value instead")
    if isinstance(raw, CellError):
        raise CellProblem(f"the cell holds the spreadsheet error {raw.code}")
    if kind == "date" and isinstance(raw, (date, int, float)):
        return Parsed(_native_date(raw))
    if kind == "money" and isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        return Parsed(_money(str(raw)))
    text = _text(raw)
    if text is None:
        return _EMPTY
    return _PARSERS[kind](text, mapping)


def _clip(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _text(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # an asset tag typed as 10023 in Excel, not "10023.0"
    text = raw.isoformat() if isinstance(raw, (date, datetime)) else str(raw)
    text = text.strip()
    if not text:
        return None
    if text[0] in _FIRST_SUSPECTS:
        text = _unescape_or_refuse(text)
    control = _CONTROL.search(text)
    if control:
        # XLSX cannot hold these, so the export would fail on them later.
        raise CellProblem(f"control character {control.group()!r} not allowed")
    return text


def _unescape_or_refuse(text: str) -> str:
    unquoted = text.lstrip("'")
    if text[0] == "'" and unquoted and unquoted[0] in FORMULA_PREFIXES:
        return text[1:]  # escaped by our exporter (or a careful person): text, not a formula
    if looks_like_formula(text):
        raise CellProblem(f"formula not allowed: {_clip(text)}; a cell may not start with = + - @ "
                          "(prefix it with ' to store it as text)")
    return text


def _foreign_escape(raw: str, escape: str) -> str:
    """Another exporter's formula escape (Snipe-IT writes `=SUM(..) for =SUM(..)) as ours (')."""
    rest = raw[len(escape):]
    return "'" + rest if rest[:1] in FORMULA_PREFIXES else raw


def _line(text: str, limit: int = _TEXT_MAX) -> str:
    line = " ".join(text.split())  # line breaks typed into a cell (Alt+Enter) become spaces
    if len(line) > limit:
        raise CellProblem(f"longer than {limit} characters ({len(line)})")
    return line


def _plain(text: str, _mapping) -> Parsed:
    return Parsed(_line(text))


def _notes(text: str, _mapping) -> Parsed:
    if len(text) > _NOTES_MAX:
        raise CellProblem(f"longer than {_NOTES_MAX} characters ({len(text)})")
    return Parsed(text)


def _serial(text: str, _mapping) -> Parsed:
    serial = normalize_serial(_line(text))
    if serial is None:
        return Parsed(None, f"{_clip(text)} is a placeholder, not a serial number; stored empty")
    return Parsed(serial)


def _hostname(text: str, _mapping) -> Parsed:
    name = normalize_hostname(_line(text, 253))
    if name is None:
        return Parsed(None, f"{_clip(text)} is a placeholder, not a host name; stored empty")
    if not _HOSTNAME.match(name):
        raise CellProblem(f"not a host name: {_clip(text)} (letters, digits, - and _ in dot-separated labels)")
    return Parsed(name)


def _uuid(text: str, _mapping) -> Parsed:
    try:
        uuid.UUID(text)
    except ValueError:
        raise CellProblem(f"not a UUID: {_clip(text)}") from None
    canonical = normalize_uuid(text)
    if canonical is None:
        return Parsed(None, f"{_clip(text)} is a placeholder UUID that many machines share; stored empty")
    return Parsed(canonical)


def _ip(text: str, _mapping) -> Parsed:
    try:
        return Parsed(str(ipaddress.ip_address(text)))
    except ValueError:
        raise CellProblem(f"not an IP address: {_clip(text)}") from None


def _macs(text: str, _mapping) -> Parsed:
    macs, bad = [], []
    for part in filter(None, _MAC_SPLIT.split(text)):
        mac = normalize_mac(part)
        if mac is None:
            bad.append(part)
        elif mac not in macs:
            macs.append(mac)
    if bad:
        raise CellProblem(f"not a usable MAC address: {', '.join(map(_clip, bad))} "
                          "(separate several with ; , or a space)")
    return Parsed(tuple(macs))


def _ci_class(text: str, mapping: ColumnMapping) -> Parsed:
    value = mapping.ci_class(text)
    if value is None and mapping.class_fallback:
        return Parsed(mapping.class_fallback, f"no class for {_clip(text)}; stored as {mapping.class_fallback} "
                      "(add the spelling under [classes] in a mapping to choose)")
    if value is None:
        raise CellProblem(f"unknown class {_clip(text)}; use one of {', '.join(CI_CLASSES)} "
                          "(or add the spelling under [classes] in the mapping)")
    return Parsed(value)


def _ci_status(text: str, mapping: ColumnMapping) -> Parsed:
    value = mapping.ci_status(text)
    if value is None:
        raise CellProblem(f"unknown status {_clip(text)}; use one of {', '.join(CI_STATUSES)} "
                          "(or add the spelling under [statuses] in the mapping)")
    return Parsed(value)


def _money_cell(text: str, mapping: ColumnMapping) -> Parsed:
    return Parsed(_money(_ungrouped(text) if mapping.money_grouping else text))


def _ungrouped(text: str) -> str:
    """An amount as another tool formats it ("1,234.56", "1 234,56", "1.234,56") as 1234.56.

    A comma alone is a decimal comma before one or two digits and a thousands separator before
    groups of three; anything else ambiguous is left for ``_money`` to refuse."""
    plain = _GROUP_SPACES.sub("", text.strip().strip("$€£¥").strip())
    if "," in plain and "." in plain:
        decimal = max(plain.rfind(","), plain.rfind("."))
        return plain[:decimal].replace(",", "").replace(".", "") + "." + plain[decimal + 1:]
    if _COMMA_GROUPS.match(plain):
        return plain.replace(",", "")
    if _DECIMAL_COMMA.match(plain):
        return plain.replace(",", ".")
    if _DOT_GROUPS.match(plain):
        return plain.replace(".", "")
    return plain


def _money(text: str, _mapping=None) -> Decimal:
    plain = text.strip().lstrip("$€£¥").strip()
    if plain.startswith("-"):
        raise CellProblem(f"a cost cannot be negative: {_clip(text)}")
    if not _MONEY.match(plain):
        raise CellProblem(f"not an amount: {_clip(text)}; write a plain decimal such as 1234.50 "
                          "(no thousands separator, no decimal comma, at most 2 decimals)")
    try:
        return Decimal(plain)
    except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
        raise CellProblem(f"not an amount: {_clip(text)}") from None


def _date(text: str, mapping: ColumnMapping) -> Parsed:
    parsers = [date.fromisoformat, lambda t: datetime.fromisoformat(t).date()]
    if mapping.date_format:
        parsers.append(lambda t: datetime.strptime(t, mapping.date_format).date())
    for parse in parsers:
        try:
            value = parse(text)
        except ValueError:
            continue
        return Parsed(_plausible(value, text))
    also = f" or {mapping.date_format}" if mapping.date_format else " (or set date_format in the mapping)"
    raise CellProblem(f"not a date: {_clip(text)}; write YYYY-MM-DD{also}")


def _native_date(raw: date | int | float) -> date:
    if not isinstance(raw, date) or isinstance(raw, bool):
        raise CellProblem(f"a number ({raw}), not a date; format the cell as a date or write YYYY-MM-DD")
    value = raw.date() if isinstance(raw, datetime) else raw
    return _plausible(value, value.isoformat())


def _plausible(value: date, text: str) -> date:
    if value.year not in _YEARS:
        raise CellProblem(f"implausible year in {_clip(text)} (expected {_YEARS.start}-{_YEARS.stop - 1})")
    return value


def _attribute(text: str, _mapping) -> Parsed:
    """A kept column: lines trimmed (GLPI puts one value per line in a cell), at most 2,000 characters."""
    value = "\n".join(line for line in (part.strip() for part in text.splitlines()) if line)
    if len(value) > _ATTRIBUTE_MAX:
        raise CellProblem(f"longer than {_ATTRIBUTE_MAX} characters ({len(value)})")
    return Parsed(value or None)


def _runs_on(text: str, _mapping) -> Parsed:
    return Parsed(_line(text))


def _connected_to(text: str, _mapping) -> Parsed:
    switch, _, port = _line(text).partition(":")
    if not switch.strip() or not port.strip():
        raise CellProblem(f"{_clip(text)} is not switch-asset-tag:port (for example SW-0101:Gi1/0/12)")
    return Parsed((switch.strip(), port.strip()))


_PARSERS = {
    "tag": _plain,
    "text": _plain,
    "notes": _notes,
    "serial": _serial,
    "hostname": _hostname,
    "uuid": _uuid,
    "ip": _ip,
    "macs": _macs,
    "class": _ci_class,
    "status": _ci_status,
    "money": _money_cell,
    "attribute": _attribute,
    "date": _date,
    "runs_on": _runs_on,
    "connected_to": _connected_to,
}
