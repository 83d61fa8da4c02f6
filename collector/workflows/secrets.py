"""Secret form fields (licence keys): stored in the process data, never shown or logged whole.

A template marks a field secret with a Camunda field property
(``<camunda:property id="secret" value="true"/>`` inside the ``camunda:formField``). The
value is kept in the instance's stored process data, where the task that needs it reads
it; the event history and the audit log get ``MASK`` instead (they are copied to auditors
and exports), and the reading layer shows at most the last four characters of a long one.
"""

from __future__ import annotations

__all__ = ["MASK", "is_secret", "mask_fields", "masked", "secret_ids"]

MASK = "********"
_SHOW_TAIL_FROM = 16  # shorter values are shown as MASK only: four characters would be too much of them


def is_secret(field) -> bool:
    return field.get_property("secret") == "true"


def secret_ids(fields) -> set[str]:
    return {f.id for f in fields if is_secret(f)}


def mask_fields(fields, values: dict) -> dict:
    """``values`` with every secret field's value replaced by MASK (for events and the audit log)."""
    secret = secret_ids(fields)
    return {name: MASK if name in secret and value not in (None, "") else value for name, value in values.items()}


def masked(value) -> str:
    """How a read shows a stored secret: MASK, plus the last four characters of a long value."""
    text = str(value)
    return MASK + text[-4:] if len(text) >= _SHOW_TAIL_FROM else MASK
