"""Reconciliation rules: identification order, source precedence, outcome thresholds, from TOML.

The defaults live in ``rules.toml`` beside this module (documented there); a site file
overrides any subset of keys. A bad file is refused whole with the key that is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from common.identity import normalize_mac

__all__ = ["ATTRIBUTES", "RULES", "SOURCES", "ReconcileRules", "RulesError", "load_rules"]

DEFAULT_FILE = Path(__file__).with_name("rules.toml")
RULES = ("vendor_serial", "smbios_uuid", "mac_overlap", "hostname")
SOURCES = ("agent", "snmp", "arp", "switchport", "cmdb")
ATTRIBUTES = ("serial", "vendor", "model", "hostname", "location", "assigned_user")


class RulesError(ValueError):
    """The rules file is unusable; the message names the file and key."""


@dataclass(frozen=True)
class ReconcileRules:
    order: tuple[str, ...] = RULES
    shared_mac_min_hosts: int = 3
    known_shared_macs: frozenset[str] = frozenset()
    precedence: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    stale_after_days: int = 30
    missing_after_days: int = 30
    drift_attributes: tuple[str, ...] = ("hostname", "serial", "model", "location", "assigned_user")
    retired_statuses: frozenset[str] = frozenset({"retired", "disposed"})

    def ranks(self, attribute: str) -> dict[str, int]:
        """source -> position for ``attribute`` (0 = most authoritative); absent sources do not count."""
        return {source: position for position, source in enumerate(self.precedence.get(attribute, ()))}

    def rank(self, attribute: str, source: str) -> int | None:
        return self.ranks(attribute).get(source)


def load_rules(path: str | Path | None = None) -> ReconcileRules:
    """The defaults, overridden by ``path`` when given."""
    document = _read(DEFAULT_FILE)
    if path:
        site = _read(Path(path))
        for section, values in site.items():
            if section not in document:
                raise RulesError(f"{path}: unknown section [{section}]")
            if not isinstance(values, dict):
                raise RulesError(f"{path}: [{section}] must be a table")
            unknown = set(values) - set(document[section]) - ({"stale_after_days"} | set(ATTRIBUTES)
                                                               if section == "precedence" else set())
            if unknown:
                raise RulesError(f"{path}: unknown key {section}.{sorted(unknown)[0]}")
            document[section].update(values)
    return _build(document, path or DEFAULT_FILE)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise RulesError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: {exc}") from None


def _build(document: dict, path) -> ReconcileRules:
    identification, precedence, outcomes = (document["identification"], dict(document["precedence"]),
                                            document["outcomes"])
    order = tuple(identification["order"])
    if not order or any(rule not in RULES for rule in order) or len(set(order)) != len(order):
        raise RulesError(f"{path}: identification.order must list rules from {', '.join(RULES)}, each once")
    macs = set()
    for value in identification["known_shared_macs"]:
        mac = normalize_mac(str(value))
        if mac is None:
            raise RulesError(f"{path}: identification.known_shared_macs: {value!r} is not a MAC address")
        macs.add(mac)
    stale = precedence.pop("stale_after_days")
    for attribute, sources in precedence.items():
        if attribute not in ATTRIBUTES:
            raise RulesError(f"{path}: precedence.{attribute}: not an attribute ({', '.join(ATTRIBUTES)})")
        if not isinstance(sources, list) or any(source not in SOURCES for source in sources):
            raise RulesError(f"{path}: precedence.{attribute} must list sources from {', '.join(SOURCES)}")
    drift = tuple(outcomes["drift_attributes"])
    if any(attribute not in ATTRIBUTES for attribute in drift):
        raise RulesError(f"{path}: outcomes.drift_attributes must list attributes from {', '.join(ATTRIBUTES)}")
    numbers = {"identification.shared_mac_min_hosts": identification["shared_mac_min_hosts"],
               "precedence.stale_after_days": stale, "outcomes.missing_after_days": outcomes["missing_after_days"]}
    for key, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3650:
            raise RulesError(f"{path}: {key} must be a whole number from 1 to 3650")
    return ReconcileRules(
        order=order, shared_mac_min_hosts=identification["shared_mac_min_hosts"], known_shared_macs=frozenset(macs),
        precedence=MappingProxyType({k: tuple(v) for k, v in precedence.items()}), stale_after_days=stale,
        missing_after_days=outcomes["missing_after_days"], drift_attributes=drift,
        retired_statuses=frozenset(outcomes["retired_statuses"]),
    )
