"""Running the probes and merging their fragments into one InventoryReport (as a dict).

A probe that raises is recorded in ``probe_errors`` and the others still run: a broken
package database must not cost the hardware inventory.
"""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable

from agent import __version__
from agent.probes import PROBES
from agent.probes.base import Probe

__all__ = ["collect_inventory", "merge_fragment"]

SCHEMA_VERSION = 1


def collect_inventory(agent_id: str, probes: Iterable[Probe] = PROBES) -> dict[str, Any]:
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "report_id": str(uuid.uuid4()),
        "agent_id": agent_id,
        "agent_version": __version__,
        "collected_at": datetime.now(timezone.utc).isoformat(),
        "host": {},
        "probe_errors": [],
    }
    for probe in probes:
        if not probe.supported():
            continue
        try:
            merge_fragment(report, probe.collect())
        except Exception as exc:  # noqa: BLE001 - a failing probe is data, not a crash
            import logging  # only on failure: the common path stays free of logging's import cost

            logging.getLogger(__name__).warning("probe failed", extra={"probe": probe.name, "error": str(exc)})
            report["probe_errors"].append({"probe": probe.name, "error": f"{type(exc).__name__}: {exc}"[:1000]})
    report["host"].setdefault("hostname", socket.gethostname())
    return report


def merge_fragment(report: dict[str, Any], fragment: dict[str, Any]) -> None:
    """Dicts merge key by key, lists extend, scalars replace."""
    for key, value in fragment.items():
        existing = report.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            existing.update(value)
        elif isinstance(existing, list) and isinstance(value, list):
            existing.extend(value)
        else:
            report[key] = value
