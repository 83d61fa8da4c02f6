"""``stocktake-collector workflow``: start, list, show and act on workflows from the shell.

Acting needs ``--as USER``: workflows record people (initiator, approver), and the same
rules apply as on the web and the API (roles, own-request approval, auditors read only).
Form data is given as ``-d field=value`` (converted by the field's declared type: long fields
to numbers, boolean fields from true/false) or as a JSON object with ``--json-data``.
"""

from __future__ import annotations

import json

import click

# The CLI's context object (collector.cli._Context: .config, .db) arrives through click.
pass_ctx = click.pass_obj

__all__ = ["workflow"]


def _run(fn):
    from collector.errors import ServiceError

    try:
        return fn()
    except ServiceError as exc:
        raise click.ClickException(exc.message + "".join(f"\n  {f.field}: {f.message}" for f in exc.fields)) from None


def _actor(session, username: str):
    from sqlalchemy import select

    from collector.models import User
    from collector.workflows.roles import actor_for_user

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"no active user named {username!r}")
    return actor_for_user(user, "cli")


def _templates(ctx):
    from collector.workflows.loading import templates_for

    loaded = templates_for(ctx.config)
    for error in loaded.errors:
        click.echo(f"template refused: {error}", err=True)
    return loaded


def _form(pairs: tuple[str, ...], json_data: str | None, types: dict[str, str]) -> dict:
    data = {}
    if json_data:
        try:
            data = json.loads(json_data)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"--json-data is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise click.ClickException("--json-data must be a JSON object")
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise click.ClickException(f"-d {pair!r}: expected field=value")
        data[name] = _value(value, types.get(name))
    return data


def _value(text: str, kind: str | None):
    """A -d value as the field's type wants it; left as text when it does not convert (the
    service then names the field)."""
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind == "long":
        try:
            return int(text)
        except ValueError:
            return text
    return text


def _field_types(session, templates, instance_id: int, task: str) -> dict[str, str]:
    from collector.models import WorkflowInstance

    instance = session.get(WorkflowInstance, instance_id)
    template = templates.get(instance.template) if instance else None
    info = template.tasks.get(task) if template else None
    return {f.id: f.type for f in info["fields"]} if info else {}


def _print_view(view: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, indent=2, default=str))
        return
    click.echo(f"workflow {view['id']} {view['template']}: {view['status']}, stage {view['stage']}, "
               f"version {view['version']}" + (f", need by {view['need_by']}" if view["need_by"] else ""))
    for task in view["ready_tasks"]:
        fields = ", ".join(f"{f['id']}{'*' if f['required'] else ''}" for f in task["fields"]) or "-"
        click.echo(f"  ready: {task['id']} ({task['stage']}, role {task['role']}): {task['name']}; fields {fields}")
    for event in view.get("events", []):
        click.echo(f"  {event['at']} {event['kind']:<14} {event['stage'] or '':<13} {event['task'] or '':<12} "
                   f"{event['actor'] or '-'}" + (f": {event['note']}" if event["note"] else ""))


@click.group()
def workflow() -> None:
    """Six-stage workflows (Initiation, Authorization, Execution, Documentation, Validation, Closure)."""


@workflow.command("templates")
@pass_ctx
def workflow_templates(ctx) -> None:
    """List the loaded templates (refused ones are printed on stderr with file, line and reason)."""
    loaded = _templates(ctx)
    for template in loaded.templates.values():
        click.echo(f"{template.name:<24} subject {template.subject:<9} {template.title}")
    if loaded.errors:
        raise SystemExit(1)


@workflow.command("start")
@click.argument("template")
@click.option("--as", "username", required=True, help="The user starting it (the initiator).")
@click.option("--ci", "ci_id", type=click.IntRange(1),
              help="The CI it is about (optional for templates of subject none, e.g. the SAM ones).")
