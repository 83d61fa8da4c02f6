"""From identifications to what the CMDB should say and what someone must look at.

Per CI: the authoritative value of each attribute by source precedence (fresh values
first), drift where the register disagrees with it, missing when a deployed CI has not
been seen, a retired CI that still reports. Per subject: unmanaged, duplicate, conflict.
Across the fleet: cloned identities. Each exception is keyed so that one stays open per
(CI or subject, kind); everything is sorted so the same inputs give the same outputs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collector.reconcile.matching import FleetFacts, Identification
from collector.reconcile.ports import same_place
from collector.reconcile.records import CiRecord, Subject, serial_key, vendor_key
from collector.reconcile.rules import ReconcileRules

__all__ = ["Outcomes", "ExceptionSpec", "evaluate"]


@dataclass(frozen=True)
class ExceptionSpec:
    key: str  # the open_key: at most one open exception per key
    kind: str
    ci_id: int | None
    subject: tuple[str, int] | None
    summary: str
    evidence: dict


@dataclass
class Outcomes:
    matches: dict[tuple[str, int], Identification] = field(default_factory=dict)
    states: dict[int, dict] = field(default_factory=dict)  # ci_id -> {"observed": {...}, "last_seen_at": dt}
    exceptions: dict[str, ExceptionSpec] = field(default_factory=dict)
    # Set by the exception scope (collector/reconcile/scoping.py): what was not raised and why, and
    # per open_key the note an open exception of that key is resolved with.
    quieted: list[dict] | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, spec: ExceptionSpec) -> None:
        self.exceptions[spec.key] = spec

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for identification in self.matches.values():
            counts[identification.outcome] += 1
        for spec in self.exceptions.values():
            counts[f"exceptions.{spec.kind}"] += 1
        for row in self.quieted or ():
            counts[f"quieted.{row['source']}"] += 1
        return dict(sorted(counts.items()))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _same(attribute: str, a, b) -> bool:
    if attribute == "serial":
        return serial_key(a) == serial_key(b)
    if attribute == "vendor":
        return vendor_key(a) == vendor_key(b)
    if attribute == "hostname":
        return a.split(".")[0].casefold() == b.split(".")[0].casefold()
    a, b = " ".join(str(a).split()).casefold(), " ".join(str(b).split()).casefold()
    if attribute == "model":  # "HP LaserJet M404dn" (SNMP) is the register's "LaserJet M404dn"
        return a == b or a.endswith(" " + b) or b.endswith(" " + a)
    if attribute == "location":
        return same_place(a, b)
    return a == b


def _source(subject: Subject, attribute: str) -> str:
    """What vouches for the subject's value of ``attribute``: its own source, except a location
    read from a switch port (reconcile/ports.py)."""
    if attribute == "location" and subject.location_source:
        return subject.location_source
    return subject.source


class _Judge:
    """Per CI, in one pass per attribute: the authoritative value (best-ranked fresh source; a stale
    observed value yields to any fresher lower source; the register never goes stale) and the best
    fresh observed value that drift compares with the register."""

    def __init__(self, rules: ReconcileRules, now: datetime) -> None:
        self.rules = rules
        self.stale_before = now - timedelta(days=rules.stale_after_days)
        self.ranks = {attribute: rules.ranks(attribute) for attribute in rules.precedence}
        self.drift = set(rules.drift_attributes)
        self.attributes = sorted(set(self.ranks) | self.drift)
        self._iso: dict[datetime, str] = {}

    def judge(self, ci: CiRecord, subjects: list[Subject]) -> tuple[dict, list[dict]]:
        """``observed``: attribute -> [value, source, seen_at ISO or None]; ``differences``: the drift items."""
        if len(subjects) <= 1:
            return self._judge_one(ci, subjects[0] if subjects else None)
        observed, differences = {}, []
        stale_before = self.stale_before
        # Each subject's standing, computed once: (stale?, newest first, stable tie-break).
        standing = [(subject, subject.last_seen_at < stale_before, -subject.last_seen_at.timestamp())
                    for subject in subjects]
        for attribute in self.attributes:
            ranks = self.ranks.get(attribute, {})
            best = observed_best = None
            for subject, stale, newest in standing:
                value = getattr(subject, attribute)
                if not value:
                    continue
                source = _source(subject, attribute)
                rank = ranks.get(source)
                order = (stale, 99 if rank is None else rank, newest, subject.key)
                if rank is not None and (best is None or order < best[0]):
                    best = (order, value, subject)
                if not stale and (observed_best is None or order < observed_best[0]):
                    observed_best = (order, value, subject)
            register = getattr(ci, attribute)
            if attribute in self.ranks:
                cmdb_rank = ranks.get("cmdb")
                if register and cmdb_rank is not None and (best is None or (False, cmdb_rank) < best[0][:2]):
                    observed[attribute] = [register, "cmdb", None]
                elif best is not None:
                    _, value, subject = best
                    observed[attribute] = [value, _source(subject, attribute), self.iso(subject.last_seen_at)]
            if register and observed_best is not None and attribute in self.drift:
                _, value, subject = observed_best
                if not _same(attribute, register, value):
                    differences.append({"attribute": attribute, "cmdb": register, "observed": value,
                                        "source": _source(subject, attribute), "from": subject.evidence})
        return observed, differences

    def _judge_one(self, ci: CiRecord, subject: Subject | None) -> tuple[dict, list[dict]]:
        """The same rules as ``judge`` for the common CI seen by one subject (or none), without the sorting."""
        observed, differences = {}, []
        fresh = subject is not None and subject.last_seen_at >= self.stale_before
        for attribute in self.attributes:
            register = getattr(ci, attribute)
            value = getattr(subject, attribute) if subject is not None else None
            ranks = self.ranks.get(attribute)
            source = None
            if value:  # inline _source: this loop runs for every CI and attribute
                source = (subject.location_source or subject.source) if attribute == "location" else subject.source
            if ranks is not None:
                rank, cmdb_rank = (ranks.get(source) if value else None), ranks.get("cmdb")
                if register and cmdb_rank is not None and (rank is None or not fresh or cmdb_rank < rank):
                    observed[attribute] = [register, "cmdb", None]
                elif rank is not None:
                    observed[attribute] = [value, source, self.iso(subject.last_seen_at)]
            if register and value and fresh and attribute in self.drift and not _same(attribute, register, value):
                differences.append({"attribute": attribute, "cmdb": register, "observed": value,
                                    "source": source, "from": subject.evidence})
        return observed, differences

    def iso(self, moment: datetime) -> str:
        text = self._iso.get(moment)
        if text is None:
            text = self._iso[moment] = _iso(moment)
        return text


def evaluate(subjects: list[Subject], identifications: dict[tuple[str, int], Identification], cis: list[CiRecord],
             facts: FleetFacts, rules: ReconcileRules, now: datetime) -> Outcomes:
    """Every outcome for ``cis`` and ``subjects`` (the whole fleet, or the slice an incremental run owns)."""
    outcomes = Outcomes(matches=dict(sorted(identifications.items())))
    by_ci: dict[int, list[Subject]] = defaultdict(list)
    claimed: dict[int, list[Subject]] = defaultdict(list)  # seen, though which CI is in doubt (duplicates)
    subject_by_key = {s.key: s for s in subjects}
    fresh_after = now - timedelta(days=rules.missing_after_days)
    for key, identification in outcomes.matches.items():
        subject = subject_by_key[key]
        if identification.outcome == "matched":
            by_ci[identification.ci.id].append(subject)
            for reason, other in identification.conflicts:
                outcomes.add(ExceptionSpec(
                    f"conflict:ci:{identification.ci.id}", "conflict", identification.ci.id, key,
                    f"{subject.kind} {subject.id} matches {identification.ci.label} and also {other.label}",
                    {"subject": list(key), "matched": identification.explanation,
                     "ci_ids": [identification.ci.id, other.id], "also": [{"ci_id": other.id, "by": reason}]}))
        elif identification.outcome == "duplicate":
            for ci in identification.duplicates:
                claimed[ci.id].append(subject)
            first = identification.duplicates[0]
            outcomes.add(ExceptionSpec(
                f"duplicate:ci:{first.id}", "duplicate", first.id, key,
                f"{len(identification.duplicates)} CIs describe one device: "
                + ", ".join(ci.label for ci in identification.duplicates),
                {"ci_ids": [ci.id for ci in identification.duplicates], "subject": list(key),
                 "explanation": identification.explanation}))
        elif subject.last_seen_at >= fresh_after:
            outcomes.add(ExceptionSpec(
                f"unmanaged:{subject.kind}:{subject.id}", "unmanaged", None, key,
                f"{subject.kind} {subject.id} ({subject.hostname or subject.ip or subject.serial or 'unnamed'})"
                f" is on the network but in no CI",
                {"subject": list(key), "explanation": identification.explanation,
                 "ip_hint": subject.ip, "last_seen_at": _iso(subject.last_seen_at)}))
    judge = _Judge(rules, now)
    for ci in sorted(cis, key=lambda c: c.id):
        # A duplicate's subject is judged against each CI that claims it: the register rows may all drift.
        seen = sorted(by_ci.get(ci.id, []) + claimed.get(ci.id, []), key=lambda s: s.key)
        last_seen = max((s.last_seen_at for s in seen), default=None)
        observed, differences = judge.judge(ci, seen)
        outcomes.states[ci.id] = {"observed": observed, "last_seen_at": last_seen}
        _ci_exceptions(outcomes, ci, seen, last_seen, differences, rules, fresh_after)
    for kind, groups in (("uuid", facts.cloned_uuids), ("serial", facts.cloned_serials)):
        for identifier, group in sorted(groups.items()):
            outcomes.add(ExceptionSpec(
                f"cloned_identity:{kind}:{identifier}", "cloned_identity", None, group[0].key,
                f"{kind} {identifier} is reported by {len(group)} distinct machines",
                {"identifier": identifier, "kind": kind,
                 "subjects": [{"subject": list(s.key), "hostname": s.hostname, "serial": s.serial,
                               "macs": sorted(s.macs), "seen": s.evidence} for s in group]}))
    outcomes.exceptions = dict(sorted(outcomes.exceptions.items()))
    return outcomes


def _ci_exceptions(outcomes: Outcomes, ci: CiRecord, seen: list[Subject], last_seen, differences: list[dict],
                   rules: ReconcileRules, fresh_after: datetime) -> None:
    recently = last_seen is not None and last_seen >= fresh_after
    if ci.status == "deployed" and not recently:
        when = f"last seen {_iso(last_seen)}" if last_seen else "never seen by any agent or scan"
        outcomes.add(ExceptionSpec(f"missing:ci:{ci.id}", "missing", ci.id, None,
                                   f"{ci.label} is deployed but {when}",
                                   {"status": ci.status, "last_seen_at": last_seen and _iso(last_seen),
                                    "missing_after_days": rules.missing_after_days}))
    if ci.status in rules.retired_statuses and recently and seen:
        latest = max(seen, key=lambda s: (s.last_seen_at, s.key))
        differences.append({"attribute": "status", "cmdb": ci.status, "observed": "reporting",
                            "source": latest.source, "from": latest.evidence})
    if differences:
        names = ", ".join(d["attribute"] for d in differences)
        outcomes.add(ExceptionSpec(f"drift:ci:{ci.id}", "drift", ci.id, None,
                                   f"{ci.label}: the register differs from what was observed ({names})",
                                   {"differences": differences}))
