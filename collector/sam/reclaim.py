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
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from collector.models import Asset, Observation, Software
from collector.models.sam import SamProduct, SamReclaimCandidate, SamSoftwareProduct
from collector.sam.consumption import AssetFacts, Install

__all__ = ["EXECUTABLES", "find_candidates", "program_name"]

MAX_ASSETS = 100_000  # assets whose reports one run reads for usage (bounded)
CHUNK = 200  # payloads per query (each a few hundred KiB decompressed)

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
    ("zoom", "zoom"): ("zoom", "zoom.us"),
}


def program_name(path: str) -> str:
    """The program's file name, lower case, without ``.exe`` (Windows or POSIX paths)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
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


def _usage(payload: bytes | None) -> list[dict]:
    if not payload:
        return []
    try:
        return orjson.loads(zlib.decompress(payload, wbits=47)).get("usage") or []
    except (zlib.error, orjson.JSONDecodeError, AttributeError):
        return []


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


def _last_used(usage: list[dict], installs: list[Install], matchers: dict) -> datetime | None:
    packages, programs = set(), set()
    for install in installs:
        names, executables = matchers.get(install.product_id, (set(), set()))
        packages |= names
        programs |= executables
    seen = [_when(u["last_seen_running"]) for u in usage if u.get("last_seen_running")
            and ((u.get("package") or "").lower() in packages or program_name(u.get("path") or "") in programs)]
    return max(seen) if seen else None


def find_candidates(session: Session, run_id: int, grouped: dict[int, dict[int, list[Install]]],
                    facts: dict[int, AssetFacts], costs: dict[int, tuple], units: dict[tuple[int, int], int],
                    as_of: datetime, unused_days: int) -> int:
    """Store the run's reclaim candidates; returns how many. The money freed is the units the device
    consumes × the position's unit cost (a named user's second device frees nothing)."""
    by_asset: dict[int, dict[int, list[Install]]] = defaultdict(dict)
    for product_id, assets in grouped.items():
        for asset_id, installs in assets.items():
            by_asset[asset_id][product_id] = installs
    matchers = _matchers(session, {i.product_id for a in by_asset.values() for ins in a.values() for i in ins})
    rows = []
    for asset_id, usage in _usages(session, sorted(by_asset)[:MAX_ASSETS]):
        fact = facts[asset_id]
        for product_id, installs in by_asset[asset_id].items():
            last = _last_used(usage, installs, matchers)
            days = (as_of - last).days if last is not None else None
            if days is not None and days < unused_days:
                continue
            cost, currency = costs.get(product_id, (None, "EUR"))
            rows.append({"run_id": run_id, "product_id": product_id, "ci_id": fact.ci_id, "asset_id": asset_id,
                         "device": fact.device[:255], "user": fact.user, "last_used_at": last, "days_unused": days,
                         "freed_cost": (cost or Decimal(0)) * units.get((product_id, asset_id), 0),
                         "currency": currency})
    for start in range(0, len(rows), 5000):
        session.execute(insert(SamReclaimCandidate.__table__), rows[start:start + 5000])
    return len(rows)
