"""Admin rules (``sam_admin_rules``): added, listed, moved and deleted by admins, tried before the shipped ones.

A rule is validated by the same code as the shipped catalogue (collector/sam/rules.py) and its
id may not shadow a shipped rule's (explanations cite ids). Every change is written to the audit
log; it also changes the ruleset digest, so the next normalise redoes the stored titles.
"""

from __future__ import annotations

import json
import tomllib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entry
from collector.errors import Conflict, FieldError, InvalidInput, NotFound
from collector.models import SamAdminRule, utcnow
from collector.sam.catalogue import shipped_catalogue
from collector.sam.rules import parse_rule

__all__ = ["add_rule", "delete_rule", "list_rules", "move_rule", "parse_rule_text", "rule_coverage", "rule_from_form",
           "rule_view"]


def parse_rule_text(text: str) -> dict:
    """A rule written as JSON (an object) or TOML (keys at top level, or one [[rule]] table)."""
    stripped = text.strip()
    try:
        data = json.loads(stripped) if stripped.startswith("{") else tomllib.loads(stripped)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput("the rule is neither a JSON object nor TOML", [FieldError("rule", str(exc))]) from None
    if isinstance(data.get("rule"), list) and len(data) == 1:
        if len(data["rule"]) != 1:
            raise InvalidInput("give one rule at a time", [FieldError("rule", f"{len(data['rule'])} rules given")])
        data = data["rule"][0]
    return data


def add_rule(session: Session, definition: object, actor: Actor, *, position: int | None = None,
             note: str | None = None) -> SamAdminRule:
    """Validate and store a rule (last among admin rules unless ``position``); nothing stored on error."""
    rule, errors = parse_rule(definition)
    errors += _placement_errors(position, note)
    if errors:
        raise InvalidInput("invalid rule", errors)
    if any(shipped.id == rule.id for shipped in shipped_catalogue().rules):
        raise InvalidInput("invalid rule", [FieldError("id", f"{rule.id} is a shipped rule's id; choose another")])
    if session.scalar(select(SamAdminRule.id).where(SamAdminRule.rule_id == rule.id)) is not None:
        raise Conflict(f"an admin rule with id {rule.id} exists", [FieldError("id", "already used")])
    last = session.scalar(select(func.max(SamAdminRule.position))) or 0
    row = SamAdminRule(rule_id=rule.id, position=last + 1 if position is None else position,
                       definition=dict(definition), note=note, created_by_id=actor.user_id, created_at=utcnow())
    session.add(row)
    session.flush()
    append_entry(session, "sam_rule_added", actor, rule.id, {"definition": definition, "position": row.position})
    return row


def _placement_errors(position: object, note: object) -> list[FieldError]:
    errors = []
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)
                                 or not -1_000_000 <= position <= 1_000_000):
        errors.append(FieldError("position", "must be an integer from -1000000 to 1000000"))
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        errors.append(FieldError("note", "must be a string of at most 2000 characters"))
    return errors


def list_rules(session: Session) -> list[SamAdminRule]:
    return list(session.scalars(select(SamAdminRule).order_by(SamAdminRule.position, SamAdminRule.id)))


def delete_rule(session: Session, rule_id: str, actor: Actor) -> None:
    row = _get(session, rule_id)
    append_entry(session, "sam_rule_deleted", actor, rule_id, {"definition": row.definition})
    session.delete(row)
    session.flush()


def move_rule(session: Session, rule_id: str, position: int, actor: Actor) -> SamAdminRule:
    """Give a rule a new position (lower is tried first; equal positions keep their age order)."""
    errors = _placement_errors(position, None)
    if position is None or errors:
        raise InvalidInput("invalid position", errors or [FieldError("position", "required")])
    row = _get(session, rule_id)
    append_entry(session, "sam_rule_moved", actor, rule_id, {"from": row.position, "to": position})
    row.position = position
    session.flush()
    return row


def rule_view(row: SamAdminRule) -> dict:
    return {"rule_id": row.rule_id, "position": row.position, "definition": row.definition, "note": row.note,
            "created_at": row.created_at.isoformat() if row.created_at else None}


def _get(session: Session, rule_id: str) -> SamAdminRule:
    row = session.scalar(select(SamAdminRule).where(SamAdminRule.rule_id == rule_id))
    if row is None:
        raise NotFound(f"no admin rule {rule_id}")
    return row


def rule_from_form(form: dict) -> dict:
    """A rule definition from the curation form: match ("exact" or "regex"), pattern, publisher,
    product, edition, optional source and rule id (default: derived from the product and pattern)."""
    match = form.get("match") or "exact"
    if match not in ("exact", "regex"):
        raise InvalidInput("invalid rule", [FieldError("match", "must be exact or regex")])
    pattern = (form.get("pattern") or "").strip()
    definition = {"name" if match == "exact" else "name_regex": pattern}
    for key in ("publisher", "product", "edition"):
        value = (form.get(key) or "").strip()
        if value:
            definition[key] = value
    if form.get("source"):
        definition["sources"] = [form["source"]]
    definition["id"] = (form.get("rule_id") or "").strip() or _derived_id(definition)
    return definition


def rule_coverage(session: Session, rule_id: str) -> int:
    """How many stored titles the rule matched at the last normalise."""
    from collector.models import SamSoftwareProduct

    return session.scalar(select(func.count()).select_from(SamSoftwareProduct)
                          .where(SamSoftwareProduct.rule_id == rule_id)) or 0


def _derived_id(definition: dict) -> str:
    import hashlib
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", (definition.get("product") or "rule").lower()).strip("-")[:40] or "rule"
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:8]
    return f"admin-{slug}-{digest}"
