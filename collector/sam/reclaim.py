"""Reclaim candidates: installs of a licensable product whose program the agent has not seen running
for ``unused_days``, and the money removing them frees (the unit cost of the position they consume).

Usage comes from the agent (agent/probes/usage.py: path, last_seen_running, optional package),
kept in the asset's latest observation payload rather than a table (as
collector/workflows/products.py ``last_run`` reads it); only assets with licensable installs
are read, in chunks. A usage entry is an install's program when its package is one of the raw
titles normalised to the product, or its executable's file name (lower case, without ``.exe``)
is the product's name or one of :data:`EXECUTABLES` for it. An asset whose report carries no
usage at all is never a candidate: unknown is not unused.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import Asset, Observation, Software
from collector.models.sam import SamProduct, SamReclaimCandidate, SamSoftwareProduct
from collector.reconcile.store import BulkInsert
from collector.sam.consumption import AssetFacts, Install

__all__ = ["EXECUTABLES", "find_candidates", "program_name"]

MAX_ASSETS = 100_000  # assets whose reports one run reads for usage (bounded)
CHUNK = 200  # payloads per query (each a few hundred KiB decompressed)
NAMES_CACHED = 200_000  # distinct usage paths whose program name one run remembers (bounded)

# (publisher, product) in lower case -> program file names that mean the product ran. Kept here,
# not in the normalisation catalogue (another module's data): the titles say what is installed,
# these say which running program is it.
EXECUTABLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("microsoft", "office"): ("winword", "excel", "powerpnt", "outlook", "onenote", "msaccess", "mspub",
                              "microsoft word", "microsoft excel", "microsoft powerpoint", "microsoft outlook"),
    ("microsoft", "word"): ("winword", "microsoft word"),
    ("microsoft", "excel"): ("excel", "microsoft excel"),
    ("microsoft", "powerpoint"): ("powerpnt", "microsoft powerpoint"),
    ("microsoft", "outlook"): ("outlook", "microsoft outlook"),
    ("microsoft", "visio"): ("visio",),
    ("microsoft", "project"): ("winproj",),
    ("microsoft", "sql server"): ("sqlservr",),
    ("adobe", "acrobat"): ("acrobat", "acrord32", "adobe acrobat"),
    ("adobe", "photoshop"): ("photoshop", "adobe photoshop"),
    ("adobe", "illustrator"): ("illustrator", "adobe illustrator"),
    ("autodesk", "autocad"): ("acad",),
    ("autodesk", "revit"): ("revit",),
    ("oracle", "java se"): ("java", "javaw"),
    ("oracle", "database"): ("oracle", "tnslsnr"),
    ("vmware", "workstation"): ("vmware", "vmware-vmx"),
    ("jetbrains", "intellij idea"): ("idea", "idea64"),
    ("jetbrains", "pycharm"): ("pycharm", "pycharm64"),
    ("tableau", "tableau desktop"): ("tableau",),
    ("zoom", "zoom workplace"): ("zoom", "zoom.us"),
    ("vmware", "fusion"): ("vmware fusion",),
    ("teamviewer", "teamviewer"): ("teamviewer",),
    ("tableau", "tableau prep builder"): ("tableau prep builder",),
}


def program_name(path: str) -> str:
    """The program's file name, lower case, without ``.exe`` (Windows or POSIX paths)."""
    name = path[max(path.rfind("/"), path.rfind("\\")) + 1:].lower()
    return name[:-4] if name.endswith(".exe") else name


def _matchers(session: Session, product_ids: set[int]) -> dict[int, tuple[set[str], set[str]]]:
    """product -> (raw package names, program names) that identify its program in usage data."""
    found: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for product in session.scalars(select(SamProduct).where(SamProduct.id.in_(sorted(product_ids)))):
        found[product.id][1].update({product.name.lower(),
                                     *EXECUTABLES.get((product.publisher.lower(), product.name.lower()), ())})
    rows = session.execute(select(SamSoftwareProduct.product_id, Software.name).distinct()
                           .join(Software, Software.id == SamSoftwareProduct.software_id)
                           .where(SamSoftwareProduct.product_id.in_(sorted(product_ids))))
    for product_id, name in rows:
        found[product_id][0].add(name.lower())
    return found


# The report's top-level "usage" key, found with bytes.find (a regular expression over a
# 150 KB report took 0.75 ms). In valid JSON an unescaped quote after "{" or "," opens a key
# or a value, and only an object key is followed by ":"; no other record of the schema has a
# "usage" field, so the first such occurrence is the report's (common/schema.py InventoryReport).
_KEY = b'"usage"'
_SPACE = b" \t\r\n"
MAX_TRIES = 1000  # occurrences of the bytes "usage" looked at per report (bounded)


def _usage_start(raw: bytes) -> int | None:
    at = raw.find(_KEY)
    for _ in range(MAX_TRIES):
        if at == -1:
            return None
        before, after = at - 1, at + len(_KEY)
        while before >= 0 and raw[before] in _SPACE:
            before -= 1
        while after < len(raw) and raw[after] in _SPACE:
            after += 1
        if before >= 0 and raw[before] in b"{," and after < len(raw) and raw[after] == ord(":"):
            return after + 1
        at = raw.find(_KEY, at + 1)
    return None