@click.option("--exception", "exception_id", type=click.IntRange(1), help="The audit exception it is about.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workflow_start(ctx, template: str, username: str, ci_id: int | None, exception_id: int | None,
                   as_json: bool) -> None:
    """Start TEMPLATE about a CI, an audit exception, or (subject none: ham_procurement, the SAM
    templates) nothing yet or an optional CI, the product typed in its first task."""
    from collector.workflows.reading import instance_view
    from collector.workflows.service import start_workflow

    templates = _templates(ctx)
    with ctx.db.write() as session:
        actor = _actor(session, username)
        instance = _run(lambda: start_workflow(session, templates, template, actor, ci_id, exception_id))
        view = instance_view(session, instance.id)
    _print_view(view, as_json)


@workflow.command("list")
@click.option("--status", type=click.Choice(["running", "closed", "cancelled"]))
@click.option("--template")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workflow_list(ctx, status: str | None, template: str | None, limit: int, as_json: bool) -> None:
    """Workflows, newest first."""
    from collector.workflows.reading import list_instances

    with ctx.db.session() as session:
        page = list_instances(session, status, template, 1, limit)
    if as_json:
        click.echo(json.dumps({"items": page.items, "total": page.total}, indent=2))
        return
    for item in page.items:
        click.echo(f"{item['id']:<7} {item['template']:<22} {item['status']:<9} {item['stage']:<13} "
                   f"CI {item['ci_id'] or '-'} exception {item['exception_id'] or '-'}")
    click.echo(f"{page.total} workflows")


@workflow.command("show")
@click.argument("instance_id", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workflow_show(ctx, instance_id: int, as_json: bool) -> None:
    """One workflow: ready tasks (required fields starred) and history."""
    from collector.workflows.reading import instance_view

    with ctx.db.session() as session:
        view = _run(lambda: instance_view(session, instance_id))
    _print_view(view, as_json)


@workflow.command("act")
@click.argument("instance_id", type=click.IntRange(1))
@click.argument("task")
@click.option("--as", "username", required=True, help="The user completing the task.")
@click.option("-d", "--data", "pairs", multiple=True, metavar="FIELD=VALUE", help="A form field (repeatable).")
@click.option("--json-data", help="The form as a JSON object.")
@click.option("--version", "version", type=click.IntRange(1), help="Refuse if the workflow changed since.")
@click.option("--override-reason", help="Admin only: pass a failing validation, stating why.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def workflow_act(ctx, instance_id: int, task: str, username: str, pairs: tuple[str, ...], json_data: str | None,
                 version: int | None, override_reason: str | None, as_json: bool) -> None:
    """Complete TASK of workflow INSTANCE_ID with its form fields."""
    from collector.workflows.reading import instance_view
    from collector.workflows.service import complete_task

    templates = _templates(ctx)
    with ctx.db.write() as session:
        actor = _actor(session, username)
        data = _form(pairs, json_data, _field_types(session, templates, instance_id, task))
        _run(lambda: complete_task(session, templates, instance_id, task, actor, data, version, override_reason))
        view = instance_view(session, instance_id)
    _print_view(view, as_json)


@workflow.command("label")
@click.argument("instance_id", type=click.IntRange(1), required=False)
@click.option("--ci", "ci_id", type=click.IntRange(1), help="Print the label of this CI instead of a workflow's.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the PDF ('-' for standard output).")
@click.option("--url", help="The collector's address in the QR code (default: public_url from the config).")
@pass_ctx
def workflow_label(ctx, instance_id: int | None, ci_id: int | None, output: str, url: str | None) -> None:
    """Write the asset-tag label (PDF, QR code with the tag and the CI's URL) of the CI that
    workflow INSTANCE_ID is about or created (procurement's tag task), or of --ci."""
    from collector.cmdb.labels import ci_label, workflow_label as label_of_workflow

    if (instance_id is None) == (ci_id is None):
        raise click.UsageError("give either INSTANCE_ID or --ci")
    base = url or ctx.config.public_url
    if not base:
        raise click.UsageError("no collector address for the QR code: set public_url in the config or give --url")
    with ctx.db.session() as session:
        ci, pdf = _run(lambda: ci_label(session, ci_id, base) if ci_id else label_of_workflow(session, instance_id,
                                                                                                 base))
    with click.open_file(output, "wb") as target:
        target.write(pdf)
    if output != "-":
        click.echo(f"label of CI {ci.id} ({ci.asset_tag}) written to {output}")
