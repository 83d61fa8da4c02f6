"""Software asset management: normalised products, entitlements, and computed licence positions.

Raw installed-software titles (``software``) are mapped to products by an ordered rule catalogue
(collector/sam/), one mapping row per catalogue title, so normalising 7.5 million installs means
mapping tens of thousands of distinct titles. Entitlements are what the organisation bought.
Positions, their consumption evidence, reclaim candidates and renewal items are *computed*
(collector/sam/positions.py) and stored per run, so reports, exports and web pages read rows
instead of recounting millions of installs, and every number names the rows it came from.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import users as _users  # noqa: F401  (tables the keys name)
from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["LicenseMetric", "SamAdminRule", "SamConsumption", "SamEntitlement", "SamEntitlementAllocation",
           "SamPosition", "SamPositionRun", "SamProduct", "SamReclaimCandidate", "SamRenewalItem",
           "SamSoftwareProduct", "SamSuiteComponent", "LICENSE_METRICS"]


class LicenseMetric:
    """How a licence is counted (the names entitlements, positions and the catalogue use)."""

    INSTALLATION = "installation"  # every install counts (a device with two versions: two)
    DEVICE = "device"  # a device counts once per product
    NAMED_USER = "named_user"  # a user counts once, however many devices they have
    PROCESSOR_CORE = "processor_core"  # cores × core factor, with minimums per processor / per VM
    CONCURRENT_USER = "concurrent_user"  # peak simultaneous users
    SITE = "site"  # everything at the site is covered
    UNLIMITED = "unlimited"  # enterprise-wide, no count


LICENSE_METRICS = ("installation", "device", "named_user", "processor_core", "concurrent_user", "site", "unlimited")


class SamProduct(Base):
    """A licensable (or free) product: publisher, product and edition, as the catalogue names it.

    Versions are per install (``SamSoftwareProduct``), not per product, so one entitlement row can
    cover a version range. ``metrics`` lists the licence metrics the product is sold under (an
    entitlement with another metric is refused); empty means any."""

    __tablename__ = "sam_products"
    __table_args__ = (UniqueConstraint("publisher", "name", "edition", name="uq_sam_products_identity"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    publisher: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), index=True)
    # "" rather than NULL when there is none, so the unique constraint holds on both backends.
    edition: Mapped[str] = mapped_column(String(255), default="")
    category: Mapped[str] = mapped_column(String(32), default="commercial")  # commercial, free, os, component
    licensable: Mapped[bool] = mapped_column(Boolean, default=True)
    metrics: Mapped[list] = mapped_column(JSON, default=list)
    # Where the product row came from: "catalogue" (shipped or admin rules) or "admin" (typed in).
    source: Mapped[str] = mapped_column(String(32), default="catalogue")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SamSuiteComponent(Base):
    """A suite and a product it contains: an Office licence covers a device's Word and Excel once."""

    __tablename__ = "sam_suite_components"

    suite_product_id: Mapped[int] = mapped_column(ForeignKey("sam_products.id", ondelete="CASCADE"), primary_key=True)
    component_product_id: Mapped[int] = mapped_column(ForeignKey("sam_products.id", ondelete="CASCADE"),
                                                      primary_key=True, index=True)


