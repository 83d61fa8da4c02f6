"""The shipped normalisation catalogue: products, suites and ordered rules, as TOML data.

The catalogue lives in collector/sam/catalogue/, one file per publisher family, read in the
order of :data:`CATALOGUE_FILES` (rules are ordered: the first that matches wins, so the
specific families come first and the catch-all ignore rules for OS libraries last). Every file
is validated on load: a bad file is refused whole with errors naming the file, the rule id or
product and the reason, so a typo never silently leaves titles uncovered.

A file holds ``[[product]]`` (publisher, name, category, licensable, metrics, per-edition
overrides), ``[[suite]]`` (a suite product and the component products it covers) and
``[[rule]]`` tables (collector/sam/rules.py).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from collector.errors import FieldError, InvalidInput
from collector.models.sam import LICENSE_METRICS
from collector.sam.rules import CATEGORIES, Rule, parse_rule

__all__ = ["CATALOGUE_DIR", "CATALOGUE_FILES", "Catalogue", "CatalogueError", "ProductSpec", "load_catalogue",
           "shipped_catalogue"]

CATALOGUE_DIR = Path(__file__).with_name("catalogue")
# Read in this order; rule order within and across files is match order.
CATALOGUE_FILES = ("microsoft.toml", "adobe.toml", "autodesk.toml", "oracle.toml", "vmware.toml", "atlassian.toml",
                   "jetbrains.toml", "commercial.toml", "free.toml", "os.toml")
_PRODUCT_KEYS = {"publisher", "name", "category", "licensable", "metrics", "editions"}
_EDITION_KEYS = {"category", "licensable", "metrics"}
_SUITE_KEYS = {"publisher", "name", "components"}


class CatalogueError(InvalidInput):
    """A catalogue file that cannot be used; ``fields`` name "file: rule id: key" and the reason."""


@dataclass(frozen=True)
class ProductSpec:
    """What the catalogue says about a product (all its editions unless overridden per edition)."""

    publisher: str
    name: str
    category: str
    licensable: bool
    metrics: tuple[str, ...]
    editions: dict  # edition → {"category", "licensable", "metrics"} overrides

    def attributes(self, edition: str) -> tuple[str, bool, list[str]]:
        """(category, licensable, metrics) of one edition."""
        override = self.editions.get(edition, {})
        category = override.get("category", self.category)
        licensable = override.get("licensable", self.licensable if "category" not in override
                                  else category in ("commercial", "component"))
        return category, licensable, list(override.get("metrics", self.metrics))


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[Rule, ...]
    products: dict  # (publisher, name) → ProductSpec
    suites: dict  # (publisher, suite name) → tuple of component names (same publisher)
    digest: str  # of the catalogue's content: a change re-normalises stored titles


def load_catalogue(paths: list[Path] | None = None) -> Catalogue:
    """Read and validate catalogue files (default: the shipped ones); CatalogueError lists every problem."""
    paths = paths if paths is not None else [CATALOGUE_DIR / name for name in CATALOGUE_FILES]
    rules, products, suites, errors, seen = [], {}, {}, [], {}
    digest = hashlib.sha256()
    for path in paths:
        document = _read(path, errors)
        if document is None:
            continue
        digest.update(json.dumps(document, sort_keys=True, default=str).encode())
        unknown = sorted(set(document) - {"product", "suite", "rule"})
        errors += [FieldError(f"{path.name}", f"unknown table [{key}]") for key in unknown]
        for entry in _tables(document, "product", path, errors):
            _add_product(entry, path, products, errors)
        for entry in _tables(document, "suite", path, errors):
            _add_suite(entry, path, suites, errors)
        for index, entry in enumerate(_tables(document, "rule", path, errors)):
            _add_rule(entry, index, path, rules, seen, errors)
    errors += _reference_errors(rules, products, suites, seen)
    if errors:
        raise CatalogueError(f"the SAM catalogue has {len(errors)} error(s); nothing was loaded", errors)
    ordered = tuple(replace(rule, order=i) for i, rule in enumerate(rules))
    return Catalogue(ordered, products, suites, digest.hexdigest()[:32])


@lru_cache(maxsize=1)
def shipped_catalogue() -> Catalogue:
    return load_catalogue()


def _read(path: Path, errors: list[FieldError]) -> dict | None:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        errors.append(FieldError(path.name, f"cannot read: {exc.strerror or exc}"))
    except tomllib.TOMLDecodeError as exc:
        errors.append(FieldError(path.name, f"not valid TOML: {exc}"))
    return None


def _tables(document: dict, key: str, path: Path, errors: list[FieldError]) -> list:
    entries = document.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        errors.append(FieldError(path.name, f"{key} must be an array of tables ([[{key}]])"))
        return []
    return entries


def _add_rule(entry: dict, index: int, path: Path, rules: list, seen: dict, errors: list[FieldError]) -> None:
    rule_id = entry.get("id") if isinstance(entry.get("id"), str) else f"#{index + 1}"
    rule, problems = parse_rule(entry)
    errors += [FieldError(f"{path.name}: rule {rule_id}: {p.field}", p.message) for p in problems]
    if rule_id in seen:
        errors.append(FieldError(f"{path.name}: rule {rule_id}: id", f"duplicate rule id (first in {seen[rule_id]})"))
    seen.setdefault(rule_id, path.name)
    if rule is not None:
        rules.append(rule)


def _add_product(entry: dict, path: Path, products: dict, errors: list[FieldError]) -> None:
    label = f"{path.name}: product {entry.get('publisher')!s} / {entry.get('name')!s}"
    problems = [FieldError(f"{label}: {key}", "unknown key") for key in entry if key not in _PRODUCT_KEYS]
    problems += [FieldError(f"{label}: {key}", "required string") for key in ("publisher", "name")
                 if not isinstance(entry.get(key), str) or not entry[key].strip()]
    problems += _attribute_errors(entry, label)
    editions = entry.get("editions", {})
    if not isinstance(editions, dict) or not all(isinstance(v, dict) for v in editions.values()):
        problems.append(FieldError(f"{label}: editions", "must map edition names to tables"))
        editions = {}
    for edition, override in editions.items():
        problems += [FieldError(f"{label}: editions.{edition}.{k}", "unknown key")
                     for k in override if k not in _EDITION_KEYS]
        problems += _attribute_errors(override, f"{label}: editions.{edition}")
    key = (entry.get("publisher"), entry.get("name"))
    if key in products:
        problems.append(FieldError(label, "declared twice"))
    errors += problems
    if not problems:
        category = entry.get("category", "commercial")
        licensable = entry.get("licensable", category in ("commercial", "component"))
        products[key] = ProductSpec(key[0], key[1], category, licensable, tuple(entry.get("metrics", ())), editions)


def _attribute_errors(entry: dict, label: str) -> list[FieldError]:
    errors = []
    if "category" in entry and entry["category"] not in CATEGORIES:
        errors.append(FieldError(f"{label}: category", f"must be one of {', '.join(CATEGORIES)}"))
    if "licensable" in entry and not isinstance(entry["licensable"], bool):
        errors.append(FieldError(f"{label}: licensable", "must be true or false"))
    metrics = entry.get("metrics", [])
    if not isinstance(metrics, list) or any(m not in LICENSE_METRICS for m in metrics):
        errors.append(FieldError(f"{label}: metrics", f"must be a list of {', '.join(LICENSE_METRICS)}"))
    return errors


def _add_suite(entry: dict, path: Path, suites: dict, errors: list[FieldError]) -> None:
    label = f"{path.name}: suite {entry.get('publisher')!s} / {entry.get('name')!s}"
    problems = [FieldError(f"{label}: {key}", "unknown key") for key in entry if key not in _SUITE_KEYS]
    components = entry.get("components")
    if not isinstance(components, list) or not components or not all(isinstance(c, str) for c in components):
        problems.append(FieldError(f"{label}: components", "must be a non-empty list of product names"))
    errors += problems
    if not problems:
        suites[(entry.get("publisher"), entry.get("name"))] = tuple(components)


def _reference_errors(rules: list[Rule], products: dict, suites: dict, files: dict) -> list[FieldError]:
    """Shipped rules and suites may only name declared products (a typo would invent a product)."""
    errors = [FieldError(f"{files[r.id]}: rule {r.id}: product",
                         f"{r.publisher} / {r.product} is not a declared [[product]]")
              for r in rules if not r.ignore and (r.publisher, r.product) not in products]
    for (publisher, name), components in suites.items():
        errors += [FieldError(f"suite {publisher} / {name}", f"{publisher} / {part} is not a declared [[product]]")
                   for part in (name, *components) if (publisher, part) not in products]
    return errors
