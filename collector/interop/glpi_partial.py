"""A GLPI agent's partial inventory applied to the machine's last full report.

GLPI agents keep a checksum per inventory section (GLPI::Agent::Inventory::computeChecksum)
and, between full inventories (``full-inventory-postpone``, 14 runs by default), send only the
sections that changed, with ``"partial": true``; HARDWARE and BIOS always come along. Storing
such a message as the whole machine would record every absent section as removed, so the
sections it carries replace theirs in the last stored report and the rest is kept.

The merge keeps the key order of the converter's output (collector/interop/glpi_json.py), so
that a partial inventory that changes nothing gives the same bytes, hence the same content
hash, as the report stored before: it is recognised as unchanged.
"""

from __future__ import annotations

__all__ = ["REPORT_KEYS", "merge_partial"]

# The converter's top-level keys, in its order.
REPORT_KEYS = ("schema_version", "report_id", "agent_id", "agent_version", "collected_at", "host", "os", "cpu",
               "memory", "disks", "nics", "software", "monitors", "batteries", "users")
_ENVELOPE = ("schema_version", "report_id", "agent_id", "agent_version", "collected_at", "host")
# GLPI section -> the report key it alone determines.
_SECTIONS = {"operatingsystem": "os", "cpus": "cpu", "memories": "memory", "storages": "disks", "networks": "nics",
             "softwares": "software", "monitors": "monitors", "batteries": "batteries", "users": "users"}
# Host fields that come from OPERATINGSYSTEM rather than HARDWARE/BIOS.
_HOST_FROM_OS = ("fqdn", "domain")


def merge_partial(previous: dict, partial: dict, sections: set[str]) -> dict:
    """``previous`` (the last stored report) with what ``partial`` (the converted partial
    message carrying the GLPI ``sections``) says; the envelope is the partial's."""
    replaced = {_SECTIONS[section] for section in sections if section in _SECTIONS}
    merged = {}
    for key in REPORT_KEYS:
        if key == "host":
            value = _host(previous.get("host") or {}, partial["host"], "operatingsystem" in sections)
        elif key in _ENVELOPE or key in replaced:
            value = partial.get(key)
        elif key == "memory":
            value = _memory(previous.get("memory"), partial.get("memory"))
        elif key == "users":
            value = _users(previous.get("users"), partial.get("users"))
        else:
            value = previous.get(key)
        if value is not None:
            merged[key] = value
    return merged


def _host(previous: dict, partial: dict, with_os: bool) -> dict:
    if with_os:
        return partial
    kept = {key: previous[key] for key in _HOST_FROM_OS if key in previous}
    host = {key: value for key, value in partial.items() if key not in _HOST_FROM_OS or key in kept}
    host.update(kept)
    return {key: host[key] for key in _host_order(partial, kept) if key in host}


def _host_order(partial: dict, kept: dict) -> list[str]:
    """The converter's host key order (hostname, fqdn, domain, ...), whichever side a key came from."""
    order = ["hostname", "fqdn", "domain"]
    return order + [key for key in partial if key not in order] + [key for key in kept if key not in order]


def _memory(previous: dict | None, partial: dict | None) -> dict | None:
    """HARDWARE (always sent) gives the total; the modules stay unless MEMORIES came."""
    if partial is None:
        return previous
    return {"total_bytes": partial["total_bytes"], "modules": (previous or {}).get("modules", [])}


def _users(previous: dict | None, partial: dict | None) -> dict | None:
    """HARDWARE gives the last logged-in user; the logged-in list stays unless USERS came."""
    logged_in = (previous or {}).get("logged_in")
    primary = (partial or {}).get("primary")
    users = {key: value for key, value in (("logged_in", logged_in), ("primary", primary)) if value}
    return users or None
