"""``stocktake-collector scan-profile``: what scanner agents sweep, and which agents sweep it.

SNMP credentials come from a TOML file (the agent's ``[[credential]]`` format), never from
the command line, where they would show in ``ps`` and shell history. Bad input exits
with status 2 and every problem named; nothing is stored.
"""

from __future__ import annotations

import json
import sys

import click

# The CLI's context object (collector.cli._Context: .config, .db) comes through click.
pass_ctx = click.pass_obj

__all__ = ["scan_profile"]


def _run(fn):
    """Call a service; bad input (4xx) exits 2 naming each field, a server-side problem exits 1."""
    from collector.errors import ServiceError

    try:
        return fn()
    except ServiceError as exc:
        click.echo(f"error: {exc.message}" + "".join(f"\n  {f.field}: {f.message}" for f in exc.fields), err=True)
        sys.exit(2 if 400 <= exc.status < 500 else 1)


def _read_credentials(path: str) -> list:
    import tomllib

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        click.echo(f"error: cannot read {path}: {exc.strerror}", err=True)
        sys.exit(2)
    except tomllib.TOMLDecodeError as exc:
        click.echo(f"error: {path} is not valid TOML: {exc}", err=True)
        sys.exit(2)
    unknown = sorted(set(document) - {"credential"})
    if unknown or not isinstance(document.get("credential", []), list):
        click.echo(f"error: {path}: expected only [[credential]] tables" + (f", found {unknown[0]!r}" if unknown else ""),
                   err=True)
        sys.exit(2)
    return document.get("credential", [])


@click.group("scan-profile")
def scan_profile() -> None:
    """Scan profiles: ranges, interface, schedule and SNMP credentials handed to scanner agents at check-in."""


@scan_profile.command("create")
@click.option("--name", required=True, help="A unique name, e.g. the site and segment.")
@click.option("--range", "ranges", multiple=True, required=True, metavar="CIDR",
              help="IPv4 range to ARP-sweep (repeatable), e.g. 10.2.0.0/24.")
@click.option("--interface", required=True, help="The scanner's interface on that segment, e.g. eth0.")
@click.option("--interval", "interval_s", type=int, default=3600, show_default=True, help="Seconds between scans.")
@click.option("--credentials-file", type=click.Path(dir_okay=False),
              help="TOML file of [[credential]] entries (version, community or user/auth/priv); stored encrypted.")
@click.option("--allow-public", is_flag=True, help="Permit public address space (never the default).")
@click.option("--max-addresses", type=int, help="Cap on the addresses the ranges cover (default: scan_max_addresses).")
@click.option("--agent", "agents", multiple=True, metavar="AGENT_ID", help="Assign to this agent (repeatable).")
@click.option("--disabled", is_flag=True, help="Create it without handing it out yet.")
@pass_ctx
def create(ctx, name, ranges, interface, interval_s, credentials_file, allow_public, max_addresses, agents,
           disabled) -> None:
    """Create a scan profile."""
    from collector.access.audit_log import cli_actor
    from collector.models import utcnow
    from collector.scanning.profiles import create_profile

    data = {"name": name, "ranges": list(ranges), "interface": interface, "interval_s": interval_s,
            "allow_public": allow_public, "enabled": not disabled, "agents": list(agents)}
    if max_addresses is not None:
        data["max_addresses"] = max_addresses
    if credentials_file:
        data["credentials"] = _read_credentials(credentials_file)
    with ctx.db.write() as session:
        profile = _run(lambda: create_profile(session, data, ctx.config, utcnow(), cli_actor()))
        click.echo(f"scan profile {profile.name!r} created (id {profile.id}): {', '.join(profile.ranges)} on "
                   f"{profile.interface} every {profile.interval_s} s, {len(profile.credentials_summary)} "
                   f"credential(s), {len(agents)} agent(s)")


