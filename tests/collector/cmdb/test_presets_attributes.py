"""Kept columns (cis.attributes) and the preset registry: merging, mapping files, unknown presets."""

from __future__ import annotations

import pytest
from sqlalchemy import select


@pytest.fixture
def attributes(database):
    from collector.models.cmdb import ConfigurationItem

    def read(tag: str):
        with database.session() as session:
            return session.scalar(select(ConfigurationItem.attributes).where(ConfigurationItem.asset_tag == tag))

    return read


def test_a_file_replaces_its_own_attribute_columns_and_keeps_the_others(run_import, attributes):
    from collector.cmdb.mapping import parse_mapping

    keep = parse_mapping({"unknown_columns": "keep"})
    assert run_import("Asset Tag,RAM,CPU,Colour\nLT-1,16 GB,i7,red\nLT-2,8 GB,,\n", mapping=keep).ok
    assert attributes("LT-1") == {"CPU": "i7", "Colour": "red", "RAM": "16 GB"}
    assert attributes("LT-2") == {"RAM": "8 GB"}
    # A later file with only RAM: RAM changes, an empty cell removes its key, the rest stay.
    report = run_import("Asset Tag,RAM\nLT-1,32 GB\nLT-2,\n", mapping=keep)
    assert (report.updated, report.unchanged) == (2, 0)
    assert attributes("LT-1") == {"CPU": "i7", "Colour": "red", "RAM": "32 GB"}
    assert attributes("LT-2") is None
    # A file without attribute columns leaves them alone.
    assert run_import("Asset Tag,Name\nLT-1,Laptop one\n").updated == 1
    assert attributes("LT-1") == {"CPU": "i7", "Colour": "red", "RAM": "32 GB"}


def test_the_dry_run_preview_shows_attribute_changes(run_import):
    from collector.cmdb.mapping import parse_mapping

    site = parse_mapping({"columns": {"Colour": "attribute"}})
    assert run_import("Asset Tag,Colour\nLT-1,red\n", mapping=site).ok
    preview = run_import("Asset Tag,Colour\nLT-1,blue\n", mapping=site, dry_run=True).as_dict()["preview"]
    assert preview == [{"row": 2, "action": "update", "asset_tag": "LT-1", "serial": None,
                        "changes": {"attributes": [{"Colour": "red"}, {"Colour": "blue"}]}}]


def test_unknown_columns_stay_errors_without_a_preset_or_keep(run_import):
    report = run_import("Asset Tag,Colour\nLT-1,red\n")
    assert [(e.row, e.column) for e in report.errors] == [(1, "Colour")]
    from collector.cmdb.mapping import parse_mapping

    ignored = run_import("Asset Tag,Colour\nLT-1,red\n", mapping=parse_mapping({"unknown_columns": "ignore"}))
    assert ignored.ok and ignored.columns == {"Asset Tag": "asset_tag"}


def test_a_repeated_kept_header_is_told_apart_by_its_column(run_import, attributes):
    # Snipe-IT's Custom Asset Report writes "Address" twice (address, address2).
    text = "Asset Tag,Address,Address,Status\nA-1,1 Main St,Floor 2,Ready to Deploy (deployable)\n"
    assert run_import(text, preset="snipeit").ok
    assert attributes("A-1") == {"Address": "1 Main St", "Address (C)": "Floor 2"}


def test_a_kept_cell_is_checked_like_any_other(run_import, cmdb_state):
    long = "x" * 2001
    text = f"Asset Tag,RAM,CPU\nA-1,=1+1,ok\nA-2,ok,{long}\n"
    report = run_import(text, preset="snipeit")
    assert [(e.row, e.column) for e in report.errors] == [(2, "RAM"), (3, "CPU")]
    assert report.errors[1].message == "longer than 2000 characters (2001)"
    assert cmdb_state() == ([], [], [])