def _array_at(text: str):
    """The JSON value ``text`` starts with. orjson parses a whole document only: its error for what
    follows the value gives the value's end (in characters), and the value is parsed again up to
    there; twice with orjson took a third of the time of the standard library's raw_decode once."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if not error.pos:
            raise
        return orjson.loads(text[:error.pos])


def _usage(payload: bytes | None) -> list[dict]:
    """The report's usage entries. Only the usage array is parsed (measured: parsing a whole
    1,500-package report for it took 1.4 ms per asset, most of a 5,000-device run)."""
    if not payload:
        return []
    try:
        raw = zlib.decompress(payload, wbits=47)
    except zlib.error:
        return []
    start = _usage_start(raw)
    if start is None:
        return []
    try:
        usage = _array_at(raw[start:].decode())
    except (ValueError, UnicodeDecodeError):
        return []
    return [u for u in usage if isinstance(u, dict)] if isinstance(usage, list) else []


def _usages(session: Session, asset_ids: list[int]):
    """(asset id, usage entries) for assets whose latest report has usage data, in chunks."""
    for start in range(0, len(asset_ids), CHUNK):
        rows = session.execute(select(Asset.id, Observation.payload)
                               .join(Observation, Observation.id == Asset.observation_id)
                               .where(Asset.id.in_(asset_ids[start:start + CHUNK])))
        for asset_id, payload in rows:
            usage = _usage(payload)
            if usage:
                yield asset_id, usage


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _wanted(installs_by_product: dict[int, list[Install]], matchers: dict) -> tuple[set[str], set[str]]:
    packages, programs = set(), set()
    for installs in installs_by_product.values():
        for install in installs:
            names, executables = matchers.get(install.product_id, (set(), set()))
            packages |= names
            programs |= executables
    return packages, programs


def _program(path: str, names: dict[str, str]) -> str:
    """program_name, remembered for the run: the same paths repeat across a fleet."""
    name = names.get(path)
    if name is None:
        name = program_name(path)
        if len(names) < NAMES_CACHED:
            names[path] = name
    return name


def _index(usage: list[dict], wanted: tuple[set[str], set[str]], names: dict[str, str]) -> tuple[dict, dict]:
    """(package -> last run, program -> last run) of one asset's usage, for the names its installs can
    match only: most entries match none, so their times are never parsed."""
    packages: dict[str, datetime] = {}
    programs: dict[str, datetime] = {}
    wanted_packages, wanted_programs = wanted
    for entry in usage:
        package, path = entry.get("package"), entry.get("path")
        if isinstance(package, str) and package.lower() in wanted_packages:
            _keep(packages, package.lower(), entry)
        if isinstance(path, str):
            program = names.get(path) or _program(path, names)
            if program in wanted_programs:
                _keep(programs, program, entry)
    return packages, programs


def _keep(table: dict[str, datetime], key: str, entry: dict) -> None:
    try:
        when = _when(entry["last_seen_running"])
    except (KeyError, TypeError, ValueError):
        return
    if key not in table or table[key] < when:
        table[key] = when


def _last_used(index: tuple[dict, dict], installs: list[Install], matchers: dict) -> datetime | None:
    packages, programs = index
    seen = []
    for install in installs:
        names, executables = matchers.get(install.product_id, (set(), set()))
        for table, wanted in ((packages, names), (programs, executables)):
            small, large = (wanted, table) if len(wanted) < len(table) else (table.keys(), wanted)
            seen += [table[key] for key in small if key in large]
    return max(seen) if seen else None


def find_candidates(session: Session, run_id: int, grouped: dict[int, dict[int, list[Install]]],
                    facts: dict[int, AssetFacts], costs: dict[int, tuple], units: dict[tuple[int, int], int],
                    as_of: datetime, unused_days: int) -> tuple[int, int]:
    """Store the run's reclaim candidates; returns how many, and how many assets with licensable
    installs reported no usage at all (not judged: unknown is not unused). The money freed is the units the device
    consumes × the position's unit cost (a named user's second device frees nothing)."""
    by_asset: dict[int, dict[int, list[Install]]] = defaultdict(dict)
    for product_id, assets in grouped.items():
        for asset_id, installs in assets.items():
            by_asset[asset_id][product_id] = installs
    matchers = _matchers(session, {i.product_id for a in by_asset.values() for ins in a.values() for i in ins})
    rows, names, reporting = [], {}, 0
    for asset_id, usage in _usages(session, sorted(by_asset)[:MAX_ASSETS]):
        reporting += 1
        fact, index = facts[asset_id], _index(usage, _wanted(by_asset[asset_id], matchers), names)
        for product_id, installs in by_asset[asset_id].items():
            last = _last_used(index, installs, matchers)
            days = (as_of - last).days if last is not None else None
            if days is not None and days < unused_days:
                continue
            cost, currency = costs.get(product_id, (None, "EUR"))
            rows.append({"run_id": run_id, "product_id": product_id, "ci_id": fact.ci_id, "asset_id": asset_id,
                         "device": fact.device[:255], "user": fact.user, "last_used_at": last, "days_unused": days,
                         "freed_cost": (cost or Decimal(0)) * units.get((product_id, asset_id), 0),
                         "currency": currency})
    batch = BulkInsert(session.connection(), SamReclaimCandidate.__table__)
    for row in rows:
        batch.add(row)
    batch.flush()
    return len(rows), len(by_asset) - reporting