class SamSoftwareProduct(Base):
    """What one raw catalogue title (``software`` row) normalised to, and by which rule.

    ``product_id`` is NULL when no rule covers the title (listed for curation). ``ruleset`` is
    the digest of the rules that produced the row: rows of an older ruleset are re-normalised."""

    __tablename__ = "sam_software_products"

    software_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("sam_products.id", ondelete="SET NULL"), index=True)
    version: Mapped[str | None] = mapped_column(String(255))
    major_version: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(64))
    ruleset: Mapped[str] = mapped_column(String(32), index=True)
    normalised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SamAdminRule(Base):
    """A normalisation rule an admin added; admin rules are tried before the shipped ones.

    ``definition`` has the same shape as a rule in the shipped catalogue file and is validated
    by the same code."""

    __tablename__ = "sam_admin_rules"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SamEntitlement(Base):
    """Licences bought: product and versions covered, metric, quantity, term, money and contract."""

    __tablename__ = "sam_entitlements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sam_products.id", ondelete="RESTRICT"), index=True)
    # Major versions covered (inclusive, compared as versions); NULL = any.
    version_from: Mapped[str | None] = mapped_column(String(64))
    version_to: Mapped[str | None] = mapped_column(String(64))
    # Downgrade rights: installs of versions older than version_from are covered too.
    downgrade_rights: Mapped[bool] = mapped_column(Boolean, default=False)
    metric: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    # processor_core: licensed cores = max(cores × core_factor, minimum per processor / per VM).
    core_factor: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    min_cores_per_processor: Mapped[int | None] = mapped_column(Integer)
    min_cores_per_vm: Mapped[int | None] = mapped_column(Integer)
    term: Mapped[str] = mapped_column(String(16), default="perpetual")  # perpetual, subscription
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, index=True)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    po_number: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    contract_id: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    import_batch: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SamEntitlementAllocation(Base):
    """Part of an entitlement set aside for a device (CI), a user or a department."""

    __tablename__ = "sam_entitlement_allocations"
    __table_args__ = (UniqueConstraint("entitlement_id", "target_kind", "target", name="uq_sam_allocations_target"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("sam_entitlements.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # device, user, department
    # The CI id (as text) for a device, the user name, or the department name.
    target: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class SamPositionRun(Base):
    """One computation of every licence position (positions, evidence, reclaim, renewals)."""

    __tablename__ = "sam_position_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, finished, failed
    as_of: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class SamPosition(Base):
    """A product's position under one metric in one run: entitled vs consumed, and the money.

    Kept for every run (a few hundred rows each) so the web page can chart a product over time."""

    __tablename__ = "sam_positions"
    __table_args__ = (UniqueConstraint("run_id", "product_id", "metric", name="uq_sam_positions_run_product_metric"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sam_position_runs.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sam_products.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    # NULL entitled = unlimited (site or unlimited licence).
    entitled: Mapped[int | None] = mapped_column(Integer)
    consumed: Mapped[int] = mapped_column(Integer, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    balance: Mapped[int | None] = mapped_column(Integer)  # entitled − consumed; negative = shortfall
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    shortfall_cost: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    surplus_cost: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    # How the numbers were reached, in words and figures (which entitlements, minimums, suites).
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)


class SamConsumption(Base):
    """One unit of evidence behind a position: a device (or user) consuming a product.

    Only the latest finished run's rows are kept: evidence is large and is re-derived every run."""

    __tablename__ = "sam_consumption"
    __table_args__ = (Index("ix_sam_consumption_run_product", "run_id", "product_id", "metric"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sam_position_runs.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(BigInteger)
    metric: Mapped[str] = mapped_column(String(32))
    ci_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    asset_id: Mapped[int | None] = mapped_column(BigInteger)
    device: Mapped[str | None] = mapped_column(String(255))
    user: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(255))
    units: Mapped[int] = mapped_column(Integer, default=1)
    # Why these units (e.g. "8 cores × 0.5, minimum 4 per VM → 4").
    reason: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The agent report (observation) that reported the install.
    observation_id: Mapped[int | None] = mapped_column(BigInteger)


class SamReclaimCandidate(Base):
    """An install of a licensed product not run for N days: what removing it would free."""

    __tablename__ = "sam_reclaim_candidates"
    __table_args__ = (Index("ix_sam_reclaim_run_product", "run_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sam_position_runs.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(BigInteger)
    ci_id: Mapped[int | None] = mapped_column(BigInteger)
    asset_id: Mapped[int] = mapped_column(BigInteger)
    device: Mapped[str | None] = mapped_column(String(255))
    user: Mapped[str | None] = mapped_column(String(255))
    # NULL when the agent never saw the program run (while reporting usage).
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    days_unused: Mapped[int | None] = mapped_column(Integer)
    freed_cost: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")


class SamRenewalItem(Base):
    """A subscription reaching a renewal threshold (90, 60 or 30 days before its end, or 0 once
    expired): raised once per entitlement and threshold, and what was done about it."""

    __tablename__ = "sam_renewal_items"
    __table_args__ = (UniqueConstraint("entitlement_id", "threshold_days", name="uq_sam_renewal_items_threshold"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("sam_entitlements.id", ondelete="CASCADE"), index=True)
    threshold_days: Mapped[int] = mapped_column(Integer)
    end_date: Mapped[date] = mapped_column(Date)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    workflow_instance_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, renewed, retired, dismissed
