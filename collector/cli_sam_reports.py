"""``stocktake-collector sam elp|audit-pack``: the Effective License Position and the audit pack
as files, each file's SHA-256 printed and written to the audit log (collector/sam/elp.py,
collector/sam/audit_pack.py)."""

from __future__ import annotations

import click

__all__ = ["add_commands"]

pass_ctx = click.pass_obj


def _actor():
    from collector.access.audit_log import cli_actor

    return cli_actor()


@click.command("elp")
@click.option("--publisher", help="Only this publisher's products (exact name); default all publishers.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), required=True,
              help="csv: one table, header first; xlsx: Positions and Evidence sheets; pdf: landscape pages.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Write the file here.")
@pass_ctx
def elp(ctx, publisher: str | None, fmt: str, output: str) -> None:
    """Export the Effective License Position of the latest position run: scope, as-of time, every
    product's position with its explanation, the evidence rows and totals."""
    from collector.sam.elp import build_elp, record_elp, write_elp
    from collector.sam.reading import NO_RUN_NOTE

    actor = _actor()
    # Read in a plain session and record afterwards: no write lock is held while the file is written.
    with ctx.db.session() as session, open(output, "w+b") as target:
        report = build_elp(session, publisher, actor.username)
        if report.run_id is None:
            click.echo(f"note: {NO_RUN_NOTE}", err=True)
        written = write_elp(report, fmt, target)
    with ctx.db.write() as session:
        record_elp(session, report, fmt, written, actor)
    click.echo(f"wrote {written.rows} rows to {output} ({written.size} bytes, sha256 {written.sha256})")


@click.command("audit-pack")
@click.option("--publisher", help="Only this publisher's products (exact name); default all publishers.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Write the ZIP here.")
@pass_ctx
def audit_pack(ctx, publisher: str | None, output: str) -> None:
    """Write the audit pack ZIP (ELP as CSV, XLSX and PDF, evidence, entitlements, reclaim, renewals
    and a manifest of SHA-256s) and print its SHA-256."""
    from collector.sam.audit_pack import record_audit_pack, write_audit_pack

    actor = _actor()
    with ctx.db.session() as session, open(output, "w+b") as target:
        pack = write_audit_pack(session, publisher, actor.username, target)
    with ctx.db.write() as session:
        record_audit_pack(session, pack, actor)
    click.echo(f"wrote {output} ({pack.size} bytes, {len(pack.manifest['files'])} files)")
    click.echo(f"sha256 {pack.sha256}")


def add_commands(group: click.Group) -> None:
    group.add_command(elp)
    group.add_command(audit_pack)
