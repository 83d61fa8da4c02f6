"""Applying the exception scope to a run's outcomes: the unmanaged policy, then suppression rules.

What the run would raise and the scope says not to is taken out of the outcomes (so it is not
opened, and an open one is resolved with a note naming the policy or the rule) and recorded in
``quieted_exceptions`` with the reason: the discovered-node listing and the report read it.
Facts the in-memory subjects do not carry (a device's raw MAC, type and discovery methods, an
asset's NIC MACs and addresses) are read here for the subjects of candidate exceptions only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from collector.models import AssetNic, Device, QuietedException, ScanProfile
from collector.reconcile.outcomes import ExceptionSpec, Outcomes
from collector.reconcile.policy import POLICY_NAME, DeviceFacts, UnmanagedPolicy
from collector.reconcile.records import CiRecord
from collector.reconcile.suppressions import ActiveRule, active_rules

__all__ = ["ExceptionScope", "apply_scope", "load_scope", "write_quieted"]

log = logging.getLogger(__name__)
_CHUNK = 500
_Q = QuietedException.__table__
_IDS = bindparam("ids", expanding=True)
_DEVICE_FACTS = select(Device.id, Device.mac, Device.ip, Device.device_type, Device.found_by).where(Device.id.in_(_IDS))
_UNLINKED_FACTS = select(Device.id, Device.mac, Device.ip, Device.device_type, Device.found_by).where(
    Device.asset_id.is_(None))
_ONE_SCAN = 5000
_ASSET_NICS = select(AssetNic.asset_id, AssetNic.mac, AssetNic.ipv4).where(AssetNic.asset_id.in_(_IDS))
_CI_LEVEL = ("missing", "drift")


@dataclass(frozen=True)
class ExceptionScope:
    policy: UnmanagedPolicy | None
    rules: list[ActiveRule]


def load_scope(session: Session, policy: UnmanagedPolicy | None, now: datetime) -> ExceptionScope:
    """The policy with its scan profiles' ranges resolved, and the rules unexpired at ``now``."""
    if policy is not None and policy.quiet_scan_profiles:
        ranges = dict(session.execute(select(ScanProfile.name, ScanProfile.ranges)
                                      .where(ScanProfile.name.in_(policy.quiet_scan_profiles))).all())
        for name in sorted(set(policy.quiet_scan_profiles) - set(ranges)):
            log.warning("unmanaged_policy.quiet_scan_profiles names %r, which is no scan profile", name)
        policy = policy.with_profiles(ranges)
    return ExceptionScope(policy, active_rules(session, now))


@dataclass(frozen=True)
class _Facts:
    macs: frozenset[str]
    ip: str | None
    device_type: str | None
    device: DeviceFacts | None  # for the policy: scanned devices only


def apply_scope(session: Session, scope: ExceptionScope, outcomes: Outcomes, cis: dict[int, CiRecord]) -> None:
    """Move what the scope does not raise from ``outcomes.exceptions`` to ``outcomes.quieted``."""
    facts = _subject_facts(session, [s.subject for s in outcomes.exceptions.values() if s.subject])
    quieted, notes = [], {}
    for key, spec in list(outcomes.exceptions.items()):
        found = _verdict(scope, spec, facts, cis)
        if found is None:
            continue
        source, rule_id, reason = found
        del outcomes.exceptions[key]
        subject_type, subject_id = spec.subject if spec.subject else (None, None)
        quieted.append({"open_key": key, "kind": spec.kind, "ci_id": spec.ci_id, "subject_type": subject_type,
                        "subject_id": subject_id, "source": source, "rule_id": rule_id, "reason": reason,
                        "summary": spec.summary})
        notes[key] = f"not raised: {reason}"
    outcomes.quieted, outcomes.notes = quieted, notes


def _verdict(scope: ExceptionScope, spec: ExceptionSpec, facts: dict, cis: dict[int, CiRecord]):
    """("policy", None, reason), ("suppression", rule id, reason), or None to raise it."""
    subject = facts.get(spec.subject) if spec.subject and spec.kind not in _CI_LEVEL else None
    if subject is None and spec.ci_id in cis:
        ci = cis[spec.ci_id]
        subject = _Facts(ci.macs, ci.ip, ci.ci_class, None)
    if subject is None:
        return None
    if spec.kind == "unmanaged" and scope.policy is not None and subject.device is not None:
        reason = scope.policy.quiet_reason(subject.device)
        if reason:
            return "policy", None, f"{POLICY_NAME}: {reason}"
    for rule in scope.rules:
        if rule.matches(spec.kind, subject.macs, subject.ip, subject.device_type):
            return "suppression", rule.id, f"suppressed by {rule.label}"
    return None


