"""Reading a workflow task's HTML form into the typed values collector/workflows/forms.py checks.

A browser posts text. The JSON API receives ``1200`` and ``true``; here the same fields
arrive as ``"1200"`` and a checkbox that is present or absent. Only the task's declared
fields are read (the CSRF token and the page's own inputs are not form data); what does
not convert is passed on as typed, so validate_form names the field and keeps the page's
values for the person to correct.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

__all__ = ["typed_values"]

_WHOLE = re.compile(r"-?[0-9]{1,18}")


def typed_values(fields, form: MultiDict) -> tuple[dict, dict]:
    """(typed values for the service, the text as typed for redisplay) of ``fields`` (FieldView-like)."""
    typed, typed_back = {}, {}
    for field in fields:
        if field.type == "boolean":
            typed[field.id] = typed_back[field.id] = form.get(field.id) == "true"
            continue
        raw = form.get(field.id, "")
        typed_back[field.id] = raw
        if raw.strip() == "":
            continue
        typed[field.id] = int(raw.strip()) if field.type == "long" and _WHOLE.fullmatch(raw.strip()) else raw
    return typed, typed_back
