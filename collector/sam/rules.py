"""One normalisation rule: what raw titles it matches and the product it yields, validated.

Shipped rules (collector/sam/catalogue/*.toml) and admin rules (``sam_admin_rules.definition``)
have one shape and go through :func:`parse_rule`, which collects every problem of a rule before
failing. A rule matches a title by its exact name (case-insensitive) or a regular expression on
the name (case-insensitive, ``re.search``; anchor it with ``^``), optionally also a regular
expression on the publisher and a list of sources (``dpkg``, ``registry``… or the families
``linux``, ``windows``, ``macos``). It yields publisher, product and edition, or ``ignore = true``
for titles that are parts of the OS or libraries (covered, no product). ``edition``, ``version``
and ``major_version`` may name the regex's groups: ``"{edition}"``, ``"{year}"``; ``edition_map``
translates editions ("Professionnel Plus" → "Professional Plus") and ``major_map`` major versions
(SQL Server on Linux "16" → "2022").
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from collector.errors import FieldError

__all__ = ["CATEGORIES", "RULE_KEYS", "SOURCE_FAMILIES", "SOURCES", "Rule", "parse_rule"]

# What agents send as SoftwareItem.source (agent/probes/software/*.py), and SNMP hrSWInstalledName.
SOURCES = ("dpkg", "rpm", "apk", "pacman", "snap", "flatpak", "registry", "msi", "pkg", "pkg-receipt", "snmp")
SOURCE_FAMILIES = {"linux": ("dpkg", "rpm", "apk", "pacman", "snap", "flatpak"), "windows": ("registry", "msi"),
                   "macos": ("pkg", "pkg-receipt")}
CATEGORIES = ("commercial", "free", "os", "component")
RULE_KEYS = {"id", "name", "name_regex", "publisher_regex", "sources", "publisher", "product", "edition",
             "edition_map", "major_map", "version", "major_version", "ignore", "category", "licensable", "note"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_TEXT_KEYS = ("publisher", "product", "edition", "version", "major_version", "note")


@dataclass(frozen=True)
class Rule:
    """A validated rule; ``order`` is its place in the combined list (admin rules first)."""

    id: str
    name: str | None
    name_regex: re.Pattern | None
    publisher_regex: re.Pattern | None
    sources: frozenset[str] | None
    publisher: str | None
    product: str | None
    edition: str
    edition_map: dict[str, str] = field(default_factory=dict)
    major_map: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    major_version: str | None = None
    ignore: bool = False
    category: str | None = None
    licensable: bool | None = None
    order: int = 0


def parse_rule(definition: object) -> tuple[Rule | None, list[FieldError]]:
    """The rule, or None and every problem found (field and reason)."""
    if not isinstance(definition, dict):
        return None, [FieldError("rule", "must be a table/object")]
    errors = [FieldError(str(key), "unknown key") for key in definition if key not in RULE_KEYS]
    rule_id = definition.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        errors.append(FieldError("id", "required: 1-64 of a-z 0-9 _ . - (starting with a letter or digit)"))
    errors += _text_errors(definition)
    name, pattern, pattern_errors = _name_match(definition)
    publisher_regex, publisher_errors = _regex(definition, "publisher_regex")
    sources, source_errors = _sources(definition.get("sources"))
    errors += pattern_errors + publisher_errors + source_errors + _yield_errors(definition)
    errors += _template_errors(definition, pattern)
    if errors:
        return None, errors
    return Rule(id=rule_id, name=name.casefold() if name else None, name_regex=pattern,
                publisher_regex=publisher_regex, sources=sources, publisher=definition.get("publisher"),
                product=definition.get("product"), edition=definition.get("edition", ""),
                edition_map={k.casefold(): v for k, v in definition.get("edition_map", {}).items()},
                major_map=dict(definition.get("major_map", {})), version=definition.get("version"),
                major_version=definition.get("major_version"),
                ignore=definition.get("ignore", False), category=definition.get("category"),
                licensable=definition.get("licensable")), []


def _text_errors(definition: dict) -> list[FieldError]:
    errors = [FieldError(key, "must be a string of at most 255 characters") for key in _TEXT_KEYS
              if key in definition and (not isinstance(definition[key], str) or len(definition[key]) > 255)]
    for key in ("ignore", "licensable"):
        if key in definition and not isinstance(definition[key], bool):
            errors.append(FieldError(key, "must be true or false"))
    if "category" in definition and definition["category"] not in CATEGORIES:
        errors.append(FieldError("category", f"must be one of {', '.join(CATEGORIES)}"))
    for key in ("edition_map", "major_map"):
        mapping = definition.get(key, {})
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in mapping.items()):
            errors.append(FieldError(key, "must map strings to strings"))
    return errors


def _name_match(definition: dict) -> tuple[str | None, re.Pattern | None, list[FieldError]]:
    has_name, has_regex = "name" in definition, "name_regex" in definition
    if has_name == has_regex:
        return None, None, [FieldError("name", "exactly one of name or name_regex is required")]
    if has_name:
        name = definition["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            return None, None, [FieldError("name", "must be a non-empty string of at most 255 characters")]
        return name, None, []
    pattern, errors = _regex(definition, "name_regex")
    return None, pattern, errors


def _regex(definition: dict, key: str) -> tuple[re.Pattern | None, list[FieldError]]:
    raw = definition.get(key)
    if raw is None:
        return None, []
    if not isinstance(raw, str) or not raw or len(raw) > 1000:
        return None, [FieldError(key, "must be a non-empty string of at most 1000 characters")]
    try:
        return re.compile(raw, re.IGNORECASE), []
    except re.error as exc:
        return None, [FieldError(key, f"bad regular expression: {exc}")]


def _sources(raw: object) -> tuple[frozenset[str] | None, list[FieldError]]:
    if raw is None:
        return None, []
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        return None, [FieldError("sources", "must be a non-empty list of source names")]
    unknown = [s for s in raw if s not in SOURCES and s not in SOURCE_FAMILIES]
    if unknown:
        known = ", ".join((*SOURCES, *SOURCE_FAMILIES))
        return None, [FieldError("sources", f"unknown source {unknown[0]!r} (known: {known})")]
    return frozenset(s for item in raw for s in SOURCE_FAMILIES.get(item, (item,))), []


def _yield_errors(definition: dict) -> list[FieldError]:
    if definition.get("ignore") is True:
        yields = ("publisher", "product", "edition", "edition_map", "major_map", "version", "major_version")
        return [FieldError(key, "an ignore rule yields no product") for key in yields if key in definition]
    return [FieldError(key, "required (or ignore = true)") for key in ("publisher", "product")
            if not (isinstance(definition.get(key), str) and definition[key].strip())]


def _template_errors(definition: dict, pattern: re.Pattern | None) -> list[FieldError]:
    """``{group}`` references must name groups of name_regex; other braces are errors too."""
    groups = set(pattern.groupindex) if pattern is not None else set()
    errors = []
    for key in ("edition", "version", "major_version"):
        value = definition.get(key)
        if not isinstance(value, str):
            continue
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            errors.append(FieldError(key, f"bad template: {exc}"))
            continue
        missing = sorted(n for n in names if n not in groups)
        if missing:
            errors.append(FieldError(key, f"names {{{missing[0]}}}, which is not a named group of name_regex"))
    return errors
