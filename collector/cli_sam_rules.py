"""``stocktake-collector sam normalise|titles|rules``: normalisation of installed titles and its rules."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["add_commands"]



def _actor():
    from collector.access.audit_log import cli_actor

    return cli_actor()


def _service(fn):
    from collector.cli import _service_call

    return _service_call(fn)


@click.command("normalise")
@click.option("--full", is_flag=True, help="Redo every title, not only new ones and those of an older ruleset.")
@click.pass_obj
def normalise_command(ctx, full: bool) -> None:
    """Map installed titles to products by the rules (admin rules first, then the shipped catalogue)."""
    from collector.sam.runs import normalise_and_record

    def progress(done: int, total: int) -> None:
        click.echo(f"  {done}/{total} titles", err=True)

    result = _service(lambda: normalise_and_record(ctx.db, _actor(), full=full, progress=progress))
    click.echo(f"{result.titles} titles normalised: {result.covered} covered, {result.uncovered} uncovered, "
               f"{result.products_created} new products, ruleset {result.ruleset}, {result.seconds:.2f} s")


@click.command("titles")
@click.option("--uncovered", is_flag=True, required=True, help="List the titles no rule covers (the only listing).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--search", help="Only names containing this text (case-insensitive).")
@click.pass_obj
def titles_command(ctx, uncovered: bool, limit: int, search: str | None) -> None:
    """Raw titles no rule covers, with the number of devices that have them, largest first."""
    from collector.sam.titles import uncovered_titles

    with ctx.db.session() as session:
        items, total = uncovered_titles(session, search=search, per_page=limit)
    for item in items:
        click.echo(f"{item['installs']:>7}  {item['source']:<11} {item['name']}  [{item['publisher'] or '-'}]")
    click.echo(f"{total} uncovered title(s)")


@click.group("rules")
def rules_group() -> None:
    """Admin normalisation rules (tried before the shipped catalogue)."""


@rules_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rules_list(ctx, as_json: bool) -> None:
    from collector.sam.admin_rules import list_rules, rule_view

    with ctx.db.session() as session:
        views = [rule_view(row) for row in list_rules(session)]
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    for view in views:
        click.echo(f"{view['position']:>4}  {view['rule_id']:<32} {json.dumps(view['definition'], sort_keys=True)}")


@rules_group.command("add")
@click.argument("rule")
@click.option("--position", type=int, help="Place among admin rules (lower is tried first; default last).")
@click.option("--note")
@click.pass_obj
def rules_add(ctx, rule: str, position: int | None, note: str | None) -> None:
    """RULE is the rule as JSON or TOML text, or @FILE / a path to a .toml or .json file."""
    from collector.sam.admin_rules import add_rule, parse_rule_text

    text = _rule_text(rule)

    def add():
        with ctx.db.write() as session:
            return add_rule(session, parse_rule_text(text), _actor(), position=position, note=note).rule_id

    click.echo(f"added rule {_service(add)}; run `sam normalise` to apply it")


@rules_group.command("delete")
@click.argument("rule_id")
@click.pass_obj
def rules_delete(ctx, rule_id: str) -> None:
    from collector.sam.admin_rules import delete_rule

    def delete():
        with ctx.db.write() as session:
            delete_rule(session, rule_id, _actor())

    _service(delete)
    click.echo(f"deleted rule {rule_id}; run `sam normalise` to apply it")


def _rule_text(rule: str) -> str:
    path = Path(rule[1:] if rule.startswith("@") else rule)
    if rule.startswith("@") or (path.suffix in (".toml", ".json") and path.is_file()):
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    return rule


def add_commands(sam: click.Group) -> None:
    for command in (normalise_command, titles_command, rules_group):
        sam.add_command(command)
