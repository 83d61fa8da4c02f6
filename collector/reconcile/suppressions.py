"""Suppression rules: admins' decisions that an exception need not be raised, each owned and expiring.

A rule matches an exception's subject (a scanned device or an agent's machine) or, for the
CI-level kinds, the CI: by MAC or OUI prefix, IP network, device type and exception kind; every
matcher given must match. Adding and deleting go to the hash-chained audit log; an expired
rule is simply not loaded by the next run, so what it hid comes back.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entry
from collector.errors import FieldError, InvalidInput, NotFound
from collector.models import SuppressionRule, utcnow

__all__ = ["KINDS", "ActiveRule", "active_rules", "add_suppression", "delete_suppression", "list_suppressions",
           "suppression_view"]

# The reconciliation kinds a rule may name (collector/reconcile/store.py RECONCILE_KINDS).
KINDS = ("unmanaged", "missing", "drift", "duplicate", "conflict", "cloned_identity")
_FIELDS = ("mac_prefix", "ip_range", "device_type", "kind", "reason", "owner", "expires_at")
_MAC_PREFIX = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){2,5}")
_MAX_DAYS = 3 * 366  # a rule is a decision to revisit, not a permanent filter


@dataclass(frozen=True)
class ActiveRule:
    """A loaded, unexpired rule, matched in memory by a run."""

    id: int
    mac_prefix: str | None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    device_type: str | None
    kind: str | None
    reason: str
    owner: str

    def matches(self, kind: str, macs: frozenset[str], ip: str | None, device_type: str | None) -> bool:
        if self.kind and self.kind != kind:
            return False
        if self.mac_prefix and not any(mac.startswith(self.mac_prefix) for mac in macs):
            return False
        if self.device_type and self.device_type != device_type:
            return False
        if self.network is not None:
            try:
                return ip is not None and ipaddress.ip_address(ip) in self.network
            except ValueError:
                return False
        return True

    @property
    def label(self) -> str:
        return f"suppression rule {self.id} ({self.owner}: {self.reason})"


def active_rules(session: Session, now: datetime) -> list[ActiveRule]:
    rows = session.scalars(select(SuppressionRule).where(SuppressionRule.expires_at > now)
                           .order_by(SuppressionRule.id))
    return [ActiveRule(r.id, r.mac_prefix, ipaddress.ip_network(r.ip_range) if r.ip_range else None,
                       r.device_type, r.kind, r.reason, r.owner) for r in rows]


def add_suppression(session: Session, data: object, actor: Actor, now: datetime | None = None) -> SuppressionRule:
    """Validate (every problem at once) and store a rule; nothing is stored on error."""
    now = now or utcnow()
    values, errors = _parse(data, now)
    if errors:
        raise InvalidInput("invalid suppression rule", errors)
    row = SuppressionRule(**values, created_by=actor.username or actor.client, created_at=now)
    session.add(row)
    session.flush()
    append_entry(session, "suppression_rule_added", actor, f"suppression_rule:{row.id}", suppression_view(row))
    return row


def delete_suppression(session: Session, rule_id: int, actor: Actor) -> None:
    row = session.get(SuppressionRule, rule_id)
    if row is None:
        raise NotFound(f"no suppression rule {rule_id}")
    append_entry(session, "suppression_rule_deleted", actor, f"suppression_rule:{rule_id}", suppression_view(row))
    session.delete(row)
    session.flush()


def list_suppressions(session: Session, now: datetime, include_expired: bool = False) -> list[SuppressionRule]:
    query = select(SuppressionRule).order_by(SuppressionRule.id)
    if not include_expired:
        query = query.where(SuppressionRule.expires_at > now)
    return list(session.scalars(query))


def suppression_view(row: SuppressionRule) -> dict:
    return {"id": row.id, "mac_prefix": row.mac_prefix, "ip_range": row.ip_range, "device_type": row.device_type,
            "kind": row.kind, "reason": row.reason, "owner": row.owner,
            "expires_at": row.expires_at.isoformat(), "created_by": row.created_by,
            "created_at": row.created_at.isoformat() if row.created_at else None}


def _parse(data: object, now: datetime) -> tuple[dict, list[FieldError]]:
    if not isinstance(data, dict):
        return {}, [FieldError("rule", "must be an object")]
    errors = [FieldError(str(key), "unknown field") for key in data if key not in _FIELDS]
    values = {key: data.get(key) for key in _FIELDS}
    for key in _FIELDS:
        if values[key] is not None and not isinstance(values[key], str):
            errors.append(FieldError(key, "must be a string"))
            values[key] = ""  # refused already: not "required" as well
        elif isinstance(values[key], str):
            values[key] = values[key].strip() or None
    errors += _matcher_errors(values)
    for key, limit in (("reason", 2000), ("owner", 255)):
        if values[key] is None:
            errors.append(FieldError(key, "is required"))
        elif len(values[key]) > limit:
            errors.append(FieldError(key, f"must be at most {limit} characters"))
    if values["expires_at"] != "":
        values["expires_at"] = _expiry(values["expires_at"], now, errors)
    return values, errors


def _matcher_errors(values: dict) -> list[FieldError]:
    errors = []
    if not any(values[k] for k in ("mac_prefix", "ip_range", "device_type")):
        errors.append(FieldError("mac_prefix", "give at least one of mac_prefix, ip_range, device_type"))
    if values["mac_prefix"]:
        prefix = values["mac_prefix"].lower().replace("-", ":")
        if not _MAC_PREFIX.fullmatch(prefix):
            errors.append(FieldError("mac_prefix", "must be 3 to 6 octets such as 00:1b:a9 or 00:1b:a9:00:00:01"))
        values["mac_prefix"] = prefix
    if values["ip_range"]:
        try:
            values["ip_range"] = str(ipaddress.ip_network(values["ip_range"], strict=True))
        except ValueError as exc:
            errors.append(FieldError("ip_range", f"must be an IP network in CIDR form: {exc}"))
    if values["device_type"] and len(values["device_type"]) > 64:
        errors.append(FieldError("device_type", "must be at most 64 characters"))
    if values["kind"] and values["kind"] not in KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(KINDS)}"))
    return errors


def _expiry(raw: str | None, now: datetime, errors: list[FieldError]) -> datetime | None:
    if not raw:
        errors.append(FieldError("expires_at", "is required (an ISO 8601 date or time)"))
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError("expires_at", f"{raw!r} is not an ISO 8601 date or time"))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    if moment <= now:
        errors.append(FieldError("expires_at", "must be in the future"))
    elif moment > now + timedelta(days=_MAX_DAYS):
        errors.append(FieldError("expires_at", f"must be within {_MAX_DAYS} days"))
    return moment