@scan_profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (as GET /api/v1/scan-profiles) instead of text.")
@pass_ctx
def list_(ctx, as_json: bool) -> None:
    """List profiles with their agents and last report (credentials: names and versions only)."""
    from collector.api.scan_profiles import profile_view
    from collector.scanning.profiles import list_profiles, profile_agents

    with ctx.db.session() as session:
        profiles = list_profiles(session)
        agents = profile_agents(session, [p.id for p in profiles])
        views = [profile_view(p, agents[p.id]) for p in profiles]
    if as_json:
        click.echo(json.dumps({"items": views}, indent=2))
        return
    click.echo(f"{'ID':>4} {'NAME':<20} {'STATE':<8} {'INTERFACE':<10} {'EVERY':>7} {'CREDS':>5} {'AGENTS':>6}  "
               "LAST REPORT  RANGES")
    for v in views:
        last = v["last_report_at"][:16].replace("T", " ") if v["last_report_at"] else "never"
        click.echo(f"{v['id']:>4} {v['name'][:20]:<20} {'enabled' if v['enabled'] else 'disabled':<8} "
                   f"{v['interface']:<10} {v['interval_s']:>6}s {len(v['credentials']):>5} {len(v['agents']):>6}  "
                   f"{last:<11}  {', '.join(v['ranges'])}")


@scan_profile.command("assign")
@click.argument("profile")
@click.option("--agent", "agents", multiple=True, metavar="AGENT_ID", help="An agent to run it (repeatable).")
@click.option("--none", "clear", is_flag=True, help="Take the profile away from every agent.")
@pass_ctx
def assign(ctx, profile: str, agents: tuple[str, ...], clear: bool) -> None:
    """Make the --agent list exactly the agents running PROFILE (name or id)."""
    from collector.access.audit_log import cli_actor
    from collector.models import utcnow
    from collector.scanning.profiles import assign_agents, find_profile

    if bool(agents) == clear:
        raise click.UsageError("give --agent (repeatable) or --none")
    with ctx.db.write() as session:
        found = _run(lambda: find_profile(session, profile))
        assigned = _run(lambda: assign_agents(session, found.id, list(agents), utcnow(), cli_actor()))
    click.echo(f"scan profile {found.name!r}: " + (", ".join(assigned) if assigned else "no agents"))


@scan_profile.command("delete")
@click.argument("profile")
@pass_ctx
def delete(ctx, profile: str) -> None:
    """Delete PROFILE (name or id); its agents stop scanning it at their next check-in."""
    from collector.access.audit_log import cli_actor
    from collector.scanning.profiles import delete_profile, find_profile

    with ctx.db.write() as session:
        found = _run(lambda: find_profile(session, profile))
        name = found.name
        _run(lambda: delete_profile(session, found.id, cli_actor()))
    click.echo(f"scan profile {name!r} deleted")


@scan_profile.command("rotate-key")
@pass_ctx
def rotate_key(ctx) -> None:
    """Re-encrypt every profile's credentials with the first configured credentials key.

    Put the new key first (a new first line of the key file, or first in
    STOCKTAKE_CREDENTIALS_KEY, comma-separated), run this, then drop the old key.
    """
    from sqlalchemy import select

    from collector.access.audit_log import append_entry, cli_actor
    from collector.models import ScanProfile
    from collector.scanning.crypto import credentials_cipher, rotate_token

    cipher = _run(lambda: credentials_cipher(ctx.config))
    with ctx.db.write() as session:
        profiles = session.scalars(select(ScanProfile).where(ScanProfile.credentials_token.is_not(None))).all()
        for profile in profiles:
            profile.credentials_token = _run(lambda: rotate_token(cipher, profile.credentials_token, profile.name))
        append_entry(session, "scan_credentials_rekeyed", cli_actor(), "scan_profile",
                     {"profiles": sorted(p.name for p in profiles)})
    click.echo(f"re-encrypted the credentials of {len(profiles)} scan profile(s)")