def _subject_facts(session: Session, keys: list[tuple[str, int]]) -> dict[tuple[str, int], _Facts]:
    connection = session.connection()
    facts = _device_facts(connection, sorted({i for t, i in keys if t == "device"}))
    assets = sorted({i for t, i in keys if t == "asset"})
    nics: dict[int, tuple[set, list]] = {}
    for start in range(0, len(assets), _CHUNK):
        for asset_id, mac, ipv4 in connection.execute(_ASSET_NICS, {"ids": assets[start:start + _CHUNK]}).all():
            macs, ips = nics.setdefault(asset_id, (set(), []))
            macs.update({mac} if mac else ())
            ips.extend(ipv4 or ())
    for asset_id in assets:
        macs, ips = nics.get(asset_id, (set(), []))
        facts[("asset", asset_id)] = _Facts(frozenset(macs), ips[0] if ips else None, None, None)
    return facts


def _device_facts(connection: Connection, devices: list[int]) -> dict[tuple[str, int], _Facts]:
    if len(devices) > _ONE_SCAN:  # a full run on a campus: one scan beats a hundred round trips
        wanted = set(devices)
        batches = [[row for row in connection.execute(_UNLINKED_FACTS).all() if row.id in wanted]]
    else:
        batches = (connection.execute(_DEVICE_FACTS, {"ids": devices[start:start + _CHUNK]}).all()
                   for start in range(0, len(devices), _CHUNK))
    facts = {}
    for batch in batches:
        for row in batch:
            device = DeviceFacts(row.mac, row.ip, row.device_type, frozenset(row.found_by or ()))
            facts[("device", row.id)] = _Facts(frozenset({row.mac} if row.mac else ()), row.ip, row.device_type, device)
    return facts


def write_quieted(connection: Connection, outcomes: Outcomes, run_id: int, now: datetime, ci_ids: set[int] | None,
                  subjects: set[tuple[str, int]] | None) -> None:
    """Diff the quieted rows the run judged (all on a full run; an incremental run's CIs, subjects
    and keys) against its answer: an unchanged fleet costs a read, not 50,000 rewrites."""
    stored = _stored(connection, outcomes, ci_ids, subjects)
    inserts, updates = [], []
    for row in outcomes.quieted:
        old = stored.pop(row["open_key"], None)
        if old is None:
            inserts.append({**row, "run_id": run_id, "updated_at": now})
        elif tuple(old)[1:-1] != tuple(row[c] for c in _COMPARED):
            updates.append({"b_id": old.id, **{c: row[c] for c in _COMPARED}, "run_id": run_id, "updated_at": now})
    gone = sorted(row.id for row in stored.values())
    for start in range(0, len(gone), _CHUNK):
        connection.execute(delete(_Q).where(_Q.c.id.in_(gone[start:start + _CHUNK])))
    for start in range(0, len(inserts), _CHUNK):
        connection.execute(insert(_Q), inserts[start:start + _CHUNK])
    if updates:
        connection.execute(_UPDATE, updates)


_COMPARED = ("kind", "ci_id", "subject_type", "subject_id", "source", "rule_id", "reason", "summary")
_STORED = select(_Q.c.id, *(_Q.c[c] for c in _COMPARED), _Q.c.open_key)
_UPDATE = update(_Q).where(_Q.c.id == bindparam("b_id")).values(
    **{c: bindparam(c) for c in _COMPARED}, run_id=bindparam("run_id"), updated_at=bindparam("updated_at"))


def _stored(connection: Connection, outcomes: Outcomes, ci_ids: set[int] | None,
            subjects: set[tuple[str, int]] | None) -> dict:
    if ci_ids is None:
        return {row.open_key: row for row in connection.execute(_STORED)}
    found = {}
    keys = sorted({row["open_key"] for row in outcomes.quieted} | set(outcomes.exceptions))
    batches = [(lambda chunk: _Q.c.open_key.in_(chunk), keys),
               (lambda chunk: _Q.c.kind.in_(_CI_LEVEL) & _Q.c.ci_id.in_(chunk), sorted(ci_ids))]
    for kind in ("asset", "device"):
        ids = sorted(i for t, i in subjects if t == kind)
        batches.append((lambda chunk, kind=kind: (_Q.c.subject_type == kind) & _Q.c.kind.not_in(_CI_LEVEL)
                        & _Q.c.subject_id.in_(chunk), ids))
    for condition, values in batches:
        for start in range(0, len(values), _CHUNK):
            found.update((row.open_key, row) for row in connection.execute(
                _STORED.where(condition(values[start:start + _CHUNK]))))
    return found
