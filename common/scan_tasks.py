"""The scan task a collector hands an assigned scanner agent at check-in, and how its reports name it.

A task (JSON object in the check-in answer's ``tasks``)::

    {"type": "scan", "profile_id": 3, "profile": "hq-floor-2", "ranges": ["10.2.0.0/24"],
     "interface": "eth0", "allow_public": false, "max_addresses": 4096, "interval_s": 3600,
     "credentials": [{"name": "credential-1", "version": "2c", "community": "..."}]}

``credentials`` are decrypted entries with the field names of the agent's credential file
(common.snmp_credentials). Each DiscoveryReport of a task carries the scan id
``profile:<id>:<range>:<UTC time>``, so the collector can tell when a profile last reported.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

__all__ = ["TASK_FIELDS", "TASK_TYPE", "profile_id_of", "profile_scan_id"]

TASK_TYPE = "scan"
TASK_FIELDS = ("type", "profile_id", "profile", "ranges", "interface", "allow_public", "max_addresses",
               "interval_s", "credentials")
_SCAN_ID = re.compile(r"^profile:(\d{1,12}):")


def profile_scan_id(profile_id: int, cidr: str, started: datetime) -> str:
    """At most 56 characters (the schema allows 64): 'profile:' + id + ':' + CIDR + ':' + time."""
    return f"profile:{profile_id}:{cidr}:{started.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"


def profile_id_of(scan_id: str) -> int | None:
    """The profile a report's scan id names, or None for a scan run by hand."""
    match = _SCAN_ID.match(scan_id or "")
    return int(match.group(1)) if match else None
