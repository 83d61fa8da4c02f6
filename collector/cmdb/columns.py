"""The columns of a CMDB register: CI fields, the headers exported, the spellings imported.

Registers come out of other tools and hand-kept spreadsheets, so the same column is called
"Serial Number", "Serial No.", "S/N" or "serial_number". Headers are compared after
``header_key`` (case, spaces and punctuation dropped), and each field accepts the spellings
listed here; a site's own names go in a mapping file (``collector.cmdb.mapping``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collector.models.cmdb import CiClass, CiStatus

__all__ = [
    "ATTRIBUTE",
    "CLASS_SPELLINGS",
    "COLUMNS",
    "DEFAULT_HEADERS",
    "FIELDS",
    "IGNORE",
    "STATUS_SPELLINGS",
    "Column",
    "header_key",
    "value_key",
]

IGNORE = "ignore"  # mapping target for a column the import should skip
# Mapping target for a column kept on the CI under its own header (cis.attributes): a register's
# custom fields ("RAM", "Entity") that no CI field holds.
ATTRIBUTE = "attribute"


@dataclass(frozen=True)
class Column:
    """A CI field as a register column: ``header`` is what the export writes."""

    field: str
    header: str
    kind: str  # the parser in collector.cmdb.cells
    aliases: tuple[str, ...] = ()


# Export order. ``macs``, ``runs_on`` and ``connected_to`` are stored in ci_macs and
# ci_relationships, the rest in columns of cis with the same name.
COLUMNS: tuple[Column, ...] = (
    Column("asset_tag", "Asset Tag", "tag", ("asset", "asset no", "asset number", "asset id", "tag", "inventory number")),
    Column("name", "Name", "text", ("display name", "ci name", "device name")),
    Column("ci_class", "Class", "class", ("ci class", "type", "asset type", "device type", "category")),
    Column("status", "Status", "status", ("state", "lifecycle", "lifecycle status", "asset status")),
    Column("serial", "Serial Number", "serial", ("serial", "serial no", "s/n", "sn", "service tag")),
    Column("vendor", "Vendor", "text", ("manufacturer", "make", "brand")),
    Column("model", "Model", "text", ("model name", "product")),
    Column("hostname", "Hostname", "hostname", ("host name", "computer name")),
    Column("fqdn", "FQDN", "hostname", ("dns name", "fully qualified domain name")),
    Column("smbios_uuid", "SMBIOS UUID", "uuid", ("uuid", "system uuid", "bios uuid", "hardware uuid", "product uuid")),
    Column("ip", "IP Address", "ip", ("ip", "ipv4", "ipv4 address")),
    Column("macs", "MAC Addresses", "macs", ("mac", "macs", "mac address", "mac address(es)")),
    Column("assigned_user", "Assigned User", "text", ("user", "assigned to", "owner", "assignee", "used by")),
    Column("department", "Department", "text", ("dept", "business unit")),
    Column("location", "Location", "text", ("site", "room", "office")),
    Column("cost", "Cost", "money", ("price", "purchase price", "purchase cost")),
    Column("purchase_date", "Purchase Date", "date", ("purchased", "date purchased", "acquisition date")),
    Column("po_number", "PO Number", "text", ("po", "po no", "purchase order", "purchase order number")),
    Column("supplier", "Supplier", "text", ("reseller", "seller")),
    Column("warranty_end", "Warranty End", "date",
           ("warranty", "warranty end date", "warranty expiry", "warranty expires", "warranty expiration",
            "warranty until")),
    Column("runs_on", "Runs On", "runs_on", ("host ci", "hypervisor", "runs on host")),
    Column("connected_to", "Connected To", "connected_to", ("switch port", "connected to switch port")),
    Column("notes", "Notes", "notes", ("note", "comment", "comments", "remarks", "description")),
)

FIELDS: dict[str, Column] = {column.field: column for column in COLUMNS}


def header_key(header: str) -> str:
    """A header without case, spaces or punctuation: "MAC Address(es)" -> "macaddresses"."""
    return re.sub(r"[\W_]+", "", header.casefold())


def _default_headers() -> dict[str, str]:
    headers: dict[str, str] = {}
    for column in COLUMNS:
        for spelling in (column.field, column.header, *column.aliases):
            key = header_key(spelling)
            if headers.setdefault(key, column.field) != column.field:
                raise AssertionError(f"header spelling {spelling!r} names two fields")
    return headers


DEFAULT_HEADERS: dict[str, str] = _default_headers()


def value_key(value: str) -> str:
    """A class or status spelling compared loosely: "In-Stock", "in_stock", "IN STOCK" -> "in stock"."""
    return " ".join(re.split(r"[\s_\-/]+", value.casefold())).strip()


def _spellings(enum, extra: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {value_key(member.value): member.value for member in enum}
    for value, words in extra.items():
        table.update({value_key(word): value for word in words})
    return table


CLASS_SPELLINGS: dict[str, str] = _spellings(CiClass, {
    "computer": ("laptop", "notebook", "desktop", "workstation", "pc", "tablet", "thin client"),
    "server": ("physical server", "bare metal", "blade"),
    "virtual_machine": ("vm", "virtual server", "virtual"),
    "network_device": ("network", "switch", "router", "firewall", "access point", "ap", "wireless access point",
                       "load balancer", "wireless controller", "wlc", "console server", "terminal server", "kvm"),
    "printer": ("mfp", "mfd", "multifunction printer", "copier", "plotter"),
    "phone": ("mobile", "mobile phone", "smartphone", "ip phone", "desk phone", "voip phone", "cell phone"),
    "peripheral": ("monitor", "display", "dock", "docking station", "keyboard", "mouse", "headset", "webcam"),
})

STATUS_SPELLINGS: dict[str, str] = _spellings(CiStatus, {
    "ordered": ("on order", "purchased", "requested"),
    "in_stock": ("stock", "spare", "available", "in storage", "storage"),
    "deployed": ("in use", "active", "in service", "live", "production", "assigned", "operational"),
    "in_repair": ("repair", "under repair", "rma", "broken", "maintenance"),
    "retired": ("decommissioned", "inactive", "end of life", "eol", "out of service"),
    "disposed": ("scrapped", "sold", "destroyed", "recycled", "written off"),
})
