"""``stocktake-collector sam positions|reclaim|renewals``: licence positions and what follows from them."""

from __future__ import annotations

import json

import click

pass_ctx = click.pass_obj  # the CLI's context object (collector.cli._Context: .config, .db)

__all__ = ["add_commands"]

RECLAIM_MAX = 10_000  # rows the reclaim command prints


def _money(value) -> str:
    return "-" if value in (None, "0", "0.00") else str(value)


def _latest(session):
    from collector.sam.positions import latest_run

    run = latest_run(session)
    if run is None:
        raise click.ClickException("no licence position has been computed yet (sam positions --run)")
    return run


@click.command()
@click.option("--run", "compute", is_flag=True, help="Compute the positions now (then raise workflows).")
@click.option("--publisher", help="Only this publisher's products.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_ctx
def positions(ctx, compute: bool, publisher: str | None, as_json: bool) -> None:
    """The effective licence position per product and metric: entitled, consumed, balance, money."""
    from collector.sam.positions import position_row, positions_of
    from collector.sam.run import run_positions

    if compute:
        summary = run_positions(ctx.db, ctx.config, actor=_cli_actor())
        if summary is None:
            raise click.ClickException("another node is computing the licence positions now")
        if not as_json:
            click.echo(f"run {summary['run_id']}: {summary['counts']['positions']} positions in "
                       f"{summary['seconds']} s; workflows: {summary['workflows'] or 'none'}")
    with ctx.db.session() as session:
        run = _latest(session)
        rows = [position_row(p, product) for p, product in positions_of(session, run.id, publisher)]
    if as_json:
        click.echo(json.dumps({"run_id": run.id, "as_of": run.as_of.isoformat(), "positions": rows}, indent=2))
        return
    click.echo(f"{'product':<40} {'metric':<16} {'entitled':>9} {'consumed':>9} {'balance':>8} "
               f"{'shortfall':>12} {'surplus':>12}")
    for row in rows:
        name = " ".join(p for p in (row["publisher"], row["product"], row["edition"]) if p)
        entitled = "unlimited" if row["entitled"] is None else row["entitled"]
        balance = "-" if row["balance"] is None else row["balance"]
        click.echo(f"{name:<40.40} {row['metric']:<16} {entitled:>9} {row['consumed']:>9} {balance:>8} "
                   f"{_money(row['shortfall_cost']):>12} {_money(row['surplus_cost']):>12}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_ctx
def reclaim(ctx, as_json: bool) -> None:
    """Installs not run for the configured days (latest position run), with the money they free."""
    from sqlalchemy import select

    from collector.models.sam import SamProduct, SamReclaimCandidate

    with ctx.db.session() as session:
        run = _latest(session)
        rows = [{"product": f"{product.publisher} {product.name}", "device": c.device, "user": c.user,
                 "ci_id": c.ci_id, "asset_id": c.asset_id, "days_unused": c.days_unused,
                 "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None,
                 "freed_cost": str(c.freed_cost), "currency": c.currency}
                for c, product in session.execute(
                    select(SamReclaimCandidate, SamProduct).join(SamProduct, SamProduct.id == SamReclaimCandidate.product_id)
                    .where(SamReclaimCandidate.run_id == run.id)
                    .order_by(SamReclaimCandidate.freed_cost.desc(), SamReclaimCandidate.id).limit(RECLAIM_MAX))]
    if as_json:
        click.echo(json.dumps({"run_id": run.id, "candidates": rows}, indent=2))
        return
    for row in rows:
        unused = "never seen running" if row["days_unused"] is None else f"{row['days_unused']} days unused"
        click.echo(f"{row['product']:<32.32} {row['device'] or '-':<20.20} {row['user'] or '-':<16.16} "
                   f"{unused:<20} {row['freed_cost']:>10} {row['currency']}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_ctx
def renewals(ctx, as_json: bool) -> None:
    """Open renewal items: subscriptions ending within 90/60/30 days, and expired ones (0)."""
    from collector.sam.renewals import open_items

    with ctx.db.session() as session:
        rows = [{"item_id": item.id, "entitlement_id": entitlement.id, "product": f"{product.publisher} {product.name}",
                 "threshold_days": item.threshold_days, "end_date": item.end_date.isoformat(),
                 "quantity": entitlement.quantity, "workflow_instance_id": item.workflow_instance_id}
                for item, entitlement, product in open_items(session, RECLAIM_MAX)]
    if as_json:
        click.echo(json.dumps({"items": rows}, indent=2))
        return
    for row in rows:
        when = "expired" if row["threshold_days"] == 0 else f"{row['threshold_days']}-day notice"
        workflow = f"workflow {row['workflow_instance_id']}" if row["workflow_instance_id"] else "no workflow"
        click.echo(f"{row['product']:<32.32} entitlement {row['entitlement_id']:<6} ends {row['end_date']} "
                   f"({when}), {row['quantity']} units, {workflow}")


def add_commands(group: click.Group) -> None:
    for command in (positions, reclaim, renewals):
        group.add_command(command)


def _cli_actor():
    from collector.access.audit_log import cli_actor

    return cli_actor()
