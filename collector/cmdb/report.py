"""What an import says back: every problem by row and column, and what it would change."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ImportReport", "RowIssue", "RowPreview", "report_lines"]


@dataclass(frozen=True)
class RowIssue:
    """A problem with one cell, one row or the whole file.

    ``row`` is the row number a spreadsheet shows (the header is row 1), None for the file;
    ``column`` is the file's own header text, None when the problem is not one column's.
    """

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass(frozen=True)
class RowPreview:
    """One row's outcome: create, update (with the changed fields, old and new) or unchanged."""

    row: int
    action: str
    asset_tag: str | None
    serial: str | None
    changes: dict[str, list] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"row": self.row, "action": self.action, "asset_tag": self.asset_tag, "serial": self.serial,
                "changes": self.changes}


@dataclass
class ImportReport:
    """The outcome of an import or a dry run. With any error, nothing was (or would be) stored."""

    dry_run: bool
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # file header -> CI field
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    preview: list[RowPreview] = field(default_factory=list)
    batch: str | None = None  # import_batch of the CIs written (None for a dry run or a rejection)
    ci_ids: list[int] = field(default_factory=list)  # the CIs created or updated (for collector.facts)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "imported": self.ok and not self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "batch": self.batch,
            "columns": self.columns,
            "errors": [issue.as_dict() for issue in sorted(self.errors, key=_issue_order)],
            "warnings": [issue.as_dict() for issue in sorted(self.warnings, key=_issue_order)],
            "preview": [row.as_dict() for row in self.preview],
        }


def report_lines(report: ImportReport) -> list[str]:
    """The report as text for a terminal: every error, or the counts, warnings and preview."""
    if not report.ok:
        lines = [f"rejected: {len(report.errors)} problem(s); nothing was imported"]
        return lines + [f"  {issue}" for issue in sorted(report.errors, key=_issue_order)]
    counts = f"create {report.created}, update {report.updated}, unchanged {report.unchanged}"
    lines = [f"dry run, nothing stored: would {counts}" if report.dry_run else
             f"imported {report.rows} rows: {counts} (batch {report.batch})"]
    lines += [f"  warning: {issue}" for issue in sorted(report.warnings, key=_issue_order)]
    for row in report.preview if report.dry_run else []:
        lines.append(f"  row {row.row}: {row.action} {row.asset_tag or row.serial}")
        if row.action == "update":
            lines += [f"      {name}: {old!r} -> {new!r}" for name, (old, new) in row.changes.items()]
    return lines


def _issue_order(issue: RowIssue) -> tuple:
    return (issue.row or 0, issue.column or "", issue.message)
