"""``stocktake-collector kpis``: the KPIs of GET /api/v1/kpis, as text, JSON or CSV, or the KPI
report file (CSV, XLSX, PDF) of GET /api/v1/kpis/export."""

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
              help="ISO weeks of history and trends, the current week last.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx", "pdf"]), default="text",
              show_default=True, help="csv: one row per figure (kpi, week, group, measure, value); xlsx and pdf "
                                      "are report files and need --output.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the KPI report file (csv, xlsx or pdf, with its provenance) here; its SHA-256 goes to "
                   "the audit log.")
@pass_ctx
def kpis(ctx, weeks: int, fmt: str, as_json: bool, output: str | None) -> None:
    """Print or export the six KPIs: % of CI records complete, audit exceptions per week with their
    ageing, workflow cycle time and approval time (median and p90 per template), on-time
    provisioning and disposal lead time, each with its per-ISO-week trend.

    Definitions: collector/reports/kpis.py and workflow_kpis.py; required fields per CI class: the
    ci_required_fields table of the config (defaults in collector/reports/required_fields.py).
    """
    from collector.models import utcnow
    from collector.reports.kpis import compute_kpis, kpi_rows
    from collector.reports.required_fields import required_fields

    fmt = "json" if as_json else fmt
    if fmt in ("xlsx", "pdf") and not output:
        raise click.UsageError(f"--format {fmt} writes a file: give --output PATH")
    if output and fmt not in ("csv", "xlsx", "pdf"):
        raise click.UsageError("--output writes a csv, xlsx or pdf report: choose one with --format")
    now = utcnow()
    with ctx.db.session() as session:
        result = compute_kpis(session, now, weeks, required_fields(ctx.config.ci_required_fields))
    if output:
        _export(ctx, result, fmt, output, now)
    elif fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("kpi", "week", "group", "measure", "value"))
        writer.writerows(("" if v is None else v for v in row) for row in kpi_rows(result))
    else:
        click.echo("\n".join(_text(result)))


def _export(ctx, result, fmt: str, output: str, now) -> None:
    import getpass

    from collector.access.audit_log import cli_actor
    from collector.reports.files import deliver_export
    from collector.reports.kpi_export import kpi_export

    export = kpi_export(result, f"stocktake-collector kpis ({getpass.getuser()})", now)
    with open(output, "w+b") as target:
        written = deliver_export(export, fmt, target, cli_actor(), ctx.db.write)
    click.echo(f"wrote {written.rows} rows to {output} ({written.size} bytes, sha256 {written.sha256}; "
               f"audit entry {written.entry_id}, data sha256 {written.data_sha256})")


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
    for title, kpi in (("Cycle time", result.cycle_time), ("Approval time", result.approval_time),
                       ("Disposal lead time", result.disposal_lead_time)):
        lines += _durations(title, kpi)
    lines += _on_time(result.on_time_provisioning)
    return lines


def _hours(value) -> str:
    return "-" if value is None else f"{value:g}"


def _durations(title: str, kpi) -> list[str]:
    """A table: the period per template, then the weekly trend (count, median, p90 in hours)."""
    lines = [f"{title} in hours (count / median / p90), last {len(kpi.weeks)} weeks:"]
    rows = [("all", kpi.overall)] + list(kpi.by_template.items())
    rows += [(week.week, week.overall) for week in kpi.weeks]
    lines += [f"  {group:<22} {d.count:>6} {_hours(d.median_hours):>10} {_hours(d.p90_hours):>10}" for group, d in rows]
    return lines


def _on_time(kpi) -> list[str]:
    lines = ["On-time provisioning (delivered by the need-by date / delivered, % on time, without need-by):"]
    rows = [("all", kpi.overall)] + list(kpi.by_template.items()) + [(w.week, w.overall) for w in kpi.weeks]
    lines += [f"  {group:<22} {s.on_time:>6}/{s.delivered:<6} {_hours(s.percent):>8}% {s.without_need_by:>6}"
              for group, s in rows]
    return lines
