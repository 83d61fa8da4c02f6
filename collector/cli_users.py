"""``stocktake-collector user``: web UI accounts from the command line.

There are no default accounts: the first admin is made here. Passwords are read from a
hidden prompt or, with ``--password-stdin``, from standard input (for provisioning scripts),
never from the command line, where other users could read them in the process list.
"""

from __future__ import annotations

import sys

import click

# The CLI's context object (collector.cli._Context: .config, .db) arrives through click.
pass_ctx = click.pass_obj

__all__ = ["user"]

_ROLES = ["auditor", "operator", "admin"]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(fn):
    from collector.errors import ServiceError

    try:
        return fn()
    except ServiceError as exc:
        raise click.ClickException(exc.message + "".join(f"\n  {f.field}: {f.message}" for f in exc.fields)) from None


def _actor():
    from collector.access.audit_log import cli_actor

    return cli_actor()


@click.group()
def user() -> None:
    """Web UI users (roles: auditor reads and exports, operator works exceptions, admin manages)."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(_ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@pass_ctx
def user_create(ctx, username: str, role: str, password_stdin: bool) -> None:
    """Create USERNAME with ROLE; the password is prompted for (or read from stdin)."""
    from collector.access.users import create_user

    password = _password(password_stdin)
    with ctx.db.write() as session:
        created = _run(lambda: create_user(session, username, role, password, _actor()))
        click.echo(f"user {created.username!r} ({created.role}) created")


@user.command("list")
@pass_ctx
def user_list(ctx) -> None:
    """List users, their roles and state."""
    from collector.access.users import list_users

    with ctx.db.session() as session:
        click.echo(f"{'USER':<24} {'ROLE':<9} {'STATE':<9} LAST LOGIN")
        for u in list_users(session):
            last = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never"
            click.echo(f"{u.username:<24} {u.role:<9} {'disabled' if u.disabled_at else 'active':<9} {last}")


@user.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@pass_ctx
def user_set_password(ctx, username: str, password_stdin: bool) -> None:
    """Set USERNAME's password (ends their sessions and lifts any login throttling)."""
    from collector.access.users import set_password

    password = _password(password_stdin)
    with ctx.db.write() as session:
        _run(lambda: set_password(session, username, password, _actor()))
    click.echo(f"password of {username!r} set")


@user.command("set-email")
@click.argument("username")
@click.argument("email", required=False)
@pass_ctx
def user_set_email(ctx, username: str, email: str | None) -> None:
    """Set USERNAME's EMAIL address for workflow notifications (SLA breaches); no EMAIL clears it."""
    from collector.access.users import set_email

    with ctx.db.write() as session:
        _run(lambda: set_email(session, username, email, _actor()))
    click.echo(f"email of {username!r} {'set' if email else 'cleared'}")


@user.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@pass_ctx
def user_disable(ctx, username: str, enable: bool) -> None:
    """Disable USERNAME (their sessions end at once), or enable it with --enable."""
    from sqlalchemy import select

    from collector.access.users import set_user_disabled
    from collector.models import User

    with ctx.db.write() as session:
        user_id = session.scalar(select(User.id).where(User.username == username.strip().lower()))
        if user_id is None:
            raise click.ClickException(f"no user named {username!r}")
        _run(lambda: set_user_disabled(session, user_id, not enable, _actor()))
    click.echo(f"user {username!r} {'enabled' if enable else 'disabled'}")


@user.command("verify-audit-log")
@pass_ctx
def user_verify_audit_log(ctx) -> None:
    """Check the audit log's hash chain; exit status 1 if any entry was altered or removed."""
    from collector.access.audit_log import verify_chain

    with ctx.db.session() as session:
        report = verify_chain(session)
    if report.ok:
        head = f"; head entry {report.head_id}, hash {report.head_hash}" if report.head_id else ""
        click.echo(f"audit log intact: {report.checked} entries{head}")
    else:
        last_good = (f" (last good entry {report.head_id}, hash {report.head_hash})" if report.head_id
                     else " (no entry before it verified)")
        click.echo(f"audit log broken at entry {report.first_bad_id}: {report.reason}; "
                   f"{report.checked} entries verified before it{last_good}", err=True)
        sys.exit(1)
