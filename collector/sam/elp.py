"""The Effective License Position (ELP): what an auditor or a software vendor asks for.

For one publisher (or all), as of the latest finished position run: every product's position
per metric (entitled, consumed, allocated, balance, the money short and in surplus, and how
the numbers were reached in words), then the evidence rows behind the consumption (device,
user, version, units, reason, first and last seen, the agent report), then totals. Written as
CSV, XLSX or PDF (collector/sam/elp_files.py); the file's SHA-256 goes to the audit log with
the scope and run, like every other export (collector/reports/exports.py ``record_export``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import BinaryIO

from sqlalchemy.orm import Session

from collector.access.audit_log import Actor
from collector.models import utcnow
from collector.reports.exports import Export, record_export
from collector.sam.reading import (PositionFilters, as_of_text, iter_consumption, latest_run, list_positions,
                                   position_status)

__all__ = ["ELP_FORMATS", "EVIDENCE_HEADERS", "POSITION_HEADERS", "ElpFile", "ElpReport", "build_elp", "explain",
           "export_elp", "record_elp", "write_elp"]

ELP_FORMATS = ("csv", "xlsx", "pdf")
POSITION_HEADERS = ("Publisher", "Product", "Edition", "Metric", "Entitled", "Consumed", "Allocated", "Balance",
                    "Status", "Unit cost", "Shortfall cost", "Surplus cost", "Currency", "Explanation")
EVIDENCE_HEADERS = ("Publisher", "Product", "Edition", "Metric", "Device", "CI id", "Asset id", "User", "Version",
                    "Units", "Reason", "First seen", "Last seen", "Report id")
_POSITION_WIDTHS = (9, 11, 7, 9, 5, 6, 6, 5, 5, 5, 6, 6, 5, 31)
_EVIDENCE_WIDTHS = (8, 10, 6, 9, 11, 4, 4, 8, 7, 4, 20, 10, 10, 5)


def explain(explanation: dict | None, entitled: int | None, consumed: int, balance: int | None) -> str:
    """A position's explanation in words: the computation's own text when it gave one, its
    figures otherwise, and at least the arithmetic."""
    explanation = explanation or {}
    for key in ("text", "summary", "words", "explanation"):
        if isinstance(explanation.get(key), str) and explanation[key].strip():
            return explanation[key].strip()
    parts = [f"{key.replace('_', ' ')}: {value}" for key, value in explanation.items()]
    if entitled is None:
        parts.append(f"unlimited licence; {consumed} consumed")
    elif not parts:
        parts.append(f"{entitled} entitled − {consumed} consumed = {balance}")
    return "; ".join(parts)


@dataclass
class _Totals:
    """Running totals: money per currency from the positions, evidence rows and units as they stream."""

    shortfall: dict[str, Decimal] = field(default_factory=dict)
    surplus: dict[str, Decimal] = field(default_factory=dict)
    positions: int = 0
    short: int = 0
    evidence_rows: int = 0
    units: int = 0

    def add_position(self, position) -> None:
        self.positions += 1
        self.short += position.balance is not None and position.balance < 0
        for bucket, amount in ((self.shortfall, position.shortfall_cost), (self.surplus, position.surplus_cost)):
            bucket[position.currency] = bucket.get(position.currency, Decimal(0)) + Decimal(amount or 0)

    def money_rows(self) -> list[tuple[str, Decimal, Decimal]]:
        currencies = sorted(set(self.shortfall) | set(self.surplus))
        return [(c, self.shortfall.get(c, Decimal(0)), self.surplus.get(c, Decimal(0))) for c in currencies]

    def words(self) -> str:
        money = "; ".join(f"{currency} shortfall {short:.2f}, surplus {surplus:.2f}"
                          for currency, short, surplus in self.money_rows())
        return f"{self.positions} positions, {self.short} short" + (f"; {money}" if money else "")


@dataclass(frozen=True)
class ElpReport:
    """The ELP of one scope: the positions table and the evidence table, as two exports sharing
    one provenance (scope, as-of time, run), and the totals filled in as the rows are written."""

    publisher: str | None
    run_id: int | None
    as_of: datetime | None
    positions: Export
    evidence: Export
    totals: _Totals

    @property
    def scope(self) -> str:
        return self.publisher or "all publishers"

    @property
    def file_stem(self) -> str:
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.scope.lower()).strip("-")[:40] or "scope"
        return f"stocktake-elp-{slug}-{self.positions.generated_at:%Y%m%dT%H%M%SZ}"


def _position_row(row) -> tuple:
    position, publisher, name, edition = row
    return (publisher, name, edition or None, position.metric, position.entitled, position.consumed,
            position.allocated, position.balance, position_status(position.balance), position.unit_cost,
            Decimal(position.shortfall_cost or 0), Decimal(position.surplus_cost or 0), position.currency,
            explain(position.explanation, position.entitled, position.consumed, position.balance))


def build_elp(session: Session, publisher: str | None, by: str, now: datetime | None = None) -> ElpReport:
    """The report for a scope, reading the latest finished run (an empty report says there is none)."""
    now = now or utcnow()
    run = latest_run(session)
    rows = [] if run is None else list_positions(session, run.id, PositionFilters(publisher=publisher))
    totals = _Totals()
    for row in rows:
        totals.add_position(row[0])
    names = {row[0].product_id: (row[1], row[2], row[3] or None) for row in rows}
    product_ids = list(dict.fromkeys(row[0].product_id for row in rows))

    def evidence() -> Iterator[tuple]:
        totals.evidence_rows = totals.units = 0  # each file written from the report counts afresh
        for r in ([] if run is None else iter_consumption(session, run.id, product_ids)):
            totals.evidence_rows += 1
            totals.units += r.units or 0
            yield (*names[r.product_id], r.metric, r.device, r.ci_id, r.asset_id, r.user, r.version, r.units,
                   r.reason, r.first_seen_at, r.last_seen_at, r.observation_id)

    filters = {"publisher": publisher or "all", "run": str(run.id) if run else "none"}
    notes = {"Scope": publisher or "all publishers", "As of": as_of_text(run), "Totals": totals.words()}
    positions = Export("sam-elp", "Effective License Position", POSITION_HEADERS,
                       lambda: (_position_row(row) for row in rows), now, by, filters, notes, _POSITION_WIDTHS)
    evidence_export = Export("sam-elp-evidence", "ELP evidence", EVIDENCE_HEADERS, evidence, now, by, filters,
                             notes, _EVIDENCE_WIDTHS)
    return ElpReport(publisher, run.id if run else None, run.as_of if run else None, positions, evidence_export,
                     totals)


@dataclass(frozen=True)
class ElpFile:
    """A written ELP file: its name, media type, size, SHA-256 and the rows in it."""

    filename: str
    media_type: str
    sha256: str
    size: int
    rows: int


def write_elp(report: ElpReport, fmt: str, target: BinaryIO) -> ElpFile:
    """Write at the target's position (a seekable file) and hash what was written."""
    from collector.sam import elp_files

    return elp_files.write(report, fmt, target)


def record_elp(session: Session, report: ElpReport, fmt: str, written: ElpFile, actor: Actor) -> None:
    """The audit entry for a delivered ELP file (scope and run in ``filters``)."""
    record_export(session, report.positions, fmt, actor, written.sha256, written.rows, written.size)


def export_elp(session: Session, *, publisher: str | None, fmt: str, actor: Actor, target: BinaryIO,
               now: datetime | None = None) -> ElpFile:
    """Build, write and audit in the caller's session (the CLI's; the API reads and records apart)."""
    report = build_elp(session, publisher, _by(actor), now)
    written = write_elp(report, fmt, target)
    record_elp(session, report, fmt, written, actor)
    return written


def _by(actor: Actor) -> str:
    return actor.username or actor.client or "unknown"
