"""``stocktake-collector suppression list|add|delete``: exception suppression rules (audited)."""

from __future__ import annotations

import json

import click

__all__ = ["suppression"]


def _actor():
    from collector.access.audit_log import cli_actor

    return cli_actor()


def _service(fn):
    from collector.cli import _service_call

    return _service_call(fn)


@click.group("suppression")
def suppression() -> None:
    """Rules that stop reconciliation raising an exception (each with owner, reason and expiry)."""


@suppression.command("list")
@click.option("--expired", is_flag=True, help="Include expired rules.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def suppression_list(ctx, expired: bool, as_json: bool) -> None:
    from collector.models import utcnow
    from collector.reconcile.suppressions import list_suppressions, suppression_view

    with ctx.db.session() as session:
        views = [suppression_view(row) for row in list_suppressions(session, utcnow(), include_expired=expired)]
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    for v in views:
        matchers = " ".join(f"{k}={v[k]}" for k in ("mac_prefix", "ip_range", "device_type", "kind") if v[k])
        click.echo(f"{v['id']:>5}  {matchers:<48} until {v['expires_at']}  {v['owner']}: {v['reason']}")
    click.echo(f"{len(views)} rule(s)")


@suppression.command("add")
@click.option("--mac-prefix", help="A MAC or OUI prefix (00:1b:a9).")
@click.option("--ip-range", help="An IP network in CIDR form (10.20.0.0/16).")
@click.option("--device-type", help="A device type (phone, camera, printer...).")
@click.option("--kind", help="Only this exception kind (default: any).")
@click.option("--reason", required=True)
@click.option("--owner", required=True, help="Who answers for the rule.")
@click.option("--expires", "expires_at", required=True, help="ISO 8601 date or time; the rule stops then.")
@click.pass_obj
def suppression_add(ctx, **values) -> None:
    """Add a rule; the next reconciliation run applies it."""
    from collector.reconcile.suppressions import add_suppression

    def add():
        with ctx.db.write() as session:
            return add_suppression(session, {k: v for k, v in values.items() if v is not None}, _actor()).id

    click.echo(f"added suppression rule {_service(add)}; the next reconciliation run applies it")


@suppression.command("delete")
@click.argument("rule_id", type=int)
@click.pass_obj
def suppression_delete(ctx, rule_id: int) -> None:
    from collector.reconcile.suppressions import delete_suppression

    def delete():
        with ctx.db.write() as session:
            delete_suppression(session, rule_id, _actor())

    _service(delete)
    click.echo(f"deleted suppression rule {rule_id}; the next reconciliation run raises what it hid")
