"""Generated Snipe-IT and GLPI exports, written the way each tool writes them, with what each
row should become in the CMDB.

The formats follow each tool's export code (see docs/migrating-from-ocs-glpi.md (section 7)): Snipe-IT's Custom
Asset Report is comma-separated with a UTF-8 byte-order mark, statuses as "Label (type)",
amounts with a thousands separator, and formula-looking cells escaped with a backtick; its asset
list export uses the page's column titles. GLPI's list export is ";"-separated, every value in
double quotes, CRLF line ends, one value per line in multi-valued cells, and amounts in the
default "1 234.56" format. Values are realistic but invented; IP addresses are in 198.18.0.0/15.

``expected`` is written here independently of the presets' own tables, so a wrong preset entry
fails the tests instead of agreeing with itself.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

# --- Snipe-IT ---------------------------------------------------------------------------

SNIPEIT_REPORT_HEADERS = [
    "Company", "Asset Name", "Asset Tag", "Model", "Model No.", "Category", "Manufacturer", "Serial", "Purchased",
    "Cost", "EOL", "Warranty", "Warranty Expires", "Current Value", "Diff", "Fully Depreciated", "Order Number",
    "Supplier", "Location", "Checked Out", "Type", "Department", "Status", "Created at", "Updated at",
    "Last Audit", "Notes", "URL", "MAC Address", "IP Address", "RAM", "CPU", "IMEI",
]
SNIPEIT_LIST_HEADERS = [
    "Asset Name", "Asset Tag", "Serial", "Model", "Model No.", "Category", "Status", "Checked Out To", "Location",
    "Manufacturer", "Supplier", "Purchase Date", "Purchase Cost", "Order Number", "Warranty", "Warranty Expires",
    "Notes", "MAC Address",
]

# (label as written, whether checked out) -> the status expected
SNIPEIT_STATUSES = [
    ("Ready to Deploy (deployable)", "in_stock"),
    ("Ready to Deploy (deployed)", "deployed"),
    ("Pending (pending)", "in_stock"),
    ("Archived (archived)", "retired"),
    ("Out for Repair (undeployable)", "in_repair"),
    ("Out for Diagnostics (undeployable)", "in_repair"),
    ("Broken - Not Fixable (undeployable)", "retired"),
    ("Lost/Stolen (undeployable)", "retired"),
    ("Loaned to Partner (deployed)", "deployed"),  # a site's own label: its type decides
    ("Awaiting Imaging (pending)", "in_stock"),
]
# category -> (class expected, makes and models)
SNIPEIT_CATEGORIES = {
    "Laptops": ("computer", [("Lenovo", "ThinkPad T14 Gen 4", "21HD"), ("Dell", "Latitude 7440", "P161G")]),
    "Desktops": ("computer", [("HP", "EliteDesk 800 G9", "5V8B0EA")]),
    "Servers": ("server", [("Dell", "PowerEdge R760", "E85S")]),
    "Mobile Phones": ("phone", [("Apple", "iPhone 15", "A3090")]),
    "Displays": ("peripheral", [("Dell", "U2723QE", "U2723QEt")]),
    "Networking": ("network_device", [("Cisco", "Catalyst 9200L", "C9200L-24P-4G")]),
    "Label Printers": ("other", [("Brother", "QL-820NWB", "QL820")]),  # unknown category: other, warned
}
_PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson"]
_DEPARTMENTS = ["Finance", "Engineering", "Sales", "Facilities"]
_LOCATIONS = ["London HQ", "Leeds Office", "Data Centre DC1", "Remote"]
_SUPPLIERS = ["CDW", "Insight", "Softcat"]


@dataclass
class Export:
    """A generated file and, per data row number (as a spreadsheet numbers it), the CI expected."""

    text: str
    expected: dict[int, dict] = field(default_factory=dict)
    warned_rows: set[int] = field(default_factory=set)

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


def _money(value: Decimal, style: str) -> str:
    whole, cents = f"{value:.2f}".split(".")
    groups = f"{int(whole):,}"
    return {"comma": f"{groups}.{cents}", "space": f"{groups.replace(',', ' ')}.{cents}"}[style]


def _mac(rng: random.Random) -> str:
    return "8c:8c:aa:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def snipeit_report(count: int = 200, seed: int = 15) -> Export:
    """Snipe-IT's Custom Asset Report with every column and three custom fields (MAC Address, IP Address,
    RAM, CPU, IMEI)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SNIPEIT_REPORT_HEADERS)
    export = Export("")
    categories = list(SNIPEIT_CATEGORIES)
    for index in range(count):
        number = index + 2
        category = categories[index % len(categories)]
        ci_class, models = SNIPEIT_CATEGORIES[category]
        make, model, model_no = models[index % len(models)]
        label, status = SNIPEIT_STATUSES[index % len(SNIPEIT_STATUSES)]
        checked_out = "(deployed)" in label
        tag, serial = f"A-{10000 + index}", f"SN{rng.randrange(10**9):09d}"
        purchased = date(2021, 1, 4) + timedelta(days=rng.randrange(1200))
        cost = Decimal(rng.randrange(15_000, 420_000)) / 100
        warranty = rng.choice([12, 24, 36, 60])
        warranty_end = purchased + timedelta(days=warranty * 30)
        user = rng.choice(_PEOPLE) if checked_out else ""
        department = rng.choice(_DEPARTMENTS) if checked_out else ""
        location = rng.choice(_LOCATIONS)
        mac = _mac(rng) if ci_class in ("computer", "server", "network_device") else ""
        ip = f"198.18.{index // 250}.{index % 250 + 1}" if ci_class == "server" else ""
        ram = f"{rng.choice([8, 16, 32, 64])} GB" if ci_class in ("computer", "server") else ""
        cpu = "Intel Core i7-1365U" if ci_class == "computer" else ("Xeon Gold 6430" if ci_class == "server" else "")
        imei = f"35{rng.randrange(10**13):013d}" if ci_class == "phone" else ""
        notes = "`=HYPERLINK(\"http://198.18.0.1\")" if index == 7 else ("Spare charger in drawer" if index % 9 == 0 else "")
        purchased_text = f"{purchased} 00:00:00" if index % 2 else purchased.isoformat()
        eol = (purchased + timedelta(days=1460)).isoformat()
        row = {
            "Company": "Example Ltd", "Asset Name": f"{category[:3].upper()}-{index:04d}", "Asset Tag": tag,
            "Model": model, "Model No.": model_no, "Category": category, "Manufacturer": make, "Serial": serial,
            "Purchased": purchased_text, "Cost": _money(cost, "comma"), "EOL": eol, "Warranty": str(warranty),
            "Warranty Expires": warranty_end.isoformat(), "Current Value": _money(cost / 2, "comma"),
            "Diff": _money(cost / 2, "comma"), "Fully Depreciated": eol, "Order Number": f"PO-{4000 + index // 10}",
            "Supplier": rng.choice(_SUPPLIERS), "Location": location, "Checked Out": user,
            "Type": "user" if checked_out else "", "Department": department, "Status": label,
            "Created at": "2024-01-02 09:00:00", "Updated at": "2026-12-01 17:45:12", "Last Audit": "2026-06-30",
            "Notes": notes, "URL": f"https://snipe.example.invalid/hardware/{index + 1}", "MAC Address": mac,
            "IP Address": ip, "RAM": ram, "CPU": cpu, "IMEI": imei,
        }
        writer.writerow([row[h] for h in SNIPEIT_REPORT_HEADERS])
        attributes = {"Company": "Example Ltd", "Model No.": model_no, "EOL": eol, "Warranty": str(warranty),
                      "Fully Depreciated": eol, "Last Audit": "2026-06-30", "URL": row["URL"], "Type": row["Type"],
                      "RAM": ram, "CPU": cpu, "IMEI": imei}
        export.expected[number] = {
            "asset_tag": tag, "name": row["Asset Name"], "ci_class": ci_class, "status": status, "serial": serial,
            "vendor": make, "model": model, "assigned_user": user or None, "department": department or None,
            "location": location, "cost": cost, "purchase_date": purchased, "po_number": row["Order Number"],
            "supplier": row["Supplier"], "warranty_end": warranty_end,
            "notes": "=HYPERLINK(\"http://198.18.0.1\")" if index == 7 else (notes or None),
            "ip": ip or None, "macs": [mac] if mac else [],
            "attributes": {k: v for k, v in sorted(attributes.items()) if v},
        }
        if ci_class == "other":
            export.warned_rows.add(number)
    export.text = "\ufeff" + out.getvalue()
    return export


