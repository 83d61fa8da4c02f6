"""Every integer the wire schemas accept fits the column (or JSON payload) it lands in.

PostgreSQL ``integer`` is int4 and ``bigint`` int8; SQLite stores int8. A value the schema
lets through but the column cannot hold is a 500 instead of a 422 (issue 16, defect 1).
"""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Integer

from collector.models import Agent, Asset, AssetDisk, AssetNic, Device, Observation
from common.schema import CheckinRequest, DiscoveryReport, EnrollRequest, InventoryReport

WIRE_RECORDS = (InventoryReport, DiscoveryReport, CheckinRequest, EnrollRequest)
# Kept inside a JSON document (the observation payload, asset.memory_modules): int8 readers.
JSON_ONLY = "json"
INT64_MAX = 2**63 - 1

# Where every integer field of the wire records lands. A new integer field fails
# test_every_integer_field_says_where_it_lands until it is listed here with its column.
LANDS_IN = {
    "InventoryReport.schema_version": Observation.schema_version,
    "InventoryReport.spool_dropped": Agent.reports_dropped,
    "CPU.sockets": Asset.cpu_sockets,
    "CPU.cores": Asset.cpu_cores,
    "CPU.threads": Asset.cpu_threads,
    "Memory.total_bytes": Asset.memory_bytes,
    "MemoryModule.size_bytes": JSON_ONLY,
    "MemoryModule.speed_mhz": JSON_ONLY,
    "Disk.size_bytes": AssetDisk.size_bytes,
    "NIC.speed_mbps": AssetNic.speed_mbps,
    "Monitor.manufactured_year": JSON_ONLY,
    "Battery.cycle_count": JSON_ONLY,
    "DiscoveryReport.schema_version": Observation.schema_version,
    "DiscoveredDevice.page_count": Device.page_count,
    "DeviceInterface.index": JSON_ONLY,
    "DeviceInterface.speed_mbps": JSON_ONLY,
    "StorageArea.size_bytes": JSON_ONLY,
    "CheckinRequest.spool_depth": Agent.spool_depth,
    "CheckinRequest.spool_rejected": Agent.spool_rejected,
}


def _integer_nodes(node: dict):
    """The integer sub-schemas of one property (directly, in anyOf, or in list items)."""
    if node.get("type") == "integer":
        yield node
    for option in node.get("anyOf", []):
        yield from _integer_nodes(option)
    if isinstance(node.get("items"), dict):
        yield from _integer_nodes(node["items"])


def _integer_fields():
    found = {}
    for record in WIRE_RECORDS:
        schema = record.model_json_schema()
        models = {record.__name__: schema, **schema.get("$defs", {})}
        for model_name, model in models.items():
            for field, node in model.get("properties", {}).items():
                for integer in _integer_nodes(node):
                    found[f"{model_name}.{field}"] = integer
    return found


def _column_range(column) -> tuple[int, int]:
    kind = type(column.type)
    if issubclass(kind, BigInteger):
        return -(2**63), INT64_MAX
    if issubclass(kind, Integer):  # PostgreSQL integer: int4
        return -(2**31), 2**31 - 1
    raise AssertionError(f"{column} is not an integer column")


def test_every_integer_field_says_where_it_lands():
    assert sorted(_integer_fields()) == sorted(LANDS_IN)


@pytest.mark.parametrize("path", sorted(LANDS_IN))
def test_every_integer_field_is_bounded_within_its_column(path):
    node = _integer_fields()[path]
    target = LANDS_IN[path]
    low, high = (-(2**63), INT64_MAX) if target is JSON_ONLY else _column_range(target)
    if "const" in node:  # Literal schema versions
        assert low <= node["const"] <= high
        return
    assert "minimum" in node and "maximum" in node, f"{path} is unbounded: {node}"
    assert low <= node["minimum"] and node["maximum"] <= high, f"{path} allows {node} but lands in {target}"
