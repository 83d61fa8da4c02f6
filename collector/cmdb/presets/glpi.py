"""GLPI's Computers and Network devices lists, exported from the search page (CSV or XLSX).

Headers are GLPI's English search option names: the item's own ("Name", "Entity", "Status",
"Manufacturer", "Serial number", "Inventory number", "Type", "Model", "Location", "Last
update", "UUID", "User", "Group", "Comments"), and those of linked items prefixed with their
group ("Operating System - Name", "Components - Processor", "Financial and administrative
information - Date of purchase", "Networking - MAC address"). GLPI writes CSV with the user's
delimiter (";" unless changed), every value in double quotes, one value per line in a cell that
holds several, and amounts and dates in the user's display format (the default date is
YYYY-MM-DD; give another with date_format in a --mapping file).

A row's Name is also its host name (GLPI's agents and network inventory name an item by it)
unless the file has a Hostname column or the name is not a host name ("Ada's laptop").

Statuses and types are each site's own dropdowns (a fresh GLPI has none): the common English
and French names are mapped, a status is read as "Parent > Child" by its full name, its own name,
then its parent's, and an unknown type keeps the list's class (computer or network device).
"""

from __future__ import annotations

from collections.abc import Callable

from collector.cmdb.presets.preset import Preset

__all__ = ["GLPI_COMPUTERS", "GLPI_NETWORK"]

_FINANCIAL = "Financial and administrative information - "

_COMMON_COLUMNS = {
    "Name": "name",
    "Inventory number": "asset_tag",
    "Serial number": "serial",
    "Status": "status",
    "Type": "ci_class",
    "Manufacturer": "vendor",
    "Model": "model",
    "Location": "location",
    "UUID": "smbios_uuid",
    "User": "assigned_user",
    "Group": "department",
    "Comments": "notes",
    "Networking - MAC address": "macs",
    "MAC address": "macs",
    # Several addresses, one per line: kept as an attribute (a CI holds one IP).
    "Networking - IP": "attribute",
    "IP": "attribute",
    "Supplier": "supplier",
    # Written by GLPI or its agents at every change or contact, not register data.
    "Last update": "ignore",
    "Creation date": "ignore",
    "Last inventory date": "ignore",
    "Last boot date": "ignore",
    "ID": "attribute",
}
for _name, _field in {"Date of purchase": "purchase_date", "Warranty expiration date": "warranty_end",
                      "Value": "cost", "Order number": "po_number", "Supplier": "supplier"}.items():
    _COMMON_COLUMNS[_FINANCIAL + _name] = _field
    _COMMON_COLUMNS.setdefault(_name, _field)

_STATUSES = {
    "In use": "deployed", "In service": "deployed", "Production": "deployed", "Used": "deployed",
    "En service": "deployed", "En production": "deployed", "Utilisé": "deployed", "En utilisation": "deployed",
    "In stock": "in_stock", "Stock": "in_stock", "Available": "in_stock", "En stock": "in_stock",
    "Disponible": "in_stock", "Spare": "in_stock",
    "In repair": "in_repair", "Repair": "in_repair", "Maintenance": "in_repair", "Broken": "in_repair",
    "En réparation": "in_repair", "En panne": "in_repair", "En maintenance": "in_repair",
    "Ordered": "ordered", "On order": "ordered", "Commandé": "ordered", "En commande": "ordered",
    "Retired": "retired", "Out of service": "retired", "Decommissioned": "retired", "Lost": "retired",
    "Stolen": "retired", "Hors service": "retired", "Réformé": "retired", "Perdu": "retired", "Volé": "retired",
    "Disposed": "disposed", "Scrapped": "disposed", "Recycled": "disposed", "Rebut": "disposed",
    "Au rebut": "disposed", "Détruit": "disposed", "Recyclé": "disposed",
}

_COMPUTER_TYPES = {
    # Chassis types as GLPI's agents report them, and the usual hand-made ones.
    "Desktop": "computer", "Laptop": "computer", "Notebook": "computer", "Tower": "computer",
    "Mini Tower": "computer", "Mini PC": "computer", "All in One": "computer", "Portable": "computer",
    "Tablet": "computer", "Convertible": "computer", "Detachable": "computer", "Low Profile Desktop": "computer",
    "Space-saving": "computer", "Lunch Box": "computer", "Sub Notebook": "computer", "Hand Held": "computer",
    "Docking Station": "peripheral", "Thin client": "computer", "Workstation": "computer",
    "Server": "server", "Rack Mount Chassis": "server", "Blade": "server", "Multi-system chassis": "server",
    "Main Server Chassis": "server", "Expansion Chassis": "server",
    "Virtual Machine": "virtual_machine", "Virtual": "virtual_machine", "VM": "virtual_machine",
    "Ordinateur portable": "computer", "Portable PC": "computer", "Ordinateur de bureau": "computer",
    "Serveur": "server", "Machine virtuelle": "virtual_machine",
}

_NETWORK_TYPES = {
    "Switch": "network_device", "Router": "network_device", "Firewall": "network_device",
    "Access point": "network_device", "Wireless access point": "network_device", "Wifi": "network_device",
    "Wireless controller": "network_device", "Load balancer": "network_device", "Hub": "network_device",
    "Gateway": "network_device", "Modem": "network_device", "Routeur": "network_device",
    "Commutateur": "network_device", "Pare-feu": "network_device", "Borne wifi": "network_device",
    "Printer": "printer", "Phone": "phone", "IP phone": "phone", "Server": "server",
}


def read_status(text: str, lookup: Callable[[str], str | None]) -> str | None:
    """A status GLPI writes by its full name, "Parent > Child": the child's, else the parent's."""
    parts = [part.strip() for part in text.split(">") if part.strip()]
    if len(parts) < 2 or len(text) > 255:
        return None
    return lookup(parts[-1]) or lookup(parts[0])


GLPI_COMPUTERS = Preset(
    name="glpi-computers",
    title="GLPI Assets > Computers list export",
    columns={**_COMMON_COLUMNS},
    classes=_COMPUTER_TYPES,
    statuses=_STATUSES,
    class_fallback="computer",
    status_reader=read_status,
    derived={"hostname": "name"},  # agents name a computer by its host name
)

GLPI_NETWORK = Preset(
    name="glpi-network",
    title="GLPI Assets > Network devices list export",
    columns={**_COMMON_COLUMNS},
    classes=_NETWORK_TYPES,
    statuses=_STATUSES,
    class_fallback="network_device",
    status_reader=read_status,
    derived={"hostname": "name"},  # the device's sysName, as GLPI's network inventory names it
)
