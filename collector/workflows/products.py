"""Software products as agents report them: the subject of the SAM workflows.

A product is a publisher and a product name typed at initiation, matched (case-insensitively,
ignoring a maintainer's e-mail address) against the installed-software catalogue that agent
reports fill (collector/models/software.py). Installs are the assets linking to one of the
product's catalogue rows (any version); an install counts for a CI through the asset that
reconciliation matched to it. Until the software licence issue brings entitlements and
licence positions, these facts are what the SAM workflows decide and validate on.
"""

from __future__ import annotations

import difflib
import re
import zlib
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput
from collector.models import Asset, AssetSoftware, CiMatch, Observation, Software

__all__ = ["Install", "Product", "assets_of_ci", "find_product", "counts_by_version", "install_count", "installs", "last_run", "latest_report",
           "product_of", "sam_product"]

MAX_NAMES = 50_000  # distinct catalogue names compared for "close matches" (bounded: one query, one pass)
MAX_INSTALLS = 10_000  # install rows one workflow step reads
_EMAIL = re.compile(r"\s*<[^>]*>\s*$")


@dataclass(frozen=True)
class Product:
    publisher: str
    name: str
    software_ids: tuple[int, ...]


@dataclass(frozen=True)
class Install:
    asset_id: int
    hostname: str
    version: str | None
    last_seen_at: datetime
    ci_id: int | None


def _publisher(text: str | None) -> str:
    return _EMAIL.sub("", text or "").strip().lower()


def find_product(session: Session, publisher: str, name: str) -> Product:
    """The catalogue rows of ``publisher``'s ``name``, or InvalidInput listing close matches."""
    rows = session.execute(select(Software.id, Software.publisher)
                           .where(func.lower(Software.name) == name.strip().lower())).all()
    if not rows:
        raise InvalidInput("unknown software product; nothing was stored",
                           [FieldError("product", f"no agent reports a product named {name!r}; "
                                                  f"{_close_names(session, name)}")])
    ids = tuple(sorted(i for i, p in rows if _publisher(p) == _publisher(publisher)))
    if not ids:
        reported = sorted({_EMAIL.sub("", p or "").strip() or "(none)" for _, p in rows})
        raise InvalidInput("unknown software publisher; nothing was stored",
                           [FieldError("publisher", f"agents report {name!r} from {', '.join(reported[:5])}, "
                                                    f"not {publisher!r}")])
    return Product(publisher.strip(), name.strip(), ids)


def _close_names(session: Session, name: str) -> str:
    names = session.scalars(select(Software.name).distinct().limit(MAX_NAMES)).all()
    lowered = {n.lower(): n for n in names}
    close = [lowered[n] for n in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.6)]
    return f"close matches: {', '.join(close)}" if close else "no close matches"


def product_of(session: Session, data: dict) -> Product:
    """The product a workflow's data names (checked again: the catalogue only grows).

    A workflow a licence position raised names the normalised product (``sam_product_id``):
    its installs are those of every raw title normalisation mapped to it."""
    if data.get("sam_product_id"):
        return sam_product(session, int(data["sam_product_id"]))
    return find_product(session, data.get("publisher") or "", data.get("product") or "")


def sam_product(session: Session, product_id: int) -> Product:
    """A normalised product (collector/sam/) as the SAM workflows count it."""
    from collector.models.sam import SamProduct, SamSoftwareProduct

    product = session.get(SamProduct, product_id)
    if product is None:
        raise InvalidInput("unknown software product; nothing was stored",
                           [FieldError("product", f"no normalised product with id {product_id}")])
    ids = tuple(session.scalars(select(SamSoftwareProduct.software_id)
                                .where(SamSoftwareProduct.product_id == product_id).order_by(SamSoftwareProduct.software_id)))
    return Product(product.publisher, product.name, ids)


