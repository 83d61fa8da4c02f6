"""``stocktake-collector``: serve the API, migrate the database, manage agent credentials.

Heavy imports happen inside commands so that ``--help`` is instant and needs no config.
Production serving uses gunicorn (see ``serve --help`` and systemd/stocktake-collector.service).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import click

from collector.cmdb.presets import PRESET_NAMES

__all__ = ["main"]


class _Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config = None
        self._db = None

    @property
    def config(self):
        if self._config is None:
            from collector.config import ConfigError, load_config

            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config

    @property
    def db(self):
        if self._db is None:
            from collector.db import Database

            self._db = Database(self.config.effective_database_url)
        return self._db

    def close(self) -> None:
        """Close the pool's connections when the command ends (also when it runs in-process)."""
        if self._db is not None:
            self._db.dispose()
            self._db = None


pass_ctx = click.make_pass_decorator(_Context)


def _service_call(fn):
    """Run a service; a ServiceError becomes a one-line error and exit status 1."""
    from collector.errors import ServiceError

    try:
        return fn()
    except ServiceError as exc:
        details = "".join(f"\n  {f.field}: {f.message}" for f in exc.fields)
        raise click.ClickException(exc.message + details) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="STOCKTAKE_CONFIG", type=click.Path(dir_okay=False),
              help="TOML config file (default: $STOCKTAKE_CONFIG; STOCKTAKE_* variables override it).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Stocktake collector: stores agent and scanner reports and serves the REST API."""
    ctx.obj = _Context(config_path)
    ctx.call_on_close(ctx.obj.close)


# --- database ---------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_ctx
def db_upgrade(ctx: _Context, revision: str) -> None:
    """Create or migrate the schema to REVISION."""
    from collector.migrate import current_revision, upgrade

    upgrade(ctx.db.engine, revision)
    click.echo(f"database at revision {current_revision(ctx.db.engine)}")


@db.command("current")
@pass_ctx
def db_current(ctx: _Context) -> None:
    """Print the schema revision and whether it is the latest."""
    from collector.migrate import current_revision, head_revision

    current, head = current_revision(ctx.db.engine), head_revision()
    click.echo(f"current: {current or '(empty database)'}; head: {head}")
    if current != head:
        sys.exit(1)


@db.command("backup")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False),
              help="File to write (written beside it first, then renamed into place).")
@pass_ctx
def db_backup(ctx: _Context, target: str) -> None:
    """Copy the SQLite database consistently while the collector keeps serving.

    PostgreSQL: use pg_dump -Fc (docs/operations.md). Restore: stop the collector, put the
    copy in place of stocktake.db (removing stocktake.db-wal and -shm), start it again.
    """
    from collector.backup import backup_sqlite

    size = _service_call(lambda: backup_sqlite(ctx.config.effective_database_url, target))
    click.echo(f"backed up to {target} ({size:,} bytes)")


# --- serving ----------------------------------------------------------------------------

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_ctx
def serve(ctx: _Context, host: str, port: int) -> None:
    """Run the development server (threaded Werkzeug).

    For production run gunicorn, which this package installs:

      gunicorn -c python:collector.gunicorn_conf -k gthread -w 3 --threads 3 -b 127.0.0.1:8000 --no-control-socket 'collector.app:create_app()'
    """
    from collector.app import create_app

    app = create_app(ctx.config)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


# --- enrollment secrets -----------------------------------------------------------------

@main.group("enroll-secret")
def enroll_secret() -> None:
    """Secrets that let new agents enrol (each agent then gets its own key)."""


@enroll_secret.command("create")
@click.option("--name", required=True, help="A label for this secret, e.g. the site or fleet.")
@click.option("--expires-in-days", type=click.IntRange(min=1), help="Refuse enrolments after this many days.")
@click.option("--max-uses", type=click.IntRange(min=1), help="Refuse enrolments after this many agents.")
@click.option("--quiet", is_flag=True, help="Print only the secret.")
@pass_ctx
def enroll_secret_create(ctx: _Context, name: str, expires_in_days: int | None, max_uses: int | None, quiet: bool) -> None:
    """Create a secret and print it once (only its hash is stored)."""
    from collector.access.audit_log import cli_actor
    from collector.access.enrollment import create_enrollment_secret

    expires = timedelta(days=expires_in_days) if expires_in_days else None
    with ctx.db.write() as session:
        new = _service_call(lambda: create_enrollment_secret(session, name, expires, max_uses, actor=cli_actor()))
    if quiet:
        click.echo(new.secret)
    else:
        click.echo(f"enrollment secret {new.name!r} created; it is shown only now:\n{new.secret}")


