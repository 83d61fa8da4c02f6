"""An audit entry's details as a person reads them: labelled values, and changes as old → new.

Entries store their details as JSON (what was hashed); this turns them into (label, text)
pairs for the page and the export: nested objects flattened to ``filters › kind``, lists
joined, ``before``/``after`` and ``from``/``to`` pairs shown as the fields that changed.
No reprs, no braces: an auditor reads "role: operator → admin", not ``{'from': ...}``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["detail_items", "detail_text", "value_text"]

_ARROW = " → "
_SEP = " › "


def value_text(value: Any) -> str:
    """One JSON value as text: none as "—", booleans as yes/no, lists joined, objects as k=v."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{_label(k)} {value_text(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return "; ".join(value_text(v) for v in value) or "none"
    return str(value)


def _label(key: str) -> str:
    return str(key).replace("_", " ")


def detail_items(detail: dict | None) -> list[tuple[str, str]]:
    """The details as (label, text) pairs, in a stable order."""
    if not isinstance(detail, dict):
        return [] if detail is None else [("detail", value_text(detail))]
    items: list[tuple[str, str]] = []
    rest = dict(detail)
    if "before" in rest and "after" in rest:
        items += _changes(rest.pop("before"), rest.pop("after"))
    if "from" in rest and "to" in rest:
        items.append(("changed", f"{value_text(rest.pop('from'))}{_ARROW}{value_text(rest.pop('to'))}"))
    for key, value in rest.items():
        items += _flatten(_label(key), value)
    return items


def _flatten(label: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict) and value:
        return [item for key, inner in value.items() for item in _flatten(f"{label}{_SEP}{_label(key)}", inner)]
    return [(label, value_text(value))]


def _changes(before: Any, after: Any) -> list[tuple[str, str]]:
    """Created (no before), deleted (no after) or changed: only the fields that differ."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        if before is None and isinstance(after, dict):
            return [(f"new {label}", text) for label, text in _flatten_all(after)]
        if after is None and isinstance(before, dict):
            return [(f"removed {label}", text) for label, text in _flatten_all(before)]
        return [("changed", f"{value_text(before)}{_ARROW}{value_text(after)}")]
    changed = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    if not changed:
        return [("changes", "none")]
    return [(_label(key), f"{value_text(before.get(key))}{_ARROW}{value_text(after.get(key))}") for key in changed]


def _flatten_all(values: dict) -> list[tuple[str, str]]:
    return [item for key, value in values.items() for item in _flatten(_label(key), value)]


def detail_text(detail: dict | None) -> str:
    """The details on one line, for an export cell: ``label: text; label: text``."""
    return "; ".join(f"{label}: {text}" for label, text in detail_items(detail))
