"""Importing a register: exact stored values, dry runs, upserts by asset tag, and relationships."""

from datetime import date
from decimal import Decimal

from collector.cmdb.mapping import parse_mapping
from tests.collector.cmdb.conftest import NOW
from tests.collector.cmdb.sheets import xlsx_bytes

HEADER = ("Asset Tag,Name,Class,Status,Serial Number,Vendor,Model,Hostname,IP Address,MAC Address(es),"
          "Assigned User,Department,Location,Cost,Purchase Date,PO Number,Supplier,Warranty End,Runs On,Connected To,Notes")

GOOD_CSV = "\n".join([
    HEADER,
    "SRV-01,ESX host,Server,In Stock,  7XK2   M93 ,Dell,PowerEdge R750,ESX-01.Corp.Example.com.,10.0.0.11,"
    "B0-7B-25-1A-00-01;b07b.251a.0002 b0:7b:25:1a:00:01,,IT,DC1 Rack A3,14250.5,2022-03-14,PO-1,Dell,2027-03-13,,"
    "SW-01:Gi1/0/1,\"Two PSUs\nRMA open\"",
    "VM-01,Domain controller,VM,deployed,,VMware,,dc-01,,00:50:56:a1:00:01,,IT,,,,,,,SRV-01,,",
    "SW-01,Core switch,switch,in-stock,FOC2345X0AB,Cisco,C9300,core-sw-01,,,,IT,DC1,$8420.00,,,,,,,",
])


def test_good_csv_is_stored_exactly(run_import, ci):
    report = run_import(GOOD_CSV)
    assert (report.ok, report.dry_run, report.rows, report.created, report.updated) == (True, False, 3, 3, 0)
    assert report.warnings == []
    server, macs, links = ci("SRV-01")
    assert (server.ci_class, server.status, server.name) == ("server", "in_stock", "ESX host")
    assert server.serial == "7XK2 M93"  # whitespace collapsed by normalize_serial
    assert server.hostname == "esx-01.corp.example.com"  # normalize_hostname: lower case, no trailing dot
    assert (server.vendor, server.model, server.ip) == ("Dell", "PowerEdge R750", "10.0.0.11")
    assert macs == ["b0:7b:25:1a:00:01", "b0:7b:25:1a:00:02"]  # three notations, one duplicate
    assert (server.department, server.location, server.po_number, server.supplier) == ("IT", "DC1 Rack A3", "PO-1", "Dell")
    assert server.cost == Decimal("14250.50")
    assert (server.purchase_date, server.warranty_end) == (date(2022, 3, 14), date(2027, 3, 13))
    assert server.notes == "Two PSUs\nRMA open"
    assert (server.source, server.import_batch, server.created_at, server.updated_at) == ("import", report.batch, NOW, NOW)
    assert server.assigned_user is None
    assert links == {"connected_to": ("SW-01", "Gi1/0/1")}
    vm, vm_macs, vm_links = ci("VM-01")
    assert (vm.ci_class, vm.status, vm.serial, vm.model, vm_macs) == ("virtual_machine", "deployed", None, None,
                                                                     ["00:50:56:a1:00:01"])
    assert vm_links == {"runs_on": ("SRV-01", None)}
    switch, _, _ = ci("SW-01")
    assert (switch.ci_class, switch.status, switch.cost) == ("network_device", "in_stock", Decimal("8420.00"))


def test_good_xlsx_is_stored_exactly(run_import, ci):
    data = xlsx_bytes([
        ["Asset Tag", "Class", "Status", "Serial Number", "Cost", "Purchase Date", "Warranty End", "MAC Address(es)"],
        [10023, "Laptop", "Deployed", "PF3ABC12", 1349, date(2023, 1, 9), "2026-01-08", "8c:8c:aa:10:00:01"],
        ["LT-2", "Desktop", "In Repair", 123456789012, 689.99, None, None, None],
    ])
    report = run_import(data, "xlsx")
    assert (report.ok, report.created) == (True, 2), report.errors
    laptop, macs, _ = ci("10023")  # a numeric cell becomes "10023", not "10023.0"
    assert (laptop.ci_class, laptop.status, laptop.serial, laptop.cost) == ("computer", "deployed", "PF3ABC12", Decimal("1349"))
    assert (laptop.purchase_date, laptop.warranty_end, macs) == (date(2023, 1, 9), date(2026, 1, 8), ["8c:8c:aa:10:00:01"])
    desktop, _, _ = ci("LT-2")
    assert (desktop.status, desktop.serial, desktop.cost, desktop.purchase_date) == (
        "in_repair", "123456789012", Decimal("689.99"), None)


def test_dry_run_previews_and_stores_nothing(run_import, cmdb_state):
    before = cmdb_state()
    report = run_import(GOOD_CSV, dry_run=True)
    assert (report.ok, report.created, report.updated, report.unchanged, report.batch) == (True, 3, 0, 0, None)
    assert [(p.row, p.action, p.asset_tag) for p in report.preview] == [(2, "create", "SRV-01"), (3, "create", "VM-01"),
                                                                       (4, "create", "SW-01")]
    assert report.preview[1].changes["runs_on"] == [None, "SRV-01"]
    assert cmdb_state() == before


