"""--preset glpi-computers / glpi-network: GLPI's list exports (";", quoted, multi-line cells)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.collector.cmdb.foreign_exports import (
    GLPI_COMPUTER_HEADERS,
    glpi_computers,
    glpi_line,
    glpi_network,
    with_row,
)
from tests.collector.cmdb.sheets import issues


@pytest.fixture
def stored(database):
    """Every CI by asset tag, or by serial when it has none: the fields ``expected`` names."""
    from collector.models.cmdb import CiMac, ConfigurationItem

    def read(expected: dict[int, dict]) -> dict[str, dict]:
        names = {name for row in expected.values() for name in row} - {"macs"}
        with database.session() as session:
            macs: dict[int, list[str]] = {}
            for ci_id, mac in session.execute(select(CiMac.ci_id, CiMac.mac).order_by(CiMac.mac)):
                macs.setdefault(ci_id, []).append(mac)
            return {ci.asset_tag or ci.serial: {**{name: getattr(ci, name) for name in names},
                                                "macs": macs.get(ci.id, [])}
                    for ci in session.scalars(select(ConfigurationItem))}

    return read


def _assert_stored(export, cis) -> None:
    assert len(cis) == len(export.expected)
    for number, expected in export.expected.items():
        ci = cis[expected["asset_tag"] or expected["serial"]]
        for name, value in expected.items():
            assert ci[name] == value, (number, name, ci[name], value)


def test_the_computers_list_is_stored_field_by_field(run_import, stored):
    export = glpi_computers(200)
    report = run_import(export.data, preset="glpi-computers")
    assert report.ok, report.errors
    assert (report.rows, report.created) == (200, 200)
    _assert_stored(export, stored(export.expected))
    warned = {(w.row, w.column, w.message) for w in report.warnings if w.column == "Type"}
    assert warned == {(row, "Type", "no class for 'Kiosk'; stored as computer (add the spelling under [classes] "
                                    "in a mapping to choose)") for row in export.warned_rows}
    # Rows without an inventory number are keyed by their serial.
    assert sum(1 for row in export.expected.values() if row["asset_tag"] is None) == 40


def test_the_network_devices_list_is_stored_field_by_field(run_import, stored):
    export = glpi_network(60)
    report = run_import(export.data, preset="glpi-network")
    assert report.ok, report.errors
    _assert_stored(export, stored(export.expected))
    assert {w.row for w in report.warnings if w.column == "Type"} == {row for row, e in export.expected.items()
                                                                      if (row - 2) % 5 == 4}


def test_glpi_9_lines_ending_in_the_delimiter(run_import, stored):
    export = glpi_computers(25, trailing=True)
    assert export.text.splitlines()[0].endswith('"Comments";')
    report = run_import(export.data, preset="glpi-computers")
    assert report.ok, report.errors
    _assert_stored(export, stored(export.expected))


def test_reimporting_the_same_list_changes_nothing(run_import, cmdb_state):
    export = glpi_computers(200)
    assert run_import(export.data, preset="glpi-computers").ok
    before = cmdb_state()
    again = run_import(export.data, preset="glpi-computers")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 200)
    assert cmdb_state() == before


def test_bad_rows_are_each_named_and_nothing_is_stored(run_import, cmdb_state):
    column = GLPI_COMPUTER_HEADERS.index
    fin = "Financial and administrative information - "
    text = glpi_computers(50).text
    text = with_row(text, 4, {column("Status"): "Quarantined"}, ";")
    text = with_row(text, 8, {column("Inventory number"): "INV-20001"}, ";")  # row 3's
    text = with_row(text, 10, {column(fin + "Date of purchase"): "2024-13-45"}, ";")
    text = with_row(text, 13, {column("Inventory number"): "", column("Serial number"): ""}, ";")
    text = with_row(text, 16, {column("Networking - MAC address"): "8c:8c:aa:00:00:01\nnot-a-mac"}, ";")
    report = run_import(text, preset="glpi-computers")
    assert issues(report) == [(4, "Status"), (8, "Inventory number"), (10, fin + "Date of purchase"),
                              (13, "Inventory number"), (16, "Networking - MAC address")]
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(4, "Status")].startswith("unknown status 'Quarantined'")
    assert messages[(8, "Inventory number")] == "duplicate asset tag 'INV-20001' (also on row 3)"
    assert messages[(10, fin + "Date of purchase")].startswith("not a date: '2024-13-45'")
    assert messages[(16, "Networking - MAC address")].startswith("not a usable MAC address: 'not-a-mac'")
    assert cmdb_state() == ([], [], [])


def test_a_status_is_read_by_its_full_name_then_its_own_then_its_parents(run_import, stored):
    rows = [["Name", "Inventory number", "Status"], ["a", "T-1", "Site A > In stock"],
            ["b", "T-2", "Retired > Lost in transit"], ["c", "T-3", "En réparation"]]
    text = "".join(glpi_line(row) for row in rows)
    assert run_import(text, preset="glpi-computers").ok
    expected = {2: {"asset_tag": "T-1", "status": "in_stock"}, 3: {"asset_tag": "T-2", "status": "retired"},
                4: {"asset_tag": "T-3", "status": "in_repair"}}
    cis = stored(expected)
    assert [cis[f"T-{n}"]["status"] for n in (1, 2, 3)] == ["in_stock", "retired", "in_repair"]


def test_a_day_first_glpi_uses_date_format_from_a_site_mapping(run_import, stored):
    from collector.cmdb.mapping import parse_mapping

    fin = "Financial and administrative information - "
    text = glpi_line(["Name", "Inventory number", fin + "Date of purchase"]) + glpi_line(["a", "T-1", "31-12-2023"])
    assert issues(run_import(text, preset="glpi-computers")) == [(2, fin + "Date of purchase")]
    site = parse_mapping({"date_format": "%d-%m-%Y"})
    assert run_import(text, preset="glpi-computers", mapping=site).ok
    assert stored({2: {"purchase_date": None}})["T-1"]["purchase_date"].isoformat() == "2023-12-31"


def test_the_name_is_the_host_name_unless_it_is_not_one_or_a_hostname_column_says(run_import, stored):
    rows = [["Name", "Inventory number"], ["PC-0001.corp.example", "T-1"], ["Ada's laptop", "T-2"],
            ["localhost", "T-3"]]
    report = run_import("".join(glpi_line(row) for row in rows), preset="glpi-computers")
    assert report.ok
    assert not [w for w in report.warnings if w.column == "Name"]  # a name that is no host name is fine
    cis = stored({2: {"asset_tag": None, "name": None, "hostname": None}})
    assert [(cis[t]["name"], cis[t]["hostname"]) for t in ("T-1", "T-2", "T-3")] == [
        ("PC-0001.corp.example", "pc-0001.corp.example"), ("Ada's laptop", None), ("localhost", None)]
    # A Hostname column of the file's own wins over the name.
    rows = [["Name", "Inventory number", "Hostname"], ["PC-0001.corp.example", "T-1", "pc-0001"]]
    assert run_import("".join(glpi_line(row) for row in rows), preset="glpi-computers").updated == 1
    assert stored({2: {"asset_tag": None, "hostname": None}})["T-1"]["hostname"] == "pc-0001"
