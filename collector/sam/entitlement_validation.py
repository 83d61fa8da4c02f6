"""Checking one entitlement record: every field's problem at once, before anything is stored.

The same checks serve the API (JSON values), the web form and CLI (text) and the import
(CSV text or XLSX cells, where a formula or an error cell is refused by the CMDB's cell
parser). A record is the product (``product_id``, or ``publisher`` + ``product`` [+ ``edition``]
matched case-insensitively against the catalogue) and the stored columns of ``SamEntitlement``.

Decisions worth knowing:
- ``site`` and ``unlimited`` licences count nothing: their quantity may be left out (stored 0)
  and positions ignore it; a negative or non-numeric one is still refused.
- ``core_factor`` (default 1) and the two minimums belong to ``processor_core`` only; sent with
  another metric they are refused rather than silently dropped.
- A perpetual licence may have a start date but no end date; a subscription needs both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from collector.cmdb.cells import CellProblem, parse_cell
from collector.cmdb.mapping import ColumnMapping
from collector.cmdb.reading import CellError, Formula
from collector.errors import FieldError
from collector.models.sam import LICENSE_METRICS, LicenseMetric
from collector.sam.product_lookup import ProductIndex, ProductRef
from collector.sam.versions import version_key

__all__ = ["CORE_FIELDS", "INPUT_FIELDS", "PRODUCT_NAME_FIELDS", "STORED_FIELDS", "TERMS", "UNCOUNTED", "Checked",
           "Term", "check_entitlement",
           "parse_bool", "parse_whole"]


class Term:
    PERPETUAL = "perpetual"
    SUBSCRIPTION = "subscription"


TERMS = (Term.PERPETUAL, Term.SUBSCRIPTION)
UNCOUNTED = (LicenseMetric.SITE, LicenseMetric.UNLIMITED)
CORE_FIELDS = ("core_factor", "min_cores_per_processor", "min_cores_per_vm")
STORED_FIELDS = ("product_id", "metric", "quantity", "version_from", "version_to", "downgrade_rights",
                 *CORE_FIELDS, "term", "start_date", "end_date", "unit_cost", "currency", "po_number", "vendor",
                 "contract_id", "notes")
PRODUCT_NAME_FIELDS = ("publisher", "product", "edition")
INPUT_FIELDS = (*STORED_FIELDS, *PRODUCT_NAME_FIELDS)
INT32_MAX = 2**31 - 1
_CORE_FACTOR_MAX = Decimal("999.999")  # Numeric(6, 3)
_VERSION_MAX, _NOTES_MAX = 64, 10_000
_CURRENCY = re.compile(r"[A-Z]{3}")
_TRUE, _FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0")
_CELLS = ColumnMapping()


@dataclass
class Checked:
    """The values to store (``STORED_FIELDS``), the product they name, and every problem found."""

    values: dict = field(default_factory=dict)
    product: ProductRef | None = None
    errors: list[FieldError] = field(default_factory=list)


class _Problems(list):
    def add(self, name: str, message: str) -> None:
        self.append(FieldError(name, message))


def check_entitlement(products: ProductIndex, data: dict) -> Checked:
    """Check a whole record (for an update: the stored values with the changes laid over them)."""
    problems, values = _Problems(), {}
    unknown = sorted(str(k) for k in data if k not in INPUT_FIELDS)
    for name in unknown:
        problems.add(name, "unknown field")
    product = _product(products, data, problems)
    metric = _metric(data.get("metric"), product, problems)
    values.update(product_id=product.id if product else None, metric=metric)
    values["quantity"] = _quantity(data.get("quantity"), metric, problems)
    values.update(_versions(data, problems))
    values["downgrade_rights"] = _field(problems, "downgrade_rights", parse_bool, data.get("downgrade_rights")) or False
    values.update(_cores(data, metric, problems))
    values.update(_term(data, problems))
    values["unit_cost"] = _field(problems, "unit_cost", _money, data.get("unit_cost"))
    values["currency"] = _field(problems, "currency", _currency, data.get("currency")) or "EUR"
    for name in ("po_number", "vendor", "contract_id"):
        values[name] = _field(problems, name, _text, data.get(name))
    values["notes"] = _field(problems, "notes", _notes, data.get("notes"))
    return Checked(values, product, list(problems))


def _field(problems: _Problems, name: str, parse, raw):
    """``parse(raw)``, or None with the reason recorded against ``name``; blank is None."""
    if _blank(raw):
        return None
    try:
        return parse(raw)
    except CellProblem as exc:
        problems.add(name, str(exc))
        return None


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _refuse_cell(raw) -> None:
    if isinstance(raw, Formula):
        raise CellProblem(f"formula not allowed: {raw.text[:40]!r}; paste the value instead")
    if isinstance(raw, CellError):
        raise CellProblem(f"the cell holds the spreadsheet error {raw.code}")


def _text(raw) -> str:
    return parse_cell("text", raw, _CELLS).value


def _notes(raw) -> str:
    value = parse_cell("notes", raw, _CELLS).value
    if value is not None and len(value) > _NOTES_MAX:
        raise CellProblem(f"longer than {_NOTES_MAX} characters ({len(value)})")
    return value


def _money(raw) -> Decimal:
    return parse_cell("money", raw, _CELLS).value


def _date(raw) -> date:
    return parse_cell("date", raw, _CELLS).value


def _currency(raw) -> str:
    text = (_text(raw) or "").upper()
    if not _CURRENCY.fullmatch(text):
        raise CellProblem(f"not an ISO 4217 currency code: {str(raw)[:20]!r}; write three letters such as EUR or USD")
    return text


def parse_bool(raw) -> bool:
    """true/false, yes/no, y/n, 1/0 (any case), or a JSON or XLSX boolean."""
    _refuse_cell(raw)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise CellProblem(f"not yes or no: {str(raw)[:20]!r}; write true or false")


def parse_whole(raw, minimum: int = 0) -> int:
    """A whole number from ``minimum`` to 2^31-1: 5, "5" or 5.0 (an XLSX number), never 5.5 or "five"."""
    _refuse_cell(raw)
    if isinstance(raw, bool):
        raise CellProblem(f"not a whole number: {raw!r}")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if not re.fullmatch(r"[+-]?\d{1,12}", text):
        raise CellProblem(f"not a whole number: {text[:20]!r}")
    value = int(text)
    if value < minimum:
        raise CellProblem(f"cannot be negative ({value})" if minimum == 0 else f"must be at least {minimum} ({value})")
    if value > INT32_MAX:
        raise CellProblem(f"too large ({value}); at most {INT32_MAX}")
    return value


def _product(products: ProductIndex, data: dict, problems: _Problems) -> ProductRef | None:
    raw_id = data.get("product_id")
    names = {name: _field(problems, name, _text, data.get(name)) for name in PRODUCT_NAME_FIELDS}
    if not _blank(raw_id):
        product_id = _field(problems, "product_id", lambda raw: parse_whole(raw, 1), raw_id)
        found = products.by_id(product_id) if product_id else None
        if product_id and found is None:
            problems.add("product_id", f"no product with id {product_id}")
        return found
    if not names["product"]:
        if not any(p.field in PRODUCT_NAME_FIELDS for p in problems):
            problems.add("product", "required: the product's name (with its publisher), or product_id")
        return None
    if not names["publisher"]:
        problems.add("publisher", f"required with the product name {names['product']!r}")
        return None
    found, where, message = products.find(names["publisher"], names["product"], names["edition"])
    if found is None:
        problems.add(where, message)
    return found


def _metric(raw, product: ProductRef | None, problems: _Problems) -> str | None:
    if _blank(raw):
        problems.add("metric", f"required: one of {', '.join(LICENSE_METRICS)}")
        return None
    metric = str(raw).strip().lower()
    if metric not in LICENSE_METRICS:
        problems.add("metric", f"unknown metric {str(raw)[:40]!r}; use one of {', '.join(LICENSE_METRICS)}")
        return None
    if product is not None and product.metrics and metric not in product.metrics:
        problems.add("metric", f"a metric that does not fit the product: {product.label} is licensed per "
                               f"{' or '.join(product.metrics)}, not {metric}")
    return metric


def _quantity(raw, metric: str | None, problems: _Problems) -> int | None:
    if _blank(raw):
        if metric in UNCOUNTED:
            return 0
        problems.add("quantity", "required: how many licences were bought (a whole number, 0 or more)")
        return None
    return _field(problems, "quantity", parse_whole, raw)


def _versions(data: dict, problems: _Problems) -> dict:
    def version(raw) -> str:
        text = _text(raw)
        if len(text) > _VERSION_MAX:
            raise CellProblem(f"longer than {_VERSION_MAX} characters ({len(text)})")
        if not version_key(text):
            raise CellProblem(f"not a version: {text[:20]!r}")
        return text

    low = _field(problems, "version_from", version, data.get("version_from"))
    high = _field(problems, "version_to", version, data.get("version_to"))
    if low and high and version_key(high) < version_key(low):
        problems.add("version_to", f"version_to {high} is below version_from {low}")
    return {"version_from": low, "version_to": high}


def _cores(data: dict, metric: str | None, problems: _Problems) -> dict:
    given = {name: data.get(name) for name in CORE_FIELDS if not _blank(data.get(name))}
    if metric != LicenseMetric.PROCESSOR_CORE:
        for name in given:
            problems.add(name, f"only for the processor_core metric, not {metric or 'this metric'}")
        return dict.fromkeys(CORE_FIELDS)
    return {"core_factor": _field(problems, "core_factor", _core_factor, given.get("core_factor")) or Decimal(1),
            "min_cores_per_processor": _field(problems, "min_cores_per_processor", parse_whole,
                                              given.get("min_cores_per_processor")),
            "min_cores_per_vm": _field(problems, "min_cores_per_vm", parse_whole, given.get("min_cores_per_vm"))}


def _core_factor(raw) -> Decimal:
    _refuse_cell(raw)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise CellProblem(f"not a number: {str(raw)[:20]!r}") from None
    if not value.is_finite() or value <= 0 or value > _CORE_FACTOR_MAX:
        raise CellProblem(f"must be above 0 and at most {_CORE_FACTOR_MAX} ({str(raw)[:20]})")
    if value != value.quantize(Decimal("0.001")):
        raise CellProblem(f"at most 3 decimals ({str(raw)[:20]})")
    return value


def _term(data: dict, problems: _Problems) -> dict:
    raw = data.get("term")
    term = Term.PERPETUAL if _blank(raw) else str(raw).strip().lower()
    if term not in TERMS:
        problems.add("term", f"unknown term {str(raw)[:20]!r}; use perpetual or subscription")
    start = _field(problems, "start_date", _date, data.get("start_date"))
    end = _field(problems, "end_date", _date, data.get("end_date"))
    if term == Term.SUBSCRIPTION:
        if start is None and _blank(data.get("start_date")):
            problems.add("start_date", "a subscription needs a start date")
        if end is None and _blank(data.get("end_date")):
            problems.add("end_date", "a subscription needs an end date")
    elif term == Term.PERPETUAL and end is not None:
        problems.add("end_date", "a perpetual licence has no end date (use term subscription)")
    if start and end and end < start:
        problems.add("end_date", f"end before start: {end.isoformat()} is before the start date {start.isoformat()}")
    return {"term": term, "start_date": start, "end_date": end}
