"""What a complete CI record holds: the required fields per CI class, for the completeness KPI.

A definition maps a class (or ``default``, for every class not named) to the fields it always
needs (``always``) and those it needs only in a status (a status name: ``deployed =
["assigned_user"]``, since a machine on the shelf has no user). The shipped definition below
follows the register's own columns (collector/models/cmdb.py); the site config's
``[collector.ci_required_fields]`` table replaces it class by class::

    [collector.ci_required_fields.server]
    always = ["asset_tag", "ci_class", "status", "serial", "hostname", "location"]
    deployed = ["department"]
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import String, Text

from collector.models.cmdb import CI_CLASSES, CI_STATUSES, ConfigurationItem

__all__ = ["ALWAYS", "DEFAULT_CLASS", "FIELDS", "SHIPPED", "TEXT_FIELDS", "RequiredFields", "definition_problems",
           "fields_for", "required_fields"]

ALWAYS = "always"
DEFAULT_CLASS = "default"
# Fields a definition may name: the register's own columns, not bookkeeping.
FIELDS = tuple(c.key for c in ConfigurationItem.__table__.columns
               if c.key not in ("id", "source", "import_batch", "created_at", "updated_at"))
TEXT_FIELDS = frozenset(c.key for c in ConfigurationItem.__table__.columns if isinstance(c.type, (String, Text)))

_BASE = ("asset_tag", "ci_class", "status", "serial", "model", "location")
# class -> condition (ALWAYS or a status) -> fields
SHIPPED: dict[str, dict[str, tuple[str, ...]]] = {
    DEFAULT_CLASS: {ALWAYS: _BASE, "deployed": ("assigned_user",)},
    # Infrastructure is not handed to a person; it is found by its name.
    "server": {ALWAYS: (*_BASE, "hostname")},
    "network_device": {ALWAYS: (*_BASE, "hostname")},
    "printer": {ALWAYS: _BASE},
    # A VM has no shelf location or hardware model of its own; its name and host identify it.
    "virtual_machine": {ALWAYS: ("asset_tag", "ci_class", "status", "hostname")},
}

RequiredFields = dict[str, dict[str, tuple[str, ...]]]


def definition_problems(overrides: Mapping) -> list[str]:
    """Every problem in a site definition (empty when usable), each naming the class and key."""
    problems = []
    for ci_class, conditions in overrides.items():
        if ci_class != DEFAULT_CLASS and ci_class not in CI_CLASSES:
            problems.append(f"ci_required_fields: unknown class {ci_class!r} (use default or one of "
                            f"{', '.join(CI_CLASSES)})")
            continue
        if not isinstance(conditions, Mapping):
            problems.append(f"ci_required_fields.{ci_class}: expected a table of always/<status> = [fields]")
            continue
        for condition, names in conditions.items():
            problems += _condition_problems(f"ci_required_fields.{ci_class}.{condition}", condition, names)
    return problems


def _condition_problems(where: str, condition: str, names) -> list[str]:
    if condition != ALWAYS and condition not in CI_STATUSES:
        return [f"{where}: unknown key (use always or a status: {', '.join(CI_STATUSES)})"]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        return [f"{where}: expected a list of field names"]
    return [f"{where}: unknown field {name!r}" for name in names if name not in FIELDS]


def required_fields(overrides: Mapping | None = None) -> RequiredFields:
    """The shipped definition with the site's classes replacing the shipped ones (already validated)."""
    merged = {**SHIPPED, **{cls: {cond: tuple(names) for cond, names in conditions.items()}
                            for cls, conditions in (overrides or {}).items()}}
    return merged


def fields_for(definition: RequiredFields, ci_class: str, status: str) -> tuple[str, ...]:
    """The fields a CI of this class in this status must have, in definition order."""
    conditions = definition.get(ci_class) or definition.get(DEFAULT_CLASS) or {}
    names = (*conditions.get(ALWAYS, ()), *conditions.get(status, ()))
    return tuple(dict.fromkeys(names))
