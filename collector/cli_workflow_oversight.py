"""``stocktake-collector workflow breaches|sla-check|delegate|delegations|revoke-delegation|triggers``.

SLA breaches, delegated approvals and the automatic triggers from the shell, with the same
services and rules as the API (collector/workflows/sla.py, delegation.py, triggers.py).
"""

from __future__ import annotations

import json
from datetime import datetime

import click

from collector.cli_workflows import _actor, _run

pass_ctx = click.pass_obj

__all__ = ["add_commands"]


@click.command("breaches")
@click.option("--open", "open_only", is_flag=True, help="Only tasks still not done.")
@click.option("--template")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workflow_breaches(ctx, open_only: bool, template: str | None, limit: int, as_json: bool) -> None:
    """Workflow tasks whose SLA was breached, newest breach first."""
    from collector.workflows.sla import list_breaches

    with ctx.db.session() as session:
        items, total = list_breaches(session, open_only, template, 1, limit)
    if as_json:
        click.echo(json.dumps({"items": items, "total": total}, indent=2))
        return
    for item in items:
        click.echo(f"workflow {item['workflow']:<7} {item['template']:<22} {item['task']:<14} {item['stage']:<13} "
                   f"role {item['role']:<10} due {item['due_at']} breached {item['breached_at']}"
                   + (f" done {item['completed_at']}" if item["completed_at"] else " open"))
    click.echo(f"{total} breaches")


@click.command("sla-check")
@pass_ctx
def workflow_sla_check(ctx) -> None:
    """Record (and queue notifications for) every SLA breach due now, as the jobs leader does."""
    from collector.workflows.sla import breach_job

    click.echo(f"{breach_job(ctx.db, ctx.config)} new breaches")


def _when(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise click.ClickException(f"{name}: expected an ISO 8601 date-time with a time zone, got {value!r}")
    return parsed


@click.command("delegate")
@click.option("--as", "username", required=True, help="Who makes the delegation (the delegator, or an admin).")
@click.option("--to", "delegate", required=True, help="The active user who approves meanwhile.")
@click.option("--from", "starts_at", required=True, help="Start, e.g. 2026-12-20T00:00:00+00:00.")
@click.option("--until", "ends_at", required=True, help="End (exclusive).")
@click.option("--group", "approver_group", help="Only this approver group (default: all of the delegator's).")
@click.option("--for", "delegator", help="Admin only: whose approvals (default: --as).")
@pass_ctx
def workflow_delegate(ctx, username: str, delegate: str, starts_at: str, ends_at: str, approver_group: str | None,
                      delegator: str | None) -> None:
    """Delegate approvals to another user for a period."""
    from collector.workflows.delegation import create_delegation
    from collector.workflows.loading import templates_for

    start, end = _when(starts_at, "--from"), _when(ends_at, "--until")
    groups = templates_for(ctx.config).groups
    with ctx.db.write() as session:
        actor = _actor(session, username)
        row = _run(lambda: create_delegation(session, actor, delegate, start, end, groups, approver_group, delegator))
        session.flush()
        row_id = row.id
    click.echo(f"delegation {row_id} made")


@click.command("delegations")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workflow_delegations(ctx, as_json: bool) -> None:
    """Delegated approvals, newest first."""
    from collector.workflows.delegation import list_delegations

    with ctx.db.session() as session:
        items = list_delegations(session)
    if as_json:
        click.echo(json.dumps({"items": items}, indent=2))
        return
    for d in items:
        click.echo(f"{d['id']:<5} {d['delegate']} for {d['delegator']} ({d['approver_group'] or 'all groups'}) "
                   f"{d['starts_at']} .. {d['ends_at']}" + (f" revoked {d['revoked_at']}" if d["revoked_at"] else ""))


@click.command("revoke-delegation")
@click.argument("delegation_id", type=click.IntRange(1))
@click.option("--as", "username", required=True)
@pass_ctx
def workflow_revoke_delegation(ctx, delegation_id: int, username: str) -> None:
    """End a delegation now."""
    from collector.workflows.delegation import revoke_delegation

    with ctx.db.write() as session:
        actor = _actor(session, username)
        _run(lambda: revoke_delegation(session, delegation_id, actor))
    click.echo(f"delegation {delegation_id} revoked")


@click.command("triggers")
@click.option("--run", "run_now", is_flag=True, help="Run the schedule triggers now, as the jobs leader does.")
@pass_ctx
def workflow_triggers(ctx, run_now: bool) -> None:
    """The automatic triggers (workflow_triggers) and what each starts; warnings on stderr."""
    from collector.workflows.loading import templates_for
    from collector.workflows.trigger_config import configured_triggers
    from collector.workflows.triggers import run_scheduled_triggers, trigger_warnings

    for trigger, template in configured_triggers(ctx.config.workflow_triggers).items():
        click.echo(f"{trigger.value:<22} -> {template}")
    for warning in trigger_warnings(ctx.config, templates_for(ctx.config)):
        click.echo(f"warning: {warning}", err=True)
    if run_now:
        for trigger, result in run_scheduled_triggers(ctx.db, ctx.config).items():
            click.echo(f"{trigger}: {result.started} started, {result.skipped} skipped")


def add_commands(group: click.Group) -> None:
    for command in (workflow_breaches, workflow_sla_check, workflow_delegate, workflow_delegations,
                    workflow_revoke_delegation, workflow_triggers):
        group.add_command(command)
