"""Snipe-IT's hardware export: the asset list's Export button and the Custom Asset Report.

Headers are Snipe-IT's English column titles (resources/lang/en: "Asset Tag", "Asset Name",
"Serial", "Model", "Model No.", "Category", "Manufacturer", "Status", "Checked Out To",
"Location", "Purchase Date", "Purchase Cost", "Order Number", "Supplier", "Warranty" (months),
"Warranty Expires", "Notes"); the Custom Asset Report writes a few of them differently
("Purchased", "Cost", "Checked Out" followed by its "Type") and a status as "Label (type)", where
the type is deployable, deployed, pending, archived or undeployable (deployed whenever the asset
is checked out). Custom fields follow under their own names; one called "MAC Address" (Snipe-IT's
predefined MAC format) fills the CI's MACs. Snipe-IT escapes formula-looking cells with a backtick
(league/csv EscapeFormula) and writes amounts with a thousands separator (1,234.56).
"""

from __future__ import annotations

from collections.abc import Callable

from collector.cmdb.presets.preset import Preset

__all__ = ["SNIPEIT"]

_COLUMNS = {
    "Asset Tag": "asset_tag",
    "Asset Name": "name",
    "Serial": "serial",
    "Model": "model",
    "Model No.": "attribute",
    "Category": "ci_class",
    "Manufacturer": "vendor",
    "Status": "status",
    "Checked Out To": "assigned_user",
    "Checked Out": "assigned_user",
    "Type": "attribute",  # the Custom Asset Report's type of "Checked Out" (user, asset, location)
    "Location": "location",
    "Department": "department",
    "Purchase Date": "purchase_date",
    "Purchased": "purchase_date",
    "Purchase Cost": "cost",
    "Cost": "cost",
    "Order Number": "po_number",
    "Supplier": "supplier",
    "Warranty": "attribute",  # months, not the end date (which is "Warranty Expires")
    "Warranty Expires": "warranty_end",
    "Notes": "notes",
    "MAC Address": "macs",
    # Computed from today's date by Snipe-IT at export time: a re-export would change every CI.
    "Age": "ignore",
    "Current Value": "ignore",
    "Diff": "ignore",
    "Created At": "ignore",
    "Updated At": "ignore",
    "Checkouts": "ignore",
    "Checkins": "ignore",
    "Requests": "ignore",
    # The list page's picture and buttons.
    "Image": "ignore",
    "Device Image": "ignore",
    "Checkin/Checkout": "ignore",
    "Actions": "ignore",
}

# Snipe-IT's seeded categories and the usual site-made ones.
_CLASSES = {
    "Laptops": "computer", "Desktops": "computer", "Tablets": "computer", "Workstations": "computer",
    "Thin Clients": "computer", "Computers": "computer",
    "Servers": "server",
    "Virtual Machines": "virtual_machine",
    "Networking": "network_device", "Network": "network_device", "Switches": "network_device",
    "Routers": "network_device", "Firewalls": "network_device", "Access Points": "network_device",
    "Printers": "printer", "Scanners": "peripheral",
    "Mobile Phones": "phone", "VOIP Phones": "phone", "Conference Phones": "phone", "Phones": "phone",
    "Displays": "peripheral", "Monitors": "peripheral", "Docking Stations": "peripheral",
    "Projectors": "peripheral",
}

# Snipe-IT's default status labels (database/factories/StatuslabelFactory.php, the seeder).
_STATUSES = {
    "Ready to Deploy": "in_stock",
    "Deployed": "deployed",
    # "Pending": not yet deployable (being set up, awaited, or away and expected back); Stocktake
    # has no "not ready", and in stock is what it is not: deployed. A site says otherwise in [statuses].
    "Pending": "in_stock",
    "Archived": "retired",
    "Out for Diagnostics": "in_repair",
    "Out for Repair": "in_repair",
    "Broken - Not Fixable": "retired",
    "Lost/Stolen": "retired",
}

# The status type Snipe-IT adds in parentheses, for labels a site named itself.
_TYPES = {"deployed": "deployed", "deployable": "in_stock", "pending": "in_stock", "archived": "retired",
          "undeployable": "in_repair"}
_LONGEST = 255  # a status cell longer than any label is not read


def read_status(text: str, lookup: Callable[[str], str | None]) -> str | None:
    """"Label (type)": deployed when Snipe-IT says so (the asset is checked out), else the label's
    status, else the type's. A plain label the tables do not know is not guessed."""
    text = text.strip()
    if len(text) > _LONGEST or not text.endswith(")"):
        return None
    label, _, kind = text[:-1].rpartition("(")
    kind, label = kind.strip().casefold(), label.strip()
    if kind not in _TYPES:
        return None
    if kind == "deployed":
        return "deployed"
    return (lookup(label) if label else None) or _TYPES[kind]


SNIPEIT = Preset(
    name="snipeit",
    title="Snipe-IT hardware export (asset list Export, or the Custom Asset Report)",
    columns=_COLUMNS,
    classes=_CLASSES,
    statuses=_STATUSES,
    class_fallback="other",
    formula_escape="`",
    status_reader=read_status,
)
