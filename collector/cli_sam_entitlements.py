"""``stocktake-collector sam entitlements``: licences bought, from the command line.

Whoever runs the collector's CLI holds its database credentials, so commands act as an admin;
the audit log names them ``cli:<login name>``. Exit status: 1 for a refused record or an
unknown id, 2 for an import with bad rows (every row and column printed), as ``cmdb import``.
"""

from __future__ import annotations

import json
import os
import sys

import click

__all__ = ["add_commands"]

# Options of ``add``: the record's fields as the service reads them (text, checked there).
_FIELD_OPTIONS = ("publisher", "product", "edition", "product_id", "metric", "quantity", "version_from", "version_to",
                  "downgrade_rights", "core_factor", "min_cores_per_processor", "min_cores_per_vm", "term",
                  "start_date", "end_date", "unit_cost", "currency", "po_number", "vendor", "contract_id", "notes")


def _editor():
    from collector.access.audit_log import cli_actor
    from collector.sam.entitlements import Editor

    return Editor(cli_actor(), "admin")


def _refused(exc) -> None:
    click.echo(f"error: {exc.message}" + "".join(f"\n  {f.field}: {f.message}" for f in exc.fields), err=True)
    sys.exit(1)


@click.group("entitlements")
def entitlements() -> None:
    """Entitlements: what was bought (product, metric, quantity, term, cost), and their import."""


@entitlements.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document with every entitlement.")
@click.option("--publisher", help="Publisher contains this (any case).")
@click.option("--metric", help="Only this metric.")
@click.pass_obj
def entitlements_list(ctx, as_json: bool, publisher: str | None, metric: str | None) -> None:
    """List entitlements with their product, allocated total and days left (subscriptions)."""
    from datetime import date

    from collector.sam.entitlements import MAX_PAGE, EntitlementFilters, entitlement_view, list_entitlements

    with ctx.db.session() as session:
        rows, total = list_entitlements(session, EntitlementFilters(publisher=publisher, metric=metric), 1, MAX_PAGE)
        views = [entitlement_view(r.entitlement, r.product, date.today(), r.allocated) for r in rows]
    if as_json:
        click.echo(json.dumps({"items": views, "total": total}, indent=2))
        return
    click.echo(f"{'ID':>6} {'PRODUCT':<44} {'METRIC':<15} {'QTY':>7} {'TERM':<12} {'END':<10} DAYS LEFT")
    for v in views:
        label = " ".join(p for p in (v["product"]["publisher"], v["product"]["name"], v["product"]["edition"]) if p)
        days = "" if v["days_left"] is None else str(v["days_left"])
        click.echo(f"{v['id']:>6} {label[:44]:<44} {v['metric']:<15} {v['quantity']:>7} {v['term']:<12} "
                   f"{v['end_date'] or '':<10} {days}")
    if total > len(views):
        click.echo(f"({total - len(views)} more; use --json or the API to page)", err=True)


@entitlements.command("add")
@click.pass_obj
def entitlements_add(ctx, **options) -> None:
    """Record an entitlement; every field is checked and every problem printed at once."""
    from collector.errors import ServiceError
    from collector.sam.entitlements import create_entitlement

    data = {name: value for name, value in options.items() if value is not None}
    try:
        with ctx.db.write() as session:
            created = create_entitlement(session, data, _editor())
            click.echo(f"entitlement {created.id} created")
    except ServiceError as exc:
        _refused(exc)


for _name in reversed(_FIELD_OPTIONS):
    entitlements_add = click.option(f"--{_name.replace('_', '-')}", _name,
                                    help="required" if _name in ("metric",) else None)(entitlements_add)


@entitlements.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the file name.")
@click.option("--dry-run", is_flag=True, help="Check every row; store nothing.")
@click.pass_obj
def entitlements_import(ctx, file: str, fmt: str | None, dry_run: bool) -> None:
    """Import FILE (CSV or XLSX, columns as in config/sample-entitlements.csv): every row or none.

    Prints every bad row and column and exits with status 2 if any row is bad."""
    from collector.cmdb.reading import ImportLimits, guess_format
    from collector.errors import ServiceError
    from collector.sam.entitlement_import import import_entitlements

    fmt = fmt or guess_format(file, None)
    if fmt is None:
        raise click.UsageError("cannot tell CSV from XLSX by the file name; pass --format")
    limits = ImportLimits(max_bytes=ctx.config.max_body_bytes)
    try:
        with open(file, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
        with ctx.db.session() if dry_run else ctx.db.write() as session:
            report = import_entitlements(session, data, fmt, _editor(), dry_run=dry_run,
                                         filename=os.path.basename(file), limits=limits)
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    _print_report(report)


def _print_report(report) -> None:
    if not report.ok:
        click.echo(f"rejected: {len(report.errors)} problem(s); nothing was imported", err=True)
        for issue in sorted(report.errors, key=lambda i: (i.row or 0, i.column or "")):
            click.echo(f"  {issue}", err=True)
        sys.exit(2)
    if report.dry_run:
        click.echo(f"dry run, nothing stored: {report.created} entitlements would be imported")
    else:
        click.echo(f"imported {report.created} entitlements (batch {report.batch}, sha256 {report.sha256})")


@entitlements.command("delete")
@click.argument("entitlement_id", type=click.IntRange(1, 2**63 - 1))
@click.pass_obj
def entitlements_delete(ctx, entitlement_id: int) -> None:
    """Delete entitlement ENTITLEMENT_ID with its allocations."""
    from collector.errors import ServiceError
    from collector.sam.entitlements import delete_entitlement

    try:
        with ctx.db.write() as session:
            delete_entitlement(session, entitlement_id, _editor())
    except ServiceError as exc:
        _refused(exc)
    click.echo(f"entitlement {entitlement_id} deleted")


def add_commands(sam: click.Group) -> None:
    sam.add_command(entitlements)
