"""``stocktake-collector reconcile`` and ``jobs``: run reconciliation by hand or on a schedule."""

from __future__ import annotations

import json

import click

# Commands get the CLI's context object (collector.cli._Context: .config, .db) through click,
# so this module does not import collector.cli (which registers these commands).
pass_ctx = click.pass_obj

__all__ = ["jobs", "reconcile"]


def _print_report(report, rows: bool) -> None:
    run = report.run
    if run:
        took = f" in {run['duration_ms']} ms" if run.get("duration_ms") is not None else ""
        click.echo(f"last run {run['id']} ({run['mode']}) finished {run['finished_at']}{took}: {run['subjects']} subjects")
    click.echo("outcomes:        " + ", ".join(f"{k} {v}" for k, v in report.outcome_counts.items()))
    click.echo("open exceptions: " + ", ".join(f"{k} {v}" for k, v in report.open_exceptions.items()))
    click.echo(f"not raised:      {report.quieted['policy']} by the unmanaged policy (discovered nodes), "
               f"{report.quieted['suppression']} suppressed by rules")
    if rows:
        for row in report.rows:
            name = row.get("subject_name") or ""
            target = row["asset_tag"] or (f"CI {row['ci_id']}" if row["ci_id"] else "-")
            click.echo(f"{row['outcome']:<10} {row['subject_type']} {row['subject_id']:<7} {name:<24.24} -> {target:<16} "
                       f"{row['explanation']}")
            for quiet in row.get("quieted", ()):
                click.echo(f"{'':<10} {quiet['kind']} not raised: {quiet['reason']}")


@click.command()
@click.option("--dry-run", is_flag=True, help="Compute and print the outcome counts without writing anything.")
@click.option("--explain", "explain_ref", metavar="CI", help="Explain one CI (asset tag or id) instead of running.")
@click.option("--rows", type=click.IntRange(0, 1_000_000), default=0, show_default=True,
              help="Also print this many report rows (one per observed machine or device).")
@click.option("--outcome", type=click.Choice(["matched", "unmanaged", "duplicate"]), help="Only rows with this outcome.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_ctx
def reconcile(ctx, dry_run: bool, explain_ref: str | None, rows: int, outcome: str | None,
              as_json: bool) -> None:
    """Reconcile observations with the CMDB (a full run) and print the reconciliation report.

    Matches each agent asset and scanned device to a CI by the identification rules, works
    out the authoritative values, and opens or resolves audit exceptions (unmanaged,
    missing, drift, duplicate, conflict, cloned identity).
    """
    from collector.access.audit_log import cli_actor
    from collector.facts import reconcile_all
    from collector.models import utcnow
    from collector.reconcile.report import explain_ci, find_ci, reconciliation_report
    from collector.reconcile.rules import RulesError

    if explain_ref:
        with ctx.db.session() as session:
            ci = find_ci(session, explain_ref)
            if ci is None:
                raise click.ClickException(f"no CI with asset tag or id {explain_ref!r}")
            explanation = explain_ci(session, ci)
        click.echo(json.dumps(explanation, indent=2) if as_json else _explain_text(explanation))
        return
    try:
        result = reconcile_all(ctx.db, ctx.config, utcnow(), dry_run=dry_run, actor=cli_actor())
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None
    if result is None:
        raise click.ClickException("another reconciliation run holds the lock; try again when it finishes")
    if dry_run:
        click.echo(json.dumps(result.counts, indent=2) if as_json else
                   "dry run (nothing written): " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
        return
    with ctx.db.session() as session:
        report = reconciliation_report(session, outcome, 1, max(rows, 1))
    if as_json:
        click.echo(json.dumps({"run": report.run, "outcomes": report.outcome_counts,
                               "open_exceptions": report.open_exceptions, "quieted": report.quieted,
                               "items": report.rows[:rows]}, indent=2))
        return
    click.echo(f"run {result.run_id}: {result.opened} exceptions opened, {result.resolved} resolved"
               f" in {result.duration_ms} ms")
    _print_report(report, rows > 0)


def _explain_text(explanation: dict) -> str:
    ci = explanation["ci"]
    lines = [f"CI {ci['id']} {ci['asset_tag'] or ''} ({ci['class']}, {ci['status']}): serial {ci['serial'] or '-'}, "
             f"host name {ci['hostname'] or '-'}"]
    lines += [f"  matched {m['subject_type']} {m['subject_id']} {m.get('subject_name') or ''}: {m['explanation']}"
              for m in explanation["matches"]] or ["  no observation matches this CI"]
    for attribute, value in explanation["observed"].items():
        lines.append(f"  {attribute}: {value['value']} (from {value['source']}"
                     + (f", seen {value['seen_at']})" if value["seen_at"] else ")"))
    for exception in explanation["exceptions"]:
        lines.append(f"  [{exception['status']}] {exception['kind']}: {exception['summary']}")
    return "\n".join(lines)


@click.command()
@click.option("--once", is_flag=True, help="Run every job once and exit (for a systemd timer or cron).")
@pass_ctx
def jobs(ctx, once: bool) -> None:
    """Run the scheduled jobs: full reconciliation every reconcile_interval_s, notifications every notify_interval_s.

    Run one per collector node: exactly one of them schedules (it holds the jobs lease: an
    advisory lock on PostgreSQL, a file lock on SQLite); the others stand by and take over
    within jobs_standby_poll_s when it stops.
    """
    from collector.jobs import run_jobs

    run_jobs(ctx.db, ctx.config, once=once)