def test_mapping_files_accept_attribute_and_unknown_columns_and_refuse_nonsense():
    from collector.cmdb.mapping import parse_mapping
    from collector.errors import InvalidInput

    mapping = parse_mapping({"columns": {"Colour": "attribute"}, "unknown_columns": "keep"})
    assert mapping.field_for("colour") == "attribute"
    assert mapping.field_for("Anything else") == "attribute"
    with pytest.raises(InvalidInput) as caught:
        parse_mapping({"unknown_columns": "sometimes"})
    assert [f.field for f in caught.value.fields] == ["mapping.unknown_columns"]


def test_every_preset_builds_and_names_only_fields_classes_and_statuses_the_cmdb_has():
    from collector.cmdb.columns import ATTRIBUTE, FIELDS, IGNORE
    from collector.cmdb.presets import PRESET_NAMES, PRESETS
    from collector.models.cmdb import CI_CLASSES, CI_STATUSES

    assert PRESET_NAMES == ("snipeit", "glpi-computers", "glpi-network")
    for preset in PRESETS.values():
        mapping = preset.mapping()
        assert set(mapping.columns.values()) <= {*FIELDS, IGNORE, ATTRIBUTE}
        assert set(mapping.classes.values()) <= set(CI_CLASSES)
        assert set(mapping.statuses.values()) <= set(CI_STATUSES)
        assert mapping.class_fallback in CI_CLASSES
        assert mapping.unknown_columns == "keep"
        # Every header a preset names reaches a field, "attribute" or "ignore", never the error path.
        for header in preset.columns:
            assert mapping.field_for(header) == preset.columns[header]


def test_an_unknown_preset_is_refused_naming_the_presets(run_import, cmdb_state):
    from collector.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        run_import("Asset Tag\nLT-1\n", preset="snipe-it")
    assert [(f.field, f.message) for f in caught.value.fields] == [
        ("preset", "unknown preset 'snipe-it'; use one of snipeit, glpi-computers, glpi-network")]
    assert cmdb_state() == ([], [], [])


def test_the_audit_entry_names_the_preset(run_import, database):
    from collector.models import AuditLogEntry

    assert run_import("Asset Tag,Status\nA-1,Ready to Deploy (deployable)\n", preset="snipeit").ok
    with database.session() as session:
        entry = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "cmdb_imported")).one()
        assert entry.detail["preset"] == "snipeit"



def test_kept_columns_are_bounded_in_number_and_header_length(run_import, cmdb_state):
    headers = ["Asset Tag"] + [f"Field {n}" for n in range(201)]
    report = run_import(",".join(headers) + "\nA-1" + ",x" * 201 + "\n", preset="snipeit")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (1, "Field 200", 'more than 200 columns to keep; map the ones not needed to "ignore"')]
    report = run_import("Asset Tag," + "H" * 256 + "\nA-1,x\n", preset="snipeit")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (1, "B", "a kept column's header is longer than 255 characters (256)")]
    assert cmdb_state() == ([], [], [])


def test_status_readers_take_linear_time_on_hostile_cells(run_import):
    # "Label (type)" and "Parent > Child" are read with partition and split, not a backtracking
    # pattern: 100,000 spaces before a missing parenthesis is refused as unknown at once.
    hostile = "x" + " " * 100_000 + "(y"
    for preset in ("snipeit", "glpi-computers"):
        report = run_import(f"Asset Tag,Status\nA-1,{hostile}\n", preset=preset)
        assert [(e.row, e.column) for e in report.errors] == [(2, "Status")]


@pytest.mark.parametrize("preset", ["snipeit", "glpi-network"])
def test_hostile_workbooks_are_file_problems_with_a_preset_too(run_import, cmdb_state, preset):
    from tests.collector.cmdb.sheets import HOSTILE_SHEETS, with_sheet_xml

    for name, xml in sorted(HOSTILE_SHEETS.items()):
        report = run_import(with_sheet_xml(xml), "xlsx", preset=preset)
        assert [(e.row, e.column) for e in report.errors] == [(None, None)], name
        assert report.errors[0].message.startswith("the workbook's XML "), name
    assert cmdb_state() == ([], [], [])
