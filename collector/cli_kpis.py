"""``stocktake-collector kpis``: the KPIs of GET /api/v1/kpis, as text, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys

import click

# Commands get the CLI's context object (collector.cli._Context: .config, .db) through click.
pass_ctx = click.pass_obj

__all__ = ["kpis"]


@click.command()
@click.option("--weeks", type=click.IntRange(1, 104), default=12, show_default=True,
              help="ISO weeks of audit-exception history, the current week last.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="csv: one row per figure (kpi, week, group, measure, value).")
@pass_ctx
def kpis(ctx, weeks: int, fmt: str) -> None:
    """Print the KPIs: % of CI records complete, and audit exceptions per week with their ageing.

    Definitions: collector/reports/kpis.py; required fields per CI class: the ci_required_fields
    table of the config (defaults in collector/reports/required_fields.py).
    """
    from collector.models import utcnow
    from collector.reports.kpis import compute_kpis, kpi_rows
    from collector.reports.required_fields import required_fields

    with ctx.db.session() as session:
        result = compute_kpis(session, utcnow(), weeks, required_fields(ctx.config.ci_required_fields))
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("kpi", "week", "group", "measure", "value"))
        writer.writerows(("" if v is None else v for v in row) for row in kpi_rows(result))
    else:
        click.echo("\n".join(_text(result)))


def _share(complete: int, total: int, percent: float | None) -> str:
    return f"{complete} of {total} ({'-' if percent is None else f'{percent}%'})"


def _text(result) -> list[str]:
    done = result.ci_completeness
    lines = [f"CI records complete: {_share(done.complete, done.cis, done.percent)}"]
    for cls in done.by_class:
        gaps = ", ".join(f"{name} {count}" for name, count in cls.missing.items())
        lines.append(f"  {cls.ci_class:<16} {_share(cls.complete, cls.cis, cls.percent)}"
                     + (f"; missing {gaps}" if gaps else ""))
    if done.most_missing:
        lines.append("  most often missing: " + ", ".join(f"{g.field} {g.cis}" for g in done.most_missing))
    exceptions = result.audit_exceptions
    lines.append(f"Audit exceptions per ISO week (opened/closed/open at the week's end), last {result.weeks} weeks:")
    lines.append(f"  {'week':<9} " + " ".join(f"{kind:>15}" for kind in exceptions.kinds))
    for week in exceptions.weeks:
        lines.append(f"  {week.week:<9} " + " ".join(
            f"{f'{week.opened[k]}/{week.closed[k]}/{week.open[k]}':>15}" for k in exceptions.kinds))
    lines.append("Open exceptions by age in days:")
    for bucket, per_kind in exceptions.ageing.items():
        lines.append(f"  {bucket:<6} {sum(per_kind.values()):>6}  "
                     + ", ".join(f"{kind} {count}" for kind, count in per_kind.items() if count))
    return lines
