"""The Stocktake endpoint agent: inventories its host and reports to the collector."""

__version__ = "0.1.0"
