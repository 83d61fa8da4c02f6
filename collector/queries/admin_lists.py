"""The admins' lists: enrolled agents (one per machine, so as long as the fleet: paged in SQL),
people and suppression rules (short: sorted in Python by the shared rules)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collector.models import Agent, SuppressionRule, User
from collector.queries.ordering import Sort, order_clauses, sort_rows

__all__ = ["AGENT_SORTS", "RULE_SORTS", "USER_SORTS", "AgentPage", "agent_page", "sorted_rules", "sorted_users"]

AGENT_SORTS = {"hostname": Agent.hostname, "platform": Agent.platform, "version": Agent.agent_version,
               "state": case((Agent.revoked_at.is_(None), 0), else_=1), "last_seen": Agent.last_seen_at,
               "last_checkin": Agent.last_checkin_at, "spool": Agent.spool_depth}
USER_SORTS = {"username": lambda u: u.username, "role": lambda u: u.role,
              "state": lambda u: u.disabled_at is not None, "last_login": lambda u: u.last_login_at,
              "failed_logins": lambda u: u.failed_logins}
RULE_SORTS = {"id": lambda r: r.id, "mac_prefix": lambda r: r.mac_prefix, "ip_range": lambda r: r.ip_range,
              "device_type": lambda r: r.device_type, "kind": lambda r: r.kind, "owner": lambda r: r.owner,
              "expires": lambda r: r.expires_at}


@dataclass(frozen=True)
class AgentPage:
    rows: list[Agent]
    total: int


def agent_page(session: Session, sort: Sort, page: int, per_page: int) -> AgentPage:
    total = session.scalar(select(func.count()).select_from(Agent)) or 0
    rows = session.scalars(select(Agent).order_by(*order_clauses(AGENT_SORTS, sort, Agent.id))
                           .limit(per_page).offset((page - 1) * per_page))
    return AgentPage(list(rows), total)


def sorted_users(users: list[User], sort: Sort) -> list[User]:
    return sort_rows(users, USER_SORTS, sort, lambda u: u.id)


def sorted_rules(rules: list[SuppressionRule], sort: Sort) -> list[SuppressionRule]:
    return sort_rows(rules, RULE_SORTS, sort, lambda r: r.id)
