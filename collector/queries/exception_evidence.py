"""An exception's evidence as small tables a person reads: what the register says beside what was observed.

Reconciliation stores evidence as JSON shaped per kind (collector/reconcile/outcomes.py): drift
keeps a list of differences, an unmanaged subject its identification and IP hint, a cloned
identity the machines that share it. Printed as-is that is ``['device', 99]`` and ``ip hint
None``; here each shape becomes rows of cells, and a cell that names a record carries its
reference so the page can link it. An unknown shape still renders, key by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from collector.models.reconcile import AuditException
from collector.queries.subjects import SubjectLabel, describe_subjects

__all__ = ["Cell", "EvidenceTable", "evidence_tables"]


@dataclass(frozen=True)
class Cell:
    """One value; ``label``: the record it names (the page links it)."""

    value: object = None
    label: SubjectLabel | None = None


@dataclass(frozen=True)
class EvidenceTable:
    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    row_headed: bool = False  # the first cell of each row names what the row is about


def _when(value) -> datetime | str | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _ref(value) -> tuple[str, int] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[1], int):
        return str(value[0]), value[1]
    return None


def _refs(evidence: dict) -> list[tuple[str, int]]:
    refs = [r for r in (_ref(evidence.get("subject")),) if r]
    refs += [("ci", i) for i in evidence.get("ci_ids") or () if isinstance(i, int)]
    refs += [("ci", a["ci_id"]) for a in evidence.get("also") or ()
             if isinstance(a, dict) and isinstance(a.get("ci_id"), int)]
    refs += [r for s in evidence.get("subjects") or () if isinstance(s, dict) and (r := _ref(s.get("subject")))]
    return refs


def _differences(evidence: dict) -> EvidenceTable:
    items = evidence.get("differences")
    if items is None:  # one difference stored flat
        items = [evidence]
    rows = [(Cell(str(d.get("attribute", "")).replace("_", " ")), Cell(d.get("cmdb", d.get("register"))),
             Cell(d.get("observed")), Cell(d.get("source")), Cell(d.get("from")))
            for d in items if isinstance(d, dict)]
    return EvidenceTable("Register / observed", ("Attribute", "Register", "Observed", "Source", "Observed in"), rows)


def _unmanaged(evidence: dict, subject: SubjectLabel | None) -> list[EvidenceTable]:
    rows = [(Cell("Record"), Cell("no CI"), Cell(subject.title if subject else None, subject))]
    rows += [(Cell(name), Cell(None), Cell(value)) for name, value in (subject.facts if subject else ())]
    if "ip_hint" in evidence and not any(name == "IP" for name, _ in (subject.facts if subject else ())):
        rows.append((Cell("IP"), Cell(None), Cell(evidence.get("ip_hint"))))
    rows.append((Cell("Last seen"), Cell(None), Cell(_when(evidence.get("last_seen_at")))))
    tables = [EvidenceTable("Register / observed", ("Fact", "Register", "Observed"), rows, row_headed=True)]
    if evidence.get("explanation"):
        tables.append(EvidenceTable("Why no CI matched", ("Identification",), [(Cell(evidence["explanation"]),)]))
    return tables


def _missing(evidence: dict) -> list[EvidenceTable]:
    seen = _when(evidence.get("last_seen_at"))
    rows = [(Cell("Status"), Cell(evidence.get("status")), Cell("seen" if seen else "never seen")),
            (Cell("Last seen"), Cell(None), Cell(seen or "never, by any agent or scan")),
            (Cell("Missing after"), Cell(f"{evidence.get('missing_after_days')} days without a sighting"), Cell(None))]
    return [EvidenceTable("Register / observed", ("Fact", "Register", "Observed"), rows, row_headed=True)]


def _cis(evidence: dict, labels: dict, caption: str) -> EvidenceTable:
    by = {a.get("ci_id"): a.get("by") for a in evidence.get("also") or () if isinstance(a, dict)}
    rows = []
    for ci_id in evidence.get("ci_ids") or ():
        label = labels.get(("ci", ci_id))
        rows.append((Cell(label.title if label else ci_id, label), Cell(", ".join(f"{k} {v}" for k, v in label.facts)
                                                                         if label else None), Cell(by.get(ci_id))))
    return EvidenceTable(caption, ("CI", "Register", "Also matched by"), rows)


def _matched(evidence: dict, subject: SubjectLabel | None, labels: dict) -> list[EvidenceTable]:
    caption = "CIs that describe this one machine" if "explanation" in evidence else "CIs this machine matches"
    tables = [_cis(evidence, labels, caption)]
    why = evidence.get("explanation") or evidence.get("matched")
    observed = [(Cell("Observed"), Cell(subject.text if subject else None, subject))]
    if why:
        observed.append((Cell("Identification"), Cell(why)))
    tables.append(EvidenceTable("Observed", ("Fact", "Value"), observed, row_headed=True))
    return tables


def _cloned(evidence: dict, labels: dict) -> list[EvidenceTable]:
    rows = []
    for item in evidence.get("subjects") or ():
        if not isinstance(item, dict):
            continue
        ref = _ref(item.get("subject"))
        label = labels.get(ref) if ref else None
        rows.append((Cell(label.title if label else item.get("hostname"), label), Cell(item.get("serial")),
                     Cell(item.get("macs") or []), Cell(item.get("seen"))))
    caption = f"Machines reporting {evidence.get('kind', 'identifier')} {evidence.get('identifier', '')}".strip()
    return [EvidenceTable(caption, ("Machine", "Serial", "MACs", "Seen in"), rows)]


def _generic(evidence: dict) -> list[EvidenceTable]:
    rows = [(Cell(str(key).replace("_", " ").capitalize()), Cell(_when(value) if key.endswith("_at") else value))
            for key, value in evidence.items()]
    return [EvidenceTable("Evidence", ("Fact", "Value"), rows, row_headed=True)] if rows else []


def evidence_tables(session: Session, exception: AuditException,
                    subject: SubjectLabel | None = None) -> list[EvidenceTable]:
    """The exception's evidence as tables (``subject``: its label when the caller already has it)."""
    evidence = exception.evidence if isinstance(exception.evidence, dict) else {"evidence": exception.evidence}
    labels = describe_subjects(session, _refs(evidence))
    ref = _ref(evidence.get("subject"))
    subject = subject or (labels.get(ref) if ref else None)
    if exception.kind == "drift" or "differences" in evidence:
        return [_differences(evidence)]
    if exception.kind == "unmanaged":
        return _unmanaged(evidence, subject)
    if exception.kind == "missing":
        return _missing(evidence)
    if exception.kind in ("duplicate", "conflict"):
        return _matched(evidence, subject, labels)
    if exception.kind == "cloned_identity":
        return _cloned(evidence, labels)
    return _generic(evidence)
