"""Creating one CI record from a process (procurement's receive-and-tag), not from an import.

Imports write many rows through planning; a workflow creates one CI at a time and must refuse
what would make the register ambiguous: a second CI with the same asset tag (a unique column)
or the same serial (the serial rule would match one device to two records). The serial is
normalised like every other identifier (common.identity), so a placeholder serial is refused
instead of stored as if it identified something. The tag's uniqueness is the database's too;
the serial's is this check's alone (imports may hold shared serials, with a warning).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.errors import Conflict, FieldError, InvalidInput
from collector.models.cmdb import CI_CLASSES, CI_STATUSES, ConfigurationItem
from common.identity import normalize_serial

__all__ = ["NEW_CI_FIELDS", "create_ci"]

# What a process may set on a new CI.
NEW_CI_FIELDS = ("asset_tag", "ci_class", "name", "serial", "vendor", "model", "status", "cost", "purchase_date",
                 "po_number", "supplier", "warranty_end", "location", "notes")
_TEXT_MAX = 255


def create_ci(session: Session, values: dict, now: datetime, source: str = "workflow") -> ConfigurationItem:
    """A new CI from ``values`` (NEW_CI_FIELDS); InvalidInput for bad values, Conflict for a duplicate."""
    clean = _checked(values)
    _refuse_duplicates(session, clean["asset_tag"], clean["serial"])
    ci = ConfigurationItem(**clean, source=source, created_at=now, updated_at=now)
    try:
        with session.begin_nested():  # a concurrent writer took the tag after the check (PostgreSQL)
            session.add(ci)
            session.flush()
    except IntegrityError:
        raise Conflict(f"asset tag {clean['asset_tag']!r} was just taken by another CI; nothing was stored") from None
    return ci


def _checked(values: dict) -> dict:
    errors = [FieldError(name, "is not a field a process may set") for name in values if name not in NEW_CI_FIELDS]
    clean = {k: v for k, v in values.items() if k in NEW_CI_FIELDS and v not in (None, "")}
    for name in ("asset_tag", "serial"):
        if not isinstance(clean.get(name), str) or not clean[name].strip():
            errors.append(FieldError(name, "is required"))
    for name, value in clean.items():
        if isinstance(value, str) and name != "notes" and len(value) > _TEXT_MAX:
            errors.append(FieldError(name, f"must be at most {_TEXT_MAX} characters"))
    if isinstance(clean.get("serial"), str) and clean["serial"].strip():
        clean["serial"] = normalize_serial(clean["serial"])
        if clean["serial"] is None:
            errors.append(FieldError("serial", "is a placeholder, not a serial number"))
    if clean.get("ci_class", "computer") not in CI_CLASSES:
        errors.append(FieldError("ci_class", f"must be one of {', '.join(CI_CLASSES)}"))
    if clean.get("status", "in_stock") not in CI_STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(CI_STATUSES)}"))
    for name in ("purchase_date", "warranty_end"):
        if isinstance(clean.get(name), str):
            clean[name] = date.fromisoformat(clean[name])
    if clean.get("cost") is not None:
        clean["cost"] = Decimal(clean["cost"])
    if errors:
        raise InvalidInput("invalid CI; nothing was stored", errors)
    clean["asset_tag"] = clean["asset_tag"].strip()
    return clean


def _refuse_duplicates(session: Session, tag: str, serial: str) -> None:
    owner = session.scalar(select(ConfigurationItem.id).where(func.lower(ConfigurationItem.asset_tag) == tag.lower()))
    if owner is not None:
        raise Conflict(f"asset tag {tag!r} is already CI {owner}'s; nothing was stored")
    owner = session.scalar(select(ConfigurationItem.id).where(ConfigurationItem.serial == serial).limit(1))
    if owner is not None:
        raise Conflict(f"serial {serial!r} is already CI {owner}'s; nothing was stored")
