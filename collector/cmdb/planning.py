"""Checked rows against the CMDB: which CI each row is, what it would change, what it points at.

An import is an upsert keyed by asset tag, because a register is re-exported and re-imported
again and again: a row whose asset tag exists updates that CI, a new tag creates one. A row
without an asset tag is keyed by its serial: it updates the one CI with that serial, or
creates one; if several CIs share the serial the row is refused (add an asset tag).

Only the columns present in the file are compared and written; an empty cell clears the
field, except that an asset tag is never cleared and an empty class or status keeps the
CI's (a new CI gets computer / deployed, with a warning). Attributes work the same way, one
per column: the file's attribute columns replace those keys (an empty cell removes its key)
and the CI keeps the attributes other files gave it. Relationships (``runs_on``,
``connected_to``) name CIs by asset tag, in the file or already in the CMDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from collector.cmdb.columns import FIELDS
from collector.cmdb.report import RowIssue, RowPreview
from collector.cmdb.stored import SerialOwner, StoredCi, load_by_id, load_by_tag, serial_owners, tags_in_cmdb
from collector.cmdb.validation import Checked, CiRow
from collector.models.cmdb import CiClass, CiStatus

__all__ = ["DEFAULTS", "Plan", "PlannedRow", "merged_attributes", "plan_import"]

# What a new CI gets when the file leaves its class or status empty (the model's defaults).
DEFAULTS = {"ci_class": CiClass.COMPUTER.value, "status": CiStatus.DEPLOYED.value}
_PREVIEW_ROWS = 20


@dataclass
class PlannedRow:
    row: CiRow
    ci: StoredCi | None  # None: create
    changes: dict[str, tuple[object, object]]  # field -> (current, new)

    @property
    def action(self) -> str:
        if self.ci is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for planned in self.rows if planned.action == action)

    def preview(self, limit: int = _PREVIEW_ROWS) -> list[RowPreview]:
        return [
            RowPreview(p.row.row, p.action, p.row.asset_tag or (p.ci.asset_tag if p.ci else None),
                       p.row.serial, {name: [_shown(name, old), _shown(name, new)]
                                      for name, (old, new) in p.changes.items()})
            for p in self.rows[:limit]
        ]


def plan_import(session: Session, checked: Checked) -> Plan:
    plan = Plan()
    by_tag = load_by_tag(session, [row.asset_tag for row in checked.rows if row.asset_tag])
    owners = serial_owners(session, [row.serial for row in checked.rows if row.serial])
    targets = _matches(session, checked, by_tag, owners, plan)
    _check_links(session, checked, plan)
    for row in checked.rows:
        if row.row in targets:
            ci = targets[row.row]
            plan.rows.append(PlannedRow(row, ci, _changes(row, ci, checked, plan)))
    created = plan.count("create")
    for name, default in DEFAULTS.items():
        if created and name not in checked.headers:
            plan.warnings.append(RowIssue(None, None, f"no {FIELDS[name].header} column: {created} new "
                                          f"CI{'s are' if created > 1 else ' is'} stored as {default}"))
    return plan


def _matches(session: Session, checked: Checked, by_tag: dict[str, StoredCi], owners: dict[str, list[SerialOwner]],
             plan: Plan) -> dict[int, StoredCi | None]:
    """Row number -> the CI it updates (None: a new CI); refused rows are left out."""
    claimed = {by_tag[row.asset_tag].id: row.row for row in checked.rows if row.asset_tag in by_tag}
    chosen: dict[int, int | None] = {}  # serial-keyed rows: row -> CI id
    for row in checked.rows:
        if row.asset_tag:
            continue
        candidates = owners.get(row.serial, [])
        column = checked.headers["serial"]
        if len(candidates) > 1:
            labels = ", ".join(owner.label for owner in candidates)
            plan.errors.append(RowIssue(row.row, column, f"serial {row.serial!r} is on {len(candidates)} CIs "
                                        f"({labels}); give the row an asset tag"))
        elif candidates and candidates[0].id in claimed:
            plan.errors.append(RowIssue(row.row, column, f"serial {row.serial!r} is CI {candidates[0].label}, "
                                        f"which row {claimed[candidates[0].id]} also updates"))
        else:
            chosen[row.row] = candidates[0].id if candidates else None
    by_id = load_by_id(session, [ci_id for ci_id in chosen.values() if ci_id is not None])
    targets = {row.row: by_tag.get(row.asset_tag) for row in checked.rows if row.asset_tag}
    targets.update({number: by_id[ci_id] if ci_id else None for number, ci_id in chosen.items()})
    _warn_shared_serials(checked, targets, owners, plan)
    return targets


def _warn_shared_serials(checked: Checked, targets: dict[int, StoredCi | None], owners: dict[str, list[SerialOwner]],
                         plan: Plan) -> None:
    for row in checked.rows:
        if row.row in targets and row.serial:
            own = targets[row.row]
            others = [owner for owner in owners.get(row.serial, []) if own is None or owner.id != own.id]
            if others:
                plan.warnings.append(RowIssue(row.row, checked.headers["serial"], f"serial {row.serial!r} is also "
                                              f"recorded on CI {', '.join(owner.label for owner in others)}"))


def _check_links(session: Session, checked: Checked, plan: Plan) -> None:
    """runs_on and connected_to must name a CI by asset tag: in the file or in the CMDB, not the row itself."""
    wanted = {tag for row in checked.rows for tag in _link_tags(row)} - checked.tags
    known = checked.tags | tags_in_cmdb(session, wanted)
    for row in checked.rows:
        for name in ("runs_on", "connected_to"):
            tag = _link_tag(row, name)
            if tag is None:
                continue
            if tag == row.asset_tag:
                plan.errors.append(RowIssue(row.row, checked.headers[name], f"a CI cannot be {name} itself"))
            elif tag not in known:
                plan.errors.append(RowIssue(row.row, checked.headers[name],
                                            f"no CI with asset tag {tag!r} in the file or the CMDB"))


def _link_tag(row: CiRow, name: str) -> str | None:
    value = row.values.get(name)
    if value is None:
        return None
    return value[0] if name == "connected_to" else value


def _link_tags(row: CiRow) -> list[str]:
    return [tag for tag in (_link_tag(row, "runs_on"), _link_tag(row, "connected_to")) if tag]


def _changes(row: CiRow, ci: StoredCi | None, checked: Checked, plan: Plan) -> dict[str, tuple[object, object]]:
    changes = {}
    for name, new in row.values.items():
        if name == "attributes":
            old = ci.values["attributes"] if ci is not None else None
            new = merged_attributes(old, new)
            if old != new:
                changes[name] = (old, new)
            continue
        if new is None and (name in DEFAULTS or name == "asset_tag"):
            if ci is None and name in DEFAULTS:
                plan.warnings.append(RowIssue(row.row, checked.headers[name],
                                              f"empty; the new CI is stored as {DEFAULTS[name]}"))
            continue
        old = ci.values[name] if ci is not None else None
        if name == "macs":
            old, new = tuple(sorted(old or ())), tuple(sorted(new or ()))
        if old != new:
            changes[name] = (old, new)
    return changes


def merged_attributes(stored: dict | None, columns: dict[str, str | None]) -> dict[str, str] | None:
    """The CI's attributes with the file's columns laid over them; None when none are left."""
    kept = {key: value for key, value in (stored or {}).items() if key not in columns}
    kept.update((key, value) for key, value in columns.items() if value is not None)
    return dict(sorted(kept.items())) or None


def _shown(name: str, value: object) -> object:
    """A JSON-friendly form of a value for the preview."""
    if value is None:
        return None
    if name == "connected_to":
        return f"{value[0]}:{value[1]}"
    if isinstance(value, (Decimal, date)):
        return str(value)
    return list(value) if isinstance(value, tuple) else value
