"""The rules in force: admin rules (in their order) before the shipped catalogue, and their digest.

The digest names the ruleset a stored normalisation came from (``sam_software_products.ruleset``):
any change of the shipped files, of the admin rules or of the matching code (:data:`ENGINE`)
changes it, and the next normalise redoes the rows of the old one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import InvalidInput
from collector.models import SamAdminRule
from collector.sam.catalogue import Catalogue, shipped_catalogue
from collector.sam.matching import RuleIndex
from collector.sam.rules import Rule, parse_rule

__all__ = ["ENGINE", "Ruleset", "current_ruleset"]

# Bump when matching or version derivation changes meaning, so stored rows are redone.
ENGINE = "sam-normalise-1"


@dataclass(frozen=True)
class Ruleset:
    rules: tuple[Rule, ...]
    catalogue: Catalogue
    digest: str

    def index(self) -> RuleIndex:
        return RuleIndex(list(self.rules))


def current_ruleset(session: Session, catalogue: Catalogue | None = None) -> Ruleset:
    """Admin rules then shipped rules, renumbered in that order, with the combined digest."""
    catalogue = catalogue or shipped_catalogue()
    rows = session.execute(select(SamAdminRule.rule_id, SamAdminRule.definition)
                           .order_by(SamAdminRule.position, SamAdminRule.id)).all()
    admin = [_stored_rule(rule_id, definition) for rule_id, definition in rows]
    rules = tuple(replace(rule, order=i) for i, rule in enumerate([*admin, *catalogue.rules]))
    digest = hashlib.sha256(json.dumps([ENGINE, catalogue.digest, [list(r) for r in rows]], sort_keys=True,
                                       default=str).encode()).hexdigest()[:32]
    return Ruleset(rules, catalogue, digest)


def _stored_rule(rule_id: str, definition: dict) -> Rule:
    """A stored admin rule (validated when added; refused here only if the code's rules changed)."""
    rule, errors = parse_rule(definition)
    if rule is None:
        raise InvalidInput(f"stored admin rule {rule_id} is no longer valid; delete or fix it", errors)
    return rule
