"""The classification rules and vendor-MIB probes, loaded from ``agent/discovery/rules/*.toml``.

Rules are data so that a new device family is a new table with a test, not new code. Each
``[[rule]]`` has an ``id`` (cited as the classification's "why"), a ``type`` from
common.device_types, an optional ``vendor`` (the maker when the sysObjectID names only the agent
software), and conditions that must all hold. Each ``[[probe]]`` names one vendor-MIB subtree
the poller asks with a single GETNEXT, and only for devices its ``enterprise``/``oid``/``descr``
conditions select (the cheap evidence being ambiguous). Files are read in ``FILES`` order, rules
in file order: the first rule whose conditions all hold wins. Every error names the file and rule.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from common.device_types import DEVICE_TYPES

__all__ = ["FILES", "Probe", "Rule", "RuleError", "RuleSet", "default_ruleset", "load_ruleset"]

RULES_DIR = Path(__file__).with_name("rules")
# Most specific evidence first: probe answers and product subtrees, then product markers, then
# standard MIBs and chassis models, then host operating systems, then whole-vendor defaults.
FILES = ("probes.toml", "power.toml", "network.toml", "appliances.toml", "peripherals.toml", "hosts.toml",
         "fallback.toml")
MIBS = frozenset({"printer", "ups", "bridge"})
_REGEX_FIELDS = ("descr", "not_descr", "model", "manufacturer", "oui")
_RULE_FIELDS = frozenset({"id", "type", "vendor", "enterprise", "oid", "probe", "mib", "services_all",
                          "services_none", *_REGEX_FIELDS})
_PROBE_FIELDS = frozenset({"id", "oid", "enterprise", "descr", "not_descr"})
_OID = re.compile(r"^1(\.\d+)+$")


class RuleError(ValueError):
    """A rule file that cannot be used, with the file and rule it is about."""


class Probe(NamedTuple):
    """One vendor-MIB subtree: a device that has a row under ``oid`` answers it."""

    id: str
    oid: str
    enterprise: frozenset[int] = frozenset()
    descr: re.Pattern | None = None
    not_descr: re.Pattern | None = None


class Rule(NamedTuple):
    id: str
    device_type: str
    vendor: str | None = None
    enterprise: frozenset[int] = frozenset()  # sysObjectID under one of these enterprise numbers
    oid: tuple[str, ...] = ()  # or under one of these subtrees
    probe: frozenset[str] = frozenset()  # one of these vendor-MIB probes answered
    mib: str | None = None  # a standard MIB answered: printer, ups, bridge
    services_all: int = 0  # sysServices (RFC 3418) has all these layer bits
    services_none: int = 0  # ... and none of these
    descr: re.Pattern | None = None  # sysDescr matches (a (?P<model>...) group gives a model hint)
    not_descr: re.Pattern | None = None  # ... and does not match
    model: re.Pattern | None = None  # ENTITY-MIB chassis model matches
    manufacturer: re.Pattern | None = None  # ENTITY-MIB chassis maker matches
    oui: re.Pattern | None = None  # MAC vendor matches (only for devices SNMP did not answer)


class RuleSet(NamedTuple):
    rules: tuple[Rule, ...]
    probes: tuple[Probe, ...]


def load_ruleset(directory: Path = RULES_DIR, files: tuple[str, ...] = FILES) -> RuleSet:
    """Read and validate every file; RuleError on the first problem, naming file and rule."""
    rules, probes, seen, places = [], [], {}, {}
    for name in files:
        path = Path(directory) / name
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RuleError(f"{path}: {exc}") from None
        unknown = set(document) - {"rule", "probe"}
        if unknown:
            raise RuleError(f"{path}: unknown table(s) {', '.join(sorted(unknown))} (expected [[rule]], [[probe]])")
        for kind, build, bucket in (("probe", _probe, probes), ("rule", _rule, rules)):
            for index, table in enumerate(document.get(kind, [])):
                where = f"{path}: {kind} {table.get('id', f'#{index + 1}')!r}" if isinstance(table, dict) else str(path)
                item = build(table, where)
                key = (kind, item.id)
                if key in seen:
                    raise RuleError(f"{where}: duplicate id (first in {seen[key]})")
                seen[key], places[key] = path.name, where
                bucket.append(item)
    _check_probe_references(rules, {probe.id for probe in probes}, places)
    return RuleSet(tuple(rules), tuple(probes))


def _check_probe_references(rules: list[Rule], probe_ids: set[str], places: dict) -> None:
    """Every probe a rule asks about is declared (in any file, so checked once all are read)."""
    for rule in rules:
        missing = rule.probe - probe_ids
        if missing:
            raise RuleError(f"{places[('rule', rule.id)]}: unknown probe(s) {', '.join(sorted(missing))}")


def _common(table: dict, where: str, allowed: frozenset[str]) -> dict:
    if not isinstance(table, dict):
        raise RuleError(f"{where}: not a table")
    unknown = set(table) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if not isinstance(table.get("id"), str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", table["id"]):
        raise RuleError(f"{where}: id must be lower-case letters, digits, '-', '_' or '.'")
    fields = {"id": table["id"], "enterprise": frozenset(_ints(table.get("enterprise", []), where, "enterprise"))}
    for key in _REGEX_FIELDS:
        if key in table and key in allowed:
            fields[key] = _regex(table[key], where, key)
    return fields


def _probe(table: dict, where: str) -> Probe:
    fields = _common(table, where, _PROBE_FIELDS)
    oid = table.get("oid")
    if not isinstance(oid, str) or not _OID.match(oid):
        raise RuleError(f"{where}: oid must be a dotted OID under 1 (got {oid!r})")
    if not (fields["enterprise"] or "descr" in fields):
        raise RuleError(f"{where}: a probe needs an enterprise or descr condition (it would be asked of every device)")
    return Probe(id=fields["id"], oid=oid, enterprise=fields["enterprise"], descr=fields.get("descr"),
                 not_descr=fields.get("not_descr"))


def _rule(table: dict, where: str) -> Rule:
    fields = _common(table, where, _RULE_FIELDS)
    device_type = table.get("type")
    if device_type not in DEVICE_TYPES:
        raise RuleError(f"{where}: unknown type {device_type!r} (one of {', '.join(DEVICE_TYPES)})")
    oids = table.get("oid", [])
    oids = [oids] if isinstance(oids, str) else oids
    if not isinstance(oids, list) or not all(isinstance(o, str) and _OID.match(o) for o in oids):
        raise RuleError(f"{where}: oid must be dotted OIDs (got {oids!r})")
    probe = table.get("probe", [])
    probe = [probe] if isinstance(probe, str) else probe
    mib = table.get("mib")
    if mib is not None and mib not in MIBS:
        raise RuleError(f"{where}: unknown mib {mib!r} (one of {', '.join(sorted(MIBS))})")
    vendor = table.get("vendor")
    if vendor is not None and not (isinstance(vendor, str) and vendor.strip()):
        raise RuleError(f"{where}: vendor must be a non-empty string")
    services = {key: table.get(key, 0) for key in ("services_all", "services_none")}
    if not all(isinstance(value, int) and 0 <= value < 128 for value in services.values()):
        raise RuleError(f"{where}: services_all/services_none must be sysServices bits (0-127)")
    rule = Rule(id=fields.pop("id"), device_type=device_type, vendor=vendor, oid=tuple(o + "." for o in oids),
                probe=frozenset(probe), mib=mib, **services, **fields)
    if not (rule.enterprise or rule.oid or rule.probe or rule.mib or rule.services_all or rule.services_none
            or rule.descr or rule.model or rule.manufacturer or rule.oui):
        raise RuleError(f"{where}: no condition (it would match every device)")
    return rule


def _ints(values, where: str, key: str) -> list[int]:
    values = [values] if isinstance(values, int) else values
    if not isinstance(values, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                               for v in values):
        raise RuleError(f"{where}: {key} must be enterprise numbers (got {values!r})")
    return values


def _regex(pattern, where: str, key: str) -> re.Pattern:
    if not isinstance(pattern, str) or not pattern:
        raise RuleError(f"{where}: {key} must be a non-empty regular expression")
    try:
        return re.compile(pattern, re.IGNORECASE | re.DOTALL)  # sysDescr spans lines (Huawei VRP)
    except re.error as exc:
        raise RuleError(f"{where}: bad {key} regex {pattern!r}: {exc}") from None


@lru_cache(maxsize=1)
def default_ruleset() -> RuleSet:
    """The shipped rules, loaded and validated once per process."""
    return load_ruleset()
