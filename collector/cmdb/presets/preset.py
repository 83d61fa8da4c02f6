"""What a register import preset is: another tool's export described as a column mapping.

A preset is plain data (header -> CI field, "attribute" or "ignore"; category and status
spellings -> CI classes and statuses) plus the few habits of its exporter that a mapping file
cannot say. It is turned into a ``ColumnMapping`` through ``parse_mapping``, so a preset that
names a field, class or status the CMDB does not have fails like a bad mapping file would.
This module imports nothing heavy: the CLI lists the presets in ``--help``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Preset"]


@dataclass(frozen=True)
class Preset:
    """One tool's export. ``columns`` names headers as the tool writes them (compared without case,
    spaces or punctuation); headers it does not name use the default spellings, and any other
    column is kept as an attribute of the CI."""

    name: str
    title: str
    columns: dict[str, str]
    classes: dict[str, str]
    statuses: dict[str, str]
    class_fallback: str  # the class of a category or type the preset does not know, with a warning
    money_grouping: bool = True  # the tool formats amounts for people: 1,234.56 or 1 234,56
    formula_escape: str | None = None
    status_reader: Callable | None = field(default=None, compare=False)
    derived: dict[str, str] = field(default_factory=dict)  # see ColumnMapping.derived

    def mapping(self):
        """The preset as a ``ColumnMapping`` (raises InvalidInput if its own data is wrong)."""
        from dataclasses import replace

        from collector.cmdb.mapping import parse_mapping

        document = {"columns": self.columns, "classes": self.classes, "statuses": self.statuses,
                    "unknown_columns": "keep"}
        return replace(parse_mapping(document, f"preset {self.name}"), class_fallback=self.class_fallback,
                       money_grouping=self.money_grouping, formula_escape=self.formula_escape,
                       status_reader=self.status_reader, derived=self.derived)
