"""A rejected form keeps what was typed.

A POST view decorated with :func:`keep_typed` that raises a validation error (422) or a
conflict (409) does not end on the bare error page: the page the form is on is rendered again,
with that status, the values as typed and each field's error beside its field (templates read
them with ``typed()`` and ``field_error()``; base.html lists every error at the top). The write
transaction was rolled back, so nothing partial was stored. Passwords and the CSRF token are
never echoed back; not-found and not-allowed still get the error page.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import g, make_response, request
from werkzeug.datastructures import MultiDict

from collector.errors import Conflict, InvalidInput, ServiceError
from collector.web import bp

__all__ = ["RejectedForm", "keep_typed", "rejected_form"]

# Never sent back into a page: secrets stay with whoever typed them.
_NOT_ECHOED = frozenset({"csrf_token", "password", "new_password", "password_confirm", "current_password", "secret"})
_KEPT = (InvalidInput, Conflict)


@dataclass(frozen=True)
class RejectedForm:
    """The form a request posted and why it was refused (``endpoint``: the POST view's)."""

    endpoint: str
    values: MultiDict
    errors: dict[str, str]
    message: str
    status: int


def rejected_form(endpoint: str | None = None) -> RejectedForm | None:
    """The form this request re-renders, if it is ``endpoint``'s (any, when None)."""
    form = g.get("rejected_form")
    if form is None or (endpoint is not None and form.endpoint != endpoint):
        return None
    return form


def _rejection(exc: ServiceError) -> RejectedForm:
    values = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k not in _NOT_ECHOED])
    errors: dict[str, str] = {}
    for problem in exc.fields:
        errors[problem.field] = f"{errors[problem.field]}; {problem.message}" if problem.field in errors \
            else problem.message
    return RejectedForm(request.endpoint or "", values, errors, exc.message, exc.status)


def keep_typed(page: Callable[..., object]):
    """Show ``page`` (a GET view; given the URL arguments it takes) again when the view refuses the form."""

    accepts = set(inspect.signature(page).parameters)

    def decorate(view):
        @wraps(view)
        def run(**kwargs):
            try:
                return view(**kwargs)
            except _KEPT as exc:
                g.rejected_form, g.page_endpoint = _rejection(exc), f"{bp.name}.{page.__name__}"
                response = make_response(page(**{k: v for k, v in kwargs.items() if k in accepts}))
                response.status_code = exc.status
                return response

        return run

    return decorate


def _typed(name: str, default: object = "", form: str | None = None):
    """The value typed into ``name`` of the rejected ``form``; else ``default`` (what the page shows normally)."""
    rejected = rejected_form(form)
    return rejected.values.get(name, "") if rejected is not None else default


def _typed_all(name: str, form: str | None = None) -> list[str]:
    rejected = rejected_form(form)
    return rejected.values.getlist(name) if rejected is not None else []


def _field_error(name: str, form: str | None = None) -> str | None:
    rejected = rejected_form(form)
    return rejected.errors.get(name) if rejected is not None else None


@bp.app_context_processor
def _form_state() -> dict:
    return {"rejected_form": rejected_form(), "typed": _typed, "typed_all": _typed_all, "field_error": _field_error}
