"""Interoperability with foreign inventory agents and registers (issue 15).

One module per wire format turns a foreign payload into the same InventoryReport or
DiscoveryReport dict Stocktake's own agent sends; :mod:`collector.interop.foreign_agents`
authenticates the foreign agents (per-site secrets), gives each device an agent id, and stores
the converted reports through the native ingest path, so identity, history, software, SAM and
reconciliation treat them like any other.
"""
