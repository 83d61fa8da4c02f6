"""``stocktake-collector foreign-sites create|list|revoke``: the secrets OCS, FusionInventory and GLPI agents use."""

from __future__ import annotations

import click

__all__ = ["foreign_sites"]

# The foreign agents' endpoints (collector/api/ocs.py, collector/api/glpi.py); the site secret goes
# after them in the path form. OCS Inventory and FusionInventory agents speak the OCS protocol.
AGENT_PATHS = (("ocsinventory-agent, fusioninventory-agent", "/ocsinventory"), ("glpi-agent", "/glpi"))
BASIC_REALM = "Stocktake"


def agent_config_lines(base_url: str, site: str, secret: str) -> list[str]:
    """The lines an admin puts in the agents' configuration files, in both forms they support."""
    lines = []
    for agents, path in AGENT_PATHS:
        server = base_url.rstrip("/") + path
        lines += [
            f"{agents}: one of the two forms",
            f"  secret in the URL path:  server={server}/{secret}",
            f"  HTTP Basic:              server={server}",
            f"                           user={site}",
            f"                           password={secret}",
            f"                           realm={BASIC_REALM}",
        ]
    return lines


@click.group("foreign-sites")
def foreign_sites() -> None:
    """Sites whose OCS Inventory, FusionInventory and GLPI agents report here (one secret per site)."""


@foreign_sites.command("create")
@click.argument("name")
@click.option("--url", "base_url", help="The collector's address as the agents reach it (default: public_url).")
@click.pass_obj
def foreign_sites_create(ctx, name: str, base_url: str | None) -> None:
    """Create site NAME and print its secret once (only its hash is stored), with the agents' config lines."""
    from collector.access.audit_log import cli_actor
    from collector.access.foreign_sites import create_foreign_site
    from collector.cli import _service_call

    with ctx.db.write() as session:
        new = _service_call(lambda: create_foreign_site(session, name, actor=cli_actor()))
    click.echo(f"foreign-agent site {new.name!r} created; its secret is shown only now:\n{new.secret}\n")
    for line in agent_config_lines(base_url or ctx.config.public_url or "http://COLLECTOR-HOST", new.name, new.secret):
        click.echo(line)


@foreign_sites.command("list")
@click.pass_obj
def foreign_sites_list(ctx) -> None:
    """List sites with their state and agent counts (never the secrets)."""
    from sqlalchemy import func, select

    from collector.access.foreign_sites import list_foreign_sites
    from collector.models import Agent

    with ctx.db.session() as session:
        counts = dict(session.execute(select(Agent.site_id, func.count()).where(Agent.site_id.is_not(None))
                                      .group_by(Agent.site_id)).all())
        click.echo(f"{'NAME':<24} {'PREFIX':<12} {'STATE':<8} {'AGENTS':>6}  CREATED")
        for site in list_foreign_sites(session):
            state = "revoked" if site.revoked_at else "active"
            click.echo(f"{site.name[:24]:<24} {site.prefix:<12} {state:<8} {counts.get(site.id, 0):>6}  "
                       f"{site.created_at:%Y-%m-%d %H:%M}")


@foreign_sites.command("revoke")
@click.argument("name")
@click.pass_obj
def foreign_sites_revoke(ctx, name: str) -> None:
    """Refuse NAME's secret from now on (its agents' reports so far are kept)."""
    from collector.access.audit_log import cli_actor
    from collector.access.foreign_sites import revoke_foreign_site
    from collector.cli import _service_call

    with ctx.db.write() as session:
        _service_call(lambda: revoke_foreign_site(session, name, actor=cli_actor()))
    click.echo(f"foreign-agent site {name!r} revoked")