def snipeit_list(count: int = 30, seed: int = 16) -> Export:
    """The hardware list page's Export (its column titles; statuses as plain labels)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SNIPEIT_LIST_HEADERS)
    export = Export("")
    labels = [("Ready to Deploy", "in_stock"), ("Deployed", "deployed"), ("Pending", "in_stock"),
              ("Archived", "retired"), ("Broken", "in_repair")]
    for index in range(count):
        label, status = labels[index % len(labels)]
        tag = f"L-{index:03d}"
        mac = _mac(rng)
        cost = Decimal(rng.randrange(50_000, 300_000)) / 100
        row = [f"Laptop {index}", tag, f"PF{index:06d}", "ThinkPad X1 Carbon", "21HM", "Laptops", label,
               "Ada Lovelace" if status == "deployed" else "", "London HQ", "Lenovo", "CDW", "2024-02-29",
               _money(cost, "comma"), "PO-1", "36", "2027-02-28", "", mac.upper()]
        writer.writerow(row)
        export.expected[index + 2] = {"asset_tag": tag, "status": status, "ci_class": "computer", "cost": cost,
                                      "macs": [mac], "assigned_user": "Ada Lovelace" if status == "deployed" else None,
                                      "attributes": {"Model No.": "21HM", "Warranty": "36"}}
    export.text = out.getvalue()
    return export


# --- GLPI -------------------------------------------------------------------------------

_FIN = "Financial and administrative information - "
GLPI_COMPUTER_HEADERS = [
    "Name", "Entity", "Status", "Manufacturer", "Serial number", "Inventory number", "Type", "Model",
    "Operating System - Name", "Location", "Last update", "Components - Processor", "User", "UUID",
    "Networking - MAC address", "Networking - IP", _FIN + "Date of purchase", _FIN + "Value",
    _FIN + "Warranty expiration date", "Comments",
]
GLPI_NETWORK_HEADERS = [
    "Name", "Entity", "Status", "Manufacturer", "Serial number", "Inventory number", "Type", "Model", "Location",
    "Last update", "Components - Firmware", "Networking - MAC address", "Networking - IP",
]
GLPI_STATUSES = [("In use", "deployed"), ("In stock", "in_stock"), ("Paris > En service", "deployed"),
                 ("In repair", "in_repair"), ("Retired", "retired"), ("", None), ("Rebut", "disposed")]
GLPI_COMPUTER_TYPES = [("Laptop", "computer"), ("Desktop", "computer"), ("Notebook", "computer"),
                       ("Rack Mount Chassis", "server"), ("Virtual Machine", "virtual_machine"),
                       ("Kiosk", "computer")]  # a site's own type: the list's class, warned
GLPI_NETWORK_TYPES = [("Switch", "network_device"), ("Router", "network_device"), ("Firewall", "network_device"),
                      ("Access point", "network_device"), ("Stacking unit", "network_device")]


def glpi_line(values: list[str], trailing: bool = False) -> str:
    """One line as GLPI writes it: every value quoted (quotes doubled), ";" between, CRLF."""
    line = ";".join('"' + value.replace('"', '""') + '"' for value in values)
    return line + (";" if trailing else "") + "\r\n"


def glpi_computers(count: int = 200, seed: int = 25, trailing: bool = False) -> Export:
    """GLPI's Computers list. ``trailing``: GLPI 9.x's CSV, which ends every line with the delimiter."""
    rng = random.Random(seed)
    lines = [glpi_line(GLPI_COMPUTER_HEADERS, trailing)]
    export = Export("")
    for index in range(count):
        number = index + 2
        status_text, status = GLPI_STATUSES[index % len(GLPI_STATUSES)]
        type_text, ci_class = GLPI_COMPUTER_TYPES[index % len(GLPI_COMPUTER_TYPES)]
        tag = f"INV-{20000 + index}" if index % 5 else ""  # every fifth row has no inventory number
        serial = f"CZC{rng.randrange(10**7):07d}"
        macs = [_mac(rng) for _ in range(1 + index % 2)]
        ips = [f"198.18.{1 + index // 200}.{index % 200 + 1}"] + (["198.19.0.9"] if index % 2 else [])
        purchased = date(2020, 6, 1) + timedelta(days=rng.randrange(1500))
        value = Decimal(rng.randrange(40_000, 900_000)) / 100
        warranty_end = purchased + timedelta(days=1095)
        uuid = f"4c4c4544-0042-{index:04x}-8031-b4c04f{index:06x}"
        user = rng.choice(["alovelace", "ghopper", "aturing", ""])
        cpu = "Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz"
        values = [f"pc-{index:04d}", "Root entity > Europe", status_text, "Dell Inc.", serial, tag, type_text,
                  "OptiPlex 7080", "Debian GNU/Linux 12 (bookworm)", "Paris > Building A > Room 12",
                  "2026-11-30 08:12", f"{cpu}\n{cpu}", user, uuid, "\n".join(macs), "\n".join(ips),
                  purchased.isoformat(), _money(value, "space"), warranty_end.isoformat(),
                  "Imaged 2024" if index % 4 == 0 else ""]
        lines.append(glpi_line(values, trailing))
        export.expected[number] = {
            "asset_tag": tag or None, "name": f"pc-{index:04d}", "hostname": f"pc-{index:04d}", "ci_class": ci_class,
            "status": status or "deployed", "serial": serial, "vendor": "Dell Inc.", "model": "OptiPlex 7080",
            "location": "Paris > Building A > Room 12", "assigned_user": user or None, "smbios_uuid": uuid,
            "cost": value, "purchase_date": purchased, "warranty_end": warranty_end,
            "notes": "Imaged 2024" if index % 4 == 0 else None, "macs": sorted(macs),
            "attributes": {"Components - Processor": f"{cpu}\n{cpu}", "Entity": "Root entity > Europe",
                           "Networking - IP": "\n".join(ips), "Operating System - Name": "Debian GNU/Linux 12 (bookworm)"},
        }
        if type_text == "Kiosk":
            export.warned_rows.add(number)
    export.text = "".join(lines)
    return export


def glpi_network(count: int = 60, seed: int = 26) -> Export:
    rng = random.Random(seed)
    lines = [glpi_line(GLPI_NETWORK_HEADERS)]
    export = Export("")
    for index in range(count):
        status_text, status = GLPI_STATUSES[index % len(GLPI_STATUSES)]
        type_text, ci_class = GLPI_NETWORK_TYPES[index % len(GLPI_NETWORK_TYPES)]
        tag, serial = f"NET-{index:04d}", f"FOC{rng.randrange(10**8):08d}"
        macs = sorted({_mac(rng) for _ in range(3)})
        values = [f"sw-{index:03d}.example.invalid", "Root entity", status_text, "Cisco", serial, tag, type_text,
                  "C9300-48P", "Paris > DC1 > Rack 4", "2026-11-30 08:12", "17.9.4a", "\n".join(macs),
                  f"198.18.200.{index + 1}"]
        lines.append(glpi_line(values))
        export.expected[index + 2] = {
            "asset_tag": tag, "name": f"sw-{index:03d}.example.invalid",
            "hostname": f"sw-{index:03d}.example.invalid", "ci_class": ci_class,
            "status": status or "deployed", "serial": serial, "vendor": "Cisco", "model": "C9300-48P",
            "macs": macs, "attributes": {"Components - Firmware": "17.9.4a", "Entity": "Root entity",
                                         "Networking - IP": f"198.18.200.{index + 1}"}}
    export.text = "".join(lines)
    return export


def with_row(text: str, number: int, replace: dict[int, str], delimiter: str = ",") -> str:
    """``text`` with cells of data row ``number`` (1 = header) replaced by column index."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter))
    for index, value in replace.items():
        rows[number - 1][index] = value
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if text.startswith("\ufeff") else "") + out.getvalue()
