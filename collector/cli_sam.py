"""``stocktake-collector sam``: software licence compliance from the command line.

The group only; its commands live beside it by topic (normalisation and rules, entitlements,
positions, reports), each module adding its commands with ``add_commands(sam)``."""

from __future__ import annotations

import click

__all__ = ["sam"]


@click.group()
def sam() -> None:
    """Software licence compliance: normalise installed titles to products, manage entitlements,
    compute licence positions, export the Effective License Position."""


# Each topic module registers its commands here (one line each).
from collector.cli_sam_entitlements import add_commands as _entitlements  # noqa: E402

_entitlements(sam)

from collector.cli_sam_rules import add_commands as _rules_commands  # noqa: E402

_rules_commands(sam)

from collector.cli_sam_reports import add_commands as _add_report_commands  # noqa: E402  (ELP, audit pack)

_add_report_commands(sam)

from collector.cli_sam_positions import add_commands as _add_positions  # noqa: E402

_add_positions(sam)  # positions, reclaim, renewals
