"""The Stocktake collector: ingest, reconciliation, workflows, reports, API and web UI."""