def test_upsert_by_asset_tag_writes_only_what_changed(run_import, ci):
    first = run_import(GOOD_CSV)
    later = NOW.replace(day=9)
    changed = "\n".join([
        "Asset Tag,Status,MAC Addresses,Runs On,Connected To,Notes,Class",
        "SRV-01,deployed,b0:7b:25:1a:00:09,,SW-02:Te1/0/1,,server",  # status, MACs, switch port changed; notes cleared
        "VM-01,deployed,00:50:56:a1:00:01,SRV-01,,,vm",  # same as stored
        "SW-02,,,,,,switch",  # new, status from the default
    ])
    report = run_import(changed, now=later)
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 1, 1, 1), report.errors
    assert [(p.row, p.action) for p in report.preview] == [(2, "update"), (3, "unchanged"), (4, "create")]
    assert report.preview[0].changes == {
        "status": ["in_stock", "deployed"],
        "macs": [["b0:7b:25:1a:00:01", "b0:7b:25:1a:00:02"], ["b0:7b:25:1a:00:09"]],
        "connected_to": ["SW-01:Gi1/0/1", "SW-02:Te1/0/1"],
        "notes": ["Two PSUs\nRMA open", None],
    }
    server, macs, links = ci("SRV-01")
    assert (server.status, server.notes, macs, links) == ("deployed", None, ["b0:7b:25:1a:00:09"],
                                                          {"connected_to": ("SW-02", "Te1/0/1")})
    # Columns the second file does not have are left as they were.
    assert (server.serial, server.location, server.cost) == ("7XK2 M93", "DC1 Rack A3", Decimal("14250.50"))
    assert (server.updated_at, server.import_batch, server.created_at) == (later, report.batch, NOW)
    vm, _, _ = ci("VM-01")
    assert (vm.updated_at, vm.import_batch) == (NOW, first.batch)  # unchanged: not rewritten
    new_switch, _, _ = ci("SW-02")
    assert new_switch.status == "deployed"
    assert [str(w) for w in report.warnings] == ["row 4, Status: empty; the new CI is stored as deployed"]


def test_a_row_without_asset_tag_updates_the_ci_with_its_serial(run_import, ci):
    run_import("Asset Tag,Serial Number,Location\nLT-1,PF3ABC12,Floor 1\n")
    report = run_import("Serial Number,Location\nPF3ABC12,Floor 2\nNEW-SERIAL-1,Floor 3\n")
    assert (report.ok, report.created, report.updated) == (True, 1, 1)
    laptop, _, _ = ci("LT-1")
    assert laptop.location == "Floor 2"
    assert report.warnings[0].message == "no Class column: 1 new CI is stored as computer"


def test_a_serial_on_several_cis_needs_an_asset_tag(run_import, cmdb_state):
    run_import("Asset Tag,Serial Number\nLT-1,PF3ABC12\nLT-2,PF3ABC12\n")
    before = cmdb_state()
    report = run_import("Serial Number,Location\nPF3ABC12,Floor 2\n")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (2, "Serial Number", "serial 'PF3ABC12' is on 2 CIs ('LT-1', 'LT-2'); give the row an asset tag")]
    assert cmdb_state() == before


def test_relationships_may_name_cis_already_in_the_cmdb(run_import, ci):
    run_import("Asset Tag,Class\nSRV-9,server\nSW-9,switch\n")
    report = run_import("Asset Tag,Class,Runs On,Connected To\nVM-9,vm,SRV-9,SW-9:ge-0/0/1:2\n")
    assert report.ok, report.errors
    _, _, links = ci("VM-9")
    assert links == {"runs_on": ("SRV-9", None), "connected_to": ("SW-9", "ge-0/0/1:2")}


def test_mapping_names_site_headers_date_format_and_spellings(run_import, ci):
    mapping = parse_mapping({
        "columns": {"Inventory #": "asset_tag", "Kind": "ci_class", "Bought": "purchase_date", "Colour": "ignore"},
        "date_format": "%d/%m/%Y",
        "classes": {"Notebook PC": "computer"},
        "statuses": {"Live": "deployed"},
    })
    report = run_import("Inventory #,Kind,Status,Bought,Colour\nINV-7,Notebook PC,Live,31/12/2023,silver\n", mapping=mapping)
    assert report.ok, report.errors
    assert report.columns == {"Inventory #": "asset_tag", "Kind": "ci_class", "Status": "status", "Bought": "purchase_date"}
    item, _, _ = ci("INV-7")
    assert (item.ci_class, item.status, item.purchase_date) == ("computer", "deployed", date(2023, 12, 31))


def test_csv_with_bom_and_semicolons_from_excel(run_import, ci):
    data = "\ufeffAsset Tag;Serial Number;Cost\r\nLT-1;PF3ABC12;1299.00\r\n".encode("utf-8")
    report = run_import(data)
    assert report.ok, report.errors
    item, _, _ = ci("LT-1")
    assert (item.serial, item.cost) == ("PF3ABC12", Decimal("1299.00"))


def test_the_sample_register_imports_with_one_warning(run_import):
    from pathlib import Path

    data = (Path(__file__).resolve().parents[3] / "scripts" / "sample-cmdb.csv").read_bytes()
    report = run_import(data)
    assert (report.ok, report.created) == (True, 32), report.errors
    assert [(w.row, w.column) for w in report.warnings] == [(24, "Serial Number")]
    again = run_import(data, dry_run=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 32)