@enroll_secret.command("list")
@pass_ctx
def enroll_secret_list(ctx: _Context) -> None:
    """List secrets with their state and use counts (never the secrets themselves)."""
    from collector.access.enrollment import list_enrollment_secrets
    from collector.models import utcnow

    now = utcnow()
    with ctx.db.session() as session:
        rows = list_enrollment_secrets(session)
        click.echo(f"{'NAME':<24} {'PREFIX':<12} {'STATE':<8} {'USES':>6}  CREATED")
        for s in rows:
            state = "revoked" if s.revoked_at else ("active" if s.is_usable(now) else "expired")
            uses = f"{s.use_count}" + (f"/{s.max_uses}" if s.max_uses else "")
            click.echo(f"{s.name:<24} {s.prefix:<12} {state:<8} {uses:>6}  {s.created_at:%Y-%m-%d %H:%M}")


@enroll_secret.command("revoke")
@click.argument("name")
@pass_ctx
def enroll_secret_revoke(ctx: _Context, name: str) -> None:
    """Stop NAME admitting new agents (enrolled agents keep their keys)."""
    from collector.access.audit_log import cli_actor
    from collector.access.enrollment import revoke_enrollment_secret

    with ctx.db.write() as session:
        _service_call(lambda: revoke_enrollment_secret(session, name, actor=cli_actor()))
    click.echo(f"enrollment secret {name!r} revoked")


# --- agents -----------------------------------------------------------------------------

@main.group()
def agent() -> None:
    """Enrolled agents."""


@agent.command("list")
@pass_ctx
def agent_list(ctx: _Context) -> None:
    """List agents with their last check-in."""
    from sqlalchemy import select

    from collector.models import Agent

    with ctx.db.session() as session:
        click.echo(f"{'AGENT ID':<37} {'HOSTNAME':<28} {'PROTOCOL':<15} {'STATE':<10} LAST SEEN")
        for a in session.scalars(select(Agent).order_by(Agent.hostname)):
            seen = f"{a.last_seen_at:%Y-%m-%d %H:%M}" if a.last_seen_at else "never"
            state = "revoked" if a.revoked_at else ("superseded" if a.superseded_by else "active")
            click.echo(f"{a.id:<37} {a.hostname[:28]:<28} {a.protocol:<15} {state:<10} {seen}")


@agent.command("revoke")
@click.argument("agent_id")
@pass_ctx
def agent_revoke(ctx: _Context, agent_id: str) -> None:
    """Revoke AGENT_ID's node key; it must enrol again with a valid secret."""
    from collector.access.audit_log import cli_actor
    from collector.access.enrollment import revoke_agent

    with ctx.db.write() as session:
        _service_call(lambda: revoke_agent(session, agent_id, actor=cli_actor()))
    click.echo(f"agent {agent_id} revoked")


# --- API tokens -------------------------------------------------------------------------

@main.group("api-token")
def api_token() -> None:
    """Bearer tokens for reading the REST API (roles: auditor, operator, admin)."""


@api_token.command("create")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["auditor", "operator", "admin"]), default="auditor", show_default=True)
@click.option("--quiet", is_flag=True, help="Print only the token.")
@pass_ctx
def api_token_create(ctx: _Context, name: str, role: str, quiet: bool) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from collector.access.api_tokens import create_api_token
    from collector.access.audit_log import cli_actor

    with ctx.db.write() as session:
        new = _service_call(lambda: create_api_token(session, name, role, actor=cli_actor()))
    click.echo(new.token if quiet else f"API token {new.name!r} ({new.role}) created; it is shown only now:\n{new.token}")


@api_token.command("list")
@pass_ctx
def api_token_list(ctx: _Context) -> None:
    """List tokens (names, roles, prefixes; never the tokens)."""
    from collector.access.api_tokens import list_api_tokens

    with ctx.db.session() as session:
        click.echo(f"{'NAME':<24} {'ROLE':<9} {'PREFIX':<12} {'STATE':<8} LAST USED")
        for t in list_api_tokens(session):
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            click.echo(f"{t.name:<24} {t.role:<9} {t.prefix:<12} {'revoked' if t.revoked_at else 'active':<8} {used}")


@api_token.command("revoke")
@click.argument("name")
@pass_ctx
def api_token_revoke(ctx: _Context, name: str) -> None:
    """Revoke the token called NAME."""
    from collector.access.api_tokens import revoke_api_token
    from collector.access.audit_log import cli_actor

    with ctx.db.write() as session:
        _service_call(lambda: revoke_api_token(session, name, actor=cli_actor()))
    click.echo(f"API token {name!r} revoked")


# --- CMDB -------------------------------------------------------------------------------

@main.group()
def cmdb() -> None:
    """The CMDB register: import and export configuration items as CSV or XLSX."""


