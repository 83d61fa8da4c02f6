"""``stocktake-collector notify``: check the notification settings, send what is due."""

from __future__ import annotations

import click

# Commands get the CLI's context object (collector.cli._Context: .config, .db) through click,
# so this module does not import collector.cli (which registers these commands).
pass_ctx = click.pass_obj

__all__ = ["notify"]

_TEST_SUBJECT = "Stocktake test notification"
_TEST_BODY = ("This is a test notification from the Stocktake collector.\n"
              "If you can read it, notifications reach this recipient.\n")


@click.group()
def notify() -> None:
    """Notifications by email (SMTP) and signed webhooks."""


@notify.command("test")
@click.option("--email", "address", metavar="ADDR", help="Send a test email to ADDR.")
@click.option("--webhook", "hook", metavar="NAME", help="Post a signed test event to the webhook NAME.")
@pass_ctx
def notify_test(ctx, address: str | None, hook: str | None) -> None:
    """Send one test notification now (not through the outbox) and say whether it arrived.

    Exit status 1 with the SMTP reply or HTTP status when it did not. Nothing is stored.
    """
    from collector.errors import InvalidInput
    from collector.models import utcnow
    from collector.notify.delivery import send
    from collector.notify.errors import DeliveryError
    from collector.notify.outbox import check_notification

    if (address is None) == (hook is None):
        raise click.UsageError("give exactly one of --email ADDR or --webhook NAME")
    kind, recipient = ("email", address) if address is not None else ("webhook", hook)
    config = ctx.config
    try:
        check_notification(kind, [recipient], _TEST_SUBJECT, _TEST_BODY)
        if kind == "webhook" and config.webhook(recipient) is None:
            names = ", ".join(name for name, _ in config.webhook_urls) or "none"
            raise click.ClickException(f"no webhook named {recipient!r} is configured (configured: {names})")
        send(config, kind, recipient, _TEST_SUBJECT, _TEST_BODY, {"test": True}, 0, utcnow())
    except InvalidInput as exc:
        raise click.ClickException("; ".join(f"--{kind}: {f.message}" for f in exc.fields)) from None
    except DeliveryError as exc:
        raise click.ClickException(f"not delivered: {exc.message}") from None
    click.echo(f"test {kind} delivered to {recipient}")


@notify.command("deliver")
@pass_ctx
def notify_deliver(ctx) -> None:
    """Send the notifications that are due now (what the scheduled job does every notify_interval_s)."""
    from collector.notify.delivery import deliver_due

    result = deliver_due(ctx.db, ctx.config)
    click.echo(f"sent {result.sent}, retry later {result.retried}, failed {result.failed}")
