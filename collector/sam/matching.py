"""Matching raw titles against an ordered rule list, fast enough for 50,000 titles × hundreds of rules.

Trying every regex on every title is 50,000 × 400 searches (seconds of CPU). Instead the index
puts exact-name rules in a dict and each anchored regex rule in a bucket keyed by the first
three characters its pattern's literal prefix demands (``^Microsoft Office`` → "mic"); a title
only tries the rules of its own bucket plus the few unanchored ones, in rule order, and the
outcome is cached per (name, publisher, source), since most names recur across versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.sam.rules import Rule
from collector.sam.versions import major_version

__all__ = ["Match", "RuleIndex", "branch_prefixes", "literal_prefix"]

_KEY = 3
_META = set(".^$*+?{}[]\\|()")
_QUANTIFIERS = set("*?{+")


@dataclass(frozen=True)
class Match:
    """What a title normalised to; ``product`` is None for an ignore rule."""

    rule_id: str
    publisher: str | None
    product: str | None
    edition: str
    version: str | None
    major_version: str | None
    category: str | None = None
    licensable: bool | None = None


def literal_prefix(pattern: str) -> str:
    """The literal text a ``^``-anchored pattern must start with, lower-cased ("" when unknown)."""
    if _top_level_alternation(pattern):
        return ""  # "^abc|xyz" may match "xyz" anywhere
    return _branch_prefix(pattern)


def branch_prefixes(pattern: str, depth: int = 0) -> list[str]:
    """Literal prefixes one of which a match must start with: one per top-level alternative, and a
    leading group expanded ("^(?:Autodesk )?AutoCAD" → ["autodesk autocad", "autocad"])."""
    prefixes = []
    for branch in _split_top_level(pattern):
        expanded = _expand_leading_group(branch) if depth < 2 else None
        prefixes += [_branch_prefix(branch)] if expanded is None else \
            [p for variant in expanded for p in branch_prefixes(variant, depth + 1)]
    return prefixes


def _expand_leading_group(branch: str) -> list[str] | None:
    """``^(?:a|b)?rest`` as ["^arest", "^brest", "^rest"] (without the ``?``: the first two)."""
    if not branch.startswith("^(?:"):
        return None
    depth, i = 0, 1
    while i < len(branch):
        if branch[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(branch[i], 0)
        if depth == 0:
            break
        i += 1
    if depth != 0 or "[" in branch[4:i]:
        return None
    inner, rest = branch[4:i], branch[i + 1:]
    optional = rest.startswith("?")
    if rest[:1] in ("*", "{", "+") or rest.startswith("??"):
        return None
    rest = rest[1:] if optional else rest
    return [f"^{alt}{rest}" for alt in _split_top_level(inner)] + ([f"^{rest}"] if optional else [])


def _branch_prefix(pattern: str) -> str:
    if not pattern.startswith("^") or pattern.startswith("^(?") and not pattern.startswith("^(?:"):
        return ""
    out, i = [], 1
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            char, step = pattern[i + 1], 2
        elif char in _META:
            break
        else:
            step = 1
        if i + step < len(pattern) and pattern[i + step] in _QUANTIFIERS:
            break  # "^ab?c": the b is optional, "a" is all we know
        out.append(char)
        i += step
    return "".join(out).casefold()


def _top_level_alternation(pattern: str) -> bool:
    return len(_split_top_level(pattern)) > 1


def _split_top_level(pattern: str) -> list[str]:
    """The pattern's top-level alternatives (outside groups and character classes)."""
    parts, depth, i, in_class, start = [], 0, 0, False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern[i + 1:i + 2] == "]" else 1  # "[]...]": a leading ] is literal
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


class RuleIndex:
    """Rules indexed for lookup; :meth:`match` gives the first rule (in order) that matches a title."""

    def __init__(self, rules: list[Rule]) -> None:
        self._exact: dict[str, list[Rule]] = {}
        self._buckets: dict[str, list[Rule]] = {}
        self._always: list[Rule] = []
        self._cache: dict[tuple, tuple[Rule, dict] | None] = {}
        for rule in sorted(rules, key=lambda r: r.order):
            if rule.name is not None:
                self._exact.setdefault(rule.name, []).append(rule)
                continue
            prefixes = branch_prefixes(rule.name_regex.pattern)
            if all(len(prefix) >= _KEY for prefix in prefixes):
                for key in {prefix[:_KEY] for prefix in prefixes}:
                    self._buckets.setdefault(key, []).append(rule)
            else:
                self._always.append(rule)

    def match(self, name: str, version: str | None, publisher: str | None, source: str) -> Match | None:
        key = (name, publisher, source)
        if key not in self._cache:
            self._cache[key] = self._find(name, publisher or "", source)
        found = self._cache[key]
        return None if found is None else _yielded(found[0], found[1], version)

    def _find(self, name: str, publisher: str, source: str) -> tuple[Rule, dict] | None:
        folded = name.casefold()
        candidates = self._exact.get(folded, []) + self._buckets.get(folded[:_KEY], []) + self._always
        candidates.sort(key=lambda r: r.order)
        for rule in candidates:
            if rule.sources is not None and source not in rule.sources:
                continue
            if rule.publisher_regex is not None and not rule.publisher_regex.search(publisher):
                continue
            if rule.name is not None:
                if rule.name == folded:
                    return rule, {}
                continue
            found = rule.name_regex.search(name)
            if found:
                return rule, {k: (v or "").strip() for k, v in found.groupdict().items()}
        return None


def _yielded(rule: Rule, groups: dict, raw_version: str | None) -> Match:
    if rule.ignore:
        return Match(rule.id, None, None, "", raw_version, major_version(raw_version))
    edition = _fill(rule.edition, groups)
    edition = rule.edition_map.get(edition.casefold(), edition)
    version = _fill(rule.version, groups) or raw_version if rule.version else raw_version
    major = _fill(rule.major_version, groups) if rule.major_version else None
    major = major or major_version(version)
    return Match(rule.id, rule.publisher, rule.product, " ".join(edition.split()), version,
                 rule.major_map.get(major, major) if major else None, rule.category, rule.licensable)


def _fill(template: str, groups: dict) -> str:
    if "{" not in template:
        return template
    return template.format_map(groups).strip()
