"""Checking a scan profile as submitted (API body, CLI options) before anything is stored.

Every problem is collected and reported at once, each naming its field (``ranges[1]``,
``credentials[0].auth_key``). An update is checked as the whole profile it would produce,
so lowering ``max_addresses`` below what the ranges cover is refused like a new profile.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Mapping

from collector.errors import FieldError, InvalidInput
from collector.models import ScanProfile
from common.scan_ranges import check_ranges
from common.snmp_credentials import check_credentials

__all__ = ["EDITABLE_FIELDS", "MAX_INTERVAL_S", "MAX_RANGES", "MIN_INTERVAL_S", "ProfileSpec", "check_profile"]

EDITABLE_FIELDS = ("name", "ranges", "interface", "allow_public", "max_addresses", "interval_s", "enabled",
                   "credentials")
MIN_INTERVAL_S = 300  # a sweep plus SNMP polls of a /20 takes minutes; more often is a flood
MAX_INTERVAL_S = 7 * 86400
DEFAULT_INTERVAL_S = 3600
MAX_RANGES = 64


@dataclass(frozen=True)
class ProfileSpec:
    """A checked profile; ``credentials`` is None when an update leaves them as they are."""

    name: str
    ranges: list[str]
    interface: str
    allow_public: bool
    max_addresses: int
    interval_s: int
    enabled: bool
    credentials: list[dict[str, str]] | None

    def __repr__(self) -> str:  # never the credentials
        return f"ProfileSpec(name={self.name!r}, ranges={self.ranges!r}, interface={self.interface!r})"


def check_profile(data: Mapping[str, Any], ceiling: int, current: ScanProfile | None = None,
                  extra: tuple[str, ...] = ()) -> ProfileSpec:
    """The profile ``data`` describes (on top of ``current`` for an update); InvalidInput otherwise.

    ``ceiling`` is config.scan_max_addresses; ``extra`` names other keys the caller handles.
    """
    problems = [FieldError(str(key), "unknown field") for key in data if key not in EDITABLE_FIELDS + extra]
    values = {**(_values_of(current) if current else _defaults(ceiling)),
              **{key: data[key] for key in EDITABLE_FIELDS if key in data}}
    problems += _check_name(values.get("name")) + _check_interface(values.get("interface"))
    for key in ("allow_public", "enabled"):
        if not isinstance(values[key], bool):
            problems.append(FieldError(key, "must be true or false"))
    problems += _check_int(values, "max_addresses", 1, ceiling, "(at most scan_max_addresses)")
    problems += _check_int(values, "interval_s", MIN_INTERVAL_S, MAX_INTERVAL_S, "seconds")
    problems += _check_ranges(values, problems)
    credentials = None
    if "credentials" in data or current is None:
        credentials, found = check_credentials(values.get("credentials", []))
        problems += [FieldError(field, message) for field, message in found]
    if problems:
        raise InvalidInput("invalid scan profile; nothing was stored", problems)
    return ProfileSpec(values["name"], [str(ipaddress.ip_network(cidr)) for cidr in values["ranges"]],
                       values["interface"], values["allow_public"], values["max_addresses"], values["interval_s"],
                       values["enabled"], credentials)


def _defaults(ceiling: int) -> dict[str, Any]:
    return {"name": None, "ranges": None, "interface": None, "allow_public": False, "max_addresses": ceiling,
            "interval_s": DEFAULT_INTERVAL_S, "enabled": True}


def _values_of(profile: ScanProfile) -> dict[str, Any]:
    return {key: getattr(profile, key) for key in EDITABLE_FIELDS if key != "credentials"}


def _check_name(name: Any) -> list[FieldError]:
    if not isinstance(name, str) or not name.strip() or len(name) > 128 or not name.isprintable():
        return [FieldError("name", "required: 1-128 printable characters")]
    if name != name.strip():
        return [FieldError("name", "must not start or end with spaces")]
    return []


def _check_interface(interface: Any) -> list[FieldError]:
    # Linux dev_valid_name(): 1-15 bytes, not "." or "..", no "/", ":" or whitespace.
    if (not isinstance(interface, str) or not 1 <= len(interface.encode()) <= 15 or interface in (".", "..")
            or any(c in "/:" or c.isspace() or not c.isprintable() for c in interface)):
        return [FieldError("interface", "required: a network interface name (1-15 characters, no '/', ':' "
                                        "or spaces), e.g. eth0")]
    return []


def _check_int(values: dict, key: str, low: int, high: int, unit: str) -> list[FieldError]:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [FieldError(key, f"must be an integer from {low} to {high} {unit}")]
    return []


def _check_ranges(values: dict, earlier: list[FieldError]) -> list[FieldError]:
    ranges = values.get("ranges")
    if not isinstance(ranges, list) or not ranges or len(ranges) > MAX_RANGES:
        return [FieldError("ranges", f"required: a list of 1 to {MAX_RANGES} IPv4 CIDR ranges")]
    if any(problem.field in ("allow_public", "max_addresses") for problem in earlier):
        return []  # the range rules depend on these: fix them first
    found = check_ranges(ranges, values["allow_public"], values["max_addresses"])
    return [FieldError("ranges" if index < 0 else f"ranges[{index}]", message) for index, message in found]