@cmdb.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--preset", type=click.Choice(PRESET_NAMES),
              help="FILE is another tool's export: snipeit (Snipe-IT's hardware export or Custom Asset "
                   "Report), glpi-computers or glpi-network (GLPI's Computers or Network devices list). "
                   "Its columns, categories and statuses are mapped; other columns are kept as attributes.")
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, dir_okay=False),
              help="TOML or JSON column mapping: [columns], date_format, [classes], [statuses], "
                   "unknown_columns. With --preset, it is laid over the preset's.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the file name.")
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; store nothing.")
@pass_ctx
def cmdb_import(ctx: _Context, file: str, preset: str | None, mapping_path: str | None, fmt: str | None,
                dry_run: bool) -> None:
    """Import FILE, updating CIs by asset tag: every row or none.

    Prints every bad row and column and exits with status 2 if any row is bad.
    See docs/migrating-from-ocs-glpi.md (section 7) for what each preset maps.
    """
    from collector.access.audit_log import cli_actor
    from collector.cmdb.importing import import_cis
    from collector.cmdb.mapping import load_mapping
    from collector.cmdb.reading import ImportLimits, guess_format
    from collector.cmdb.report import report_lines
    from collector.errors import ServiceError
    from collector.facts import FactSource, facts_changed
    from collector.models import utcnow

    fmt = fmt or guess_format(file, None)
    if fmt is None:
        raise click.UsageError("cannot tell CSV from XLSX by the file name; pass --format")
    limits = ImportLimits(max_bytes=ctx.config.max_body_bytes)
    try:
        mapping = load_mapping(mapping_path) if mapping_path else None
        with open(file, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
        with ctx.db.session() if dry_run else ctx.db.write() as session:
            report = import_cis(session, data, fmt, mapping=mapping, preset=preset, dry_run=dry_run, limits=limits,
                                progress=_progress_bar("writing CIs"), actor=cli_actor(),
                                file_name=os.path.basename(file))
        if report.ci_ids:
            facts_changed(ctx.db, ctx.config, utcnow(), ci_ids=report.ci_ids, source=FactSource.CMDB_IMPORT)
    except ServiceError as exc:
        click.echo(f"error: {exc.message}" + "".join(f"\n  {f.field}: {f.message}" for f in exc.fields), err=True)
        sys.exit(2)
    for line in report_lines(report):
        click.echo(line, err=not report.ok)
    if not report.ok:
        sys.exit(2)


def _progress_bar(label: str):
    """A progress callback drawing a bar on a terminal (click hides it otherwise)."""
    bars = []

    def advance(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
        bars[0].update(done - bars[0].pos)
        if done >= total:
            bars[0].render_finish()

    return advance


@cmdb.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the -o name, else csv.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write; '-' writes CSV to standard output.")
@pass_ctx
def cmdb_export(ctx: _Context, fmt: str | None, output: str) -> None:
    """Export every CI with the headers the import reads back."""
    from collector.cmdb.exporting import export_csv, export_xlsx
    from collector.cmdb.reading import guess_format

    fmt = fmt or guess_format(output, None) or "csv"
    if fmt == "xlsx" and output == "-":
        raise click.UsageError("XLSX is binary; name a file with -o")
    with ctx.db.session() as session:
        if fmt == "xlsx":
            with open(output, "wb") as target:
                export_xlsx(session, target)
        elif output == "-":
            sys.stdout.writelines(export_csv(session))
        else:
            with open(output, "w", encoding="utf-8", newline="") as target:
                target.writelines(export_csv(session))
    if output != "-":
        click.echo(f"wrote {output}", err=True)


# --- reconciliation (collector/cli_reconcile.py) -----------------------------------------

def _register_reconcile_commands() -> None:
    from collector.cli_reconcile import jobs, reconcile
    from collector.cli_suppressions import suppression

    main.add_command(reconcile)
    main.add_command(jobs)
    main.add_command(suppression)


_register_reconcile_commands()


def _register_kpi_commands() -> None:
    from collector.cli_kpis import kpis

    main.add_command(kpis)


_register_kpi_commands()


def _register_scanning_commands() -> None:
    from collector.cli_scanning import scan_profile

    main.add_command(scan_profile)


_register_scanning_commands()

def _register_notify_commands() -> None:
    from collector.cli_notify import notify

    main.add_command(notify)


_register_notify_commands()

from collector.cli_users import user as _user_commands  # noqa: E402  (web UI accounts)

main.add_command(_user_commands)

from collector.cli_workflows import workflow as _workflow_commands  # noqa: E402  (six-stage workflows)

main.add_command(_workflow_commands)

from collector.cli_workflow_oversight import add_commands as _add_workflow_oversight  # noqa: E402

_add_workflow_oversight(_workflow_commands)  # SLA breaches, delegations, triggers

from collector.cli_sam import sam as _sam_commands  # noqa: E402  (software licence compliance)

main.add_command(_sam_commands)

from collector.cli_foreign_sites import foreign_sites as _foreign_site_commands  # noqa: E402  (issue 15)

main.add_command(_foreign_site_commands)


if __name__ == "__main__":  # pragma: no cover
    main()