def _scoped(query, product: Product, ci_id: int | None):
    query = query.where(AssetSoftware.software_id.in_(product.software_ids))
    if ci_id is not None:
        query = query.where(AssetSoftware.asset_id.in_(
            select(CiMatch.subject_id).where(CiMatch.subject_type == "asset", CiMatch.ci_id == ci_id,
                                             CiMatch.outcome == "matched")))
    return query


def installs(session: Session, product: Product, ci_id: int | None = None) -> list[Install]:
    """Assets reporting the product (one row per asset and version), newest report first, at
    most MAX_INSTALLS; only the asset(s) matched to ``ci_id`` when given."""
    query = (select(Asset.id, Asset.hostname, Software.version, Asset.last_seen_at, CiMatch.ci_id)
             .join(AssetSoftware, AssetSoftware.asset_id == Asset.id)
             .join(Software, Software.id == AssetSoftware.software_id)
             .outerjoin(CiMatch, (CiMatch.subject_type == "asset") & (CiMatch.subject_id == Asset.id)
                        & (CiMatch.outcome == "matched")))
    rows = session.execute(_scoped(query, product, ci_id).order_by(Asset.last_seen_at.desc(), Asset.id)
                           .limit(MAX_INSTALLS)).all()
    return [Install(*row) for row in rows]


def install_count(session: Session, product: Product, ci_id: int | None = None) -> int:
    """How many assets report the product (any version); counted by the database, unbounded."""
    query = select(func.count(func.distinct(AssetSoftware.asset_id)))
    return session.scalar(_scoped(query, product, ci_id)) or 0


def counts_by_version(session: Session, product: Product, ci_id: int | None = None) -> list[tuple[str | None, int]]:
    """(version, assets reporting it), by version."""
    query = (select(Software.version, func.count(func.distinct(AssetSoftware.asset_id)))
             .join(Software, Software.id == AssetSoftware.software_id))
    rows = session.execute(_scoped(query, product, ci_id).group_by(Software.version)).all()
    return sorted(((v, n) for v, n in rows), key=lambda row: row[0] or "")


def assets_of_ci(session: Session, ci_id: int) -> list[tuple[int, str, datetime]]:
    """(asset id, hostname, last report) of the assets reconciliation matched to a CI."""
    return [tuple(r) for r in session.execute(
        select(Asset.id, Asset.hostname, Asset.last_seen_at)
        .join(CiMatch, (CiMatch.subject_type == "asset") & (CiMatch.subject_id == Asset.id))
        .where(CiMatch.ci_id == ci_id, CiMatch.outcome == "matched").order_by(Asset.last_seen_at.desc()))]


def latest_report(session: Session, asset_ids: list[int]) -> datetime | None:
    """The latest agent report among ``asset_ids``."""
    if not asset_ids:
        return None
    return session.scalar(select(func.max(Asset.last_seen_at)).where(Asset.id.in_(asset_ids[:MAX_INSTALLS])))


def last_run(session: Session, asset_id: int, executable: str, product: Product) -> datetime | None:
    """When the asset's agent last saw the product's program running, from its latest report.

    Agents report executable usage (agent/probes/usage.py: path, last_seen_running, optional
    package) in the report, which the collector keeps in the asset's latest observation
    payload rather than in a table. A usage entry is the product's when its package is the
    product's name or its file name (without ``.exe``) is ``executable``."""
    payload = session.scalar(select(Observation.payload).join(Asset, Asset.observation_id == Observation.id)
                             .where(Asset.id == asset_id))
    if not payload:
        return None
    try:
        usage = orjson.loads(zlib.decompress(payload, wbits=47)).get("usage") or []
    except (zlib.error, orjson.JSONDecodeError):
        return None
    wanted, package = executable.lower(), product.name.lower()
    seen = [u["last_seen_running"] for u in usage
            if (u.get("package") or "").lower() == package or _program(u.get("path") or "") == wanted]
    return max(map(datetime.fromisoformat, seen)) if seen else None


def _program(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name[:-4] if name.endswith(".exe") else name
