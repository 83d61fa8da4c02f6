"""Stored SAM rows for the report, API and page tests: a small fleet with a known answer.

The position computation (collector/sam/positions.py) is built elsewhere; these tests read
what it stores, so the rows are inserted here directly with every figure chosen by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

HOSTILE = "<script>window.__xss=1</script>"
AS_OF_OLD = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)
AS_OF = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)


@dataclass
class SeededSam:
    products: dict[str, int] = field(default_factory=dict)
    assets: dict[str, int] = field(default_factory=dict)
    ci_id: int = 0
    run_id: int = 0
    old_run_id: int = 0
    running_run_id: int = 0
    entitlements: dict[str, int] = field(default_factory=dict)
    today: date = field(default_factory=lambda: datetime.now(timezone.utc).date())


def _product(session, publisher, name, edition="", licensable=True, metrics=()):
    from collector.models.sam import SamProduct

    product = SamProduct(publisher=publisher, name=name, edition=edition, licensable=licensable,
                         category="commercial" if licensable else "free", metrics=list(metrics))
    session.add(product)
    session.flush()
    return product.id


def _install(session, asset_id: int, product_id: int, title: str, version: str, seen: datetime) -> None:
    from collector.models.sam import SamSoftwareProduct
    from collector.models.software import AssetSoftware, Software

    software = Software(key=uuid.uuid4().hex, name=title, version=version, source="dpkg")
    session.add(software)
    session.flush()
    session.add(SamSoftwareProduct(software_id=software.id, product_id=product_id, version=version,
                                   major_version=version.split(".")[0], rule_id="test", ruleset="t1"))
    session.add(AssetSoftware(asset_id=asset_id, software_id=software.id, first_seen_at=seen, observation_id=7))


def _assets(session, seeded: SeededSam) -> None:
    from collector.models import Asset
    from collector.models.cmdb import ConfigurationItem
    from collector.models.reconcile import CiMatch

    for host, user in (("host-1", "alice"), ("host-2", "alice"), ("host-3", "bob"), ("host-4", "carol")):
        asset = Asset(hostname=host, primary_user=user)
        session.add(asset)
        session.flush()
        seeded.assets[host] = asset.id
    ci = ConfigurationItem(asset_tag="LT-1001", name="Alice laptop", hostname="host-1", status="deployed",
                           ci_class="computer")
    session.add(ci)
    session.flush()
    seeded.ci_id = ci.id
    session.add(CiMatch(subject_type="asset", subject_id=seeded.assets["host-1"], ci_id=ci.id, outcome="matched",
                        rule="hostname", explanation="test"))


def _catalogue(session, seeded: SeededSam) -> None:
    p, a = seeded.products, seeded.assets
    p["office"] = _product(session, "Microsoft", "Office", "Professional Plus", metrics=["named_user"])
    p["sql"] = _product(session, "Microsoft", "SQL Server", "Enterprise", metrics=["processor_core"])
    p["acrobat"] = _product(session, "Adobe", "Acrobat", "Pro", metrics=["device"])
    p["firefox"] = _product(session, "Mozilla", "Firefox", licensable=False)
    p["hostile"] = _product(session, "Evil Corp", HOSTILE)
    seen = AS_OF - timedelta(days=200)
    for host in ("host-1", "host-2", "host-3"):
        _install(session, a[host], p["office"], "Microsoft Office Professional Plus 2021", "16.0.1", seen)
    _install(session, a["host-4"], p["office"], "Microsoft Office Professional Plus 2013", "15.0.4", seen)
    _install(session, a["host-1"], p["acrobat"], "Adobe Acrobat Pro", "24.1", seen)
    _install(session, a["host-3"], p["acrobat"], "Adobe Acrobat Pro", "24.1", seen)
    _install(session, a["host-2"], p["sql"], "Microsoft SQL Server 2022", "16.0", seen)
    for host in a:
        _install(session, a[host], p["firefox"], "firefox", "133.0", seen)
    _install(session, a["host-1"], p["hostile"], HOSTILE, "1.0", seen)


def _position(session, run_id, product_id, metric, entitled, consumed, unit_cost=None, explanation=None):
    from collector.models.sam import SamPosition

    balance = None if entitled is None else entitled - consumed
    cost = Decimal(unit_cost or 0)
    session.add(SamPosition(run_id=run_id, product_id=product_id, metric=metric, entitled=entitled, consumed=consumed,
                            allocated=0, balance=balance, unit_cost=unit_cost, currency="EUR",
                            shortfall_cost=cost * max(0, -(balance or 0)), surplus_cost=cost * max(0, balance or 0),
                            explanation=explanation or {}))


def _runs(session, seeded: SeededSam) -> None:
    from collector.models.sam import SamPositionRun

    old = SamPositionRun(started_at=AS_OF_OLD, finished_at=AS_OF_OLD, status="finished", as_of=AS_OF_OLD)
    run = SamPositionRun(started_at=AS_OF, finished_at=AS_OF + timedelta(minutes=1), status="finished", as_of=AS_OF)
    running = SamPositionRun(started_at=AS_OF + timedelta(days=1), status="running", as_of=AS_OF + timedelta(days=1))
    session.add_all([old, run, running])
    session.flush()
    seeded.old_run_id, seeded.run_id, seeded.running_run_id = old.id, run.id, running.id
    p = seeded.products
    _position(session, old.id, p["office"], "named_user", 2, 2, Decimal("250.00"))
    _position(session, run.id, p["office"], "named_user", 2, 3, Decimal("250.00"),
              {"text": "2 named-user licences; users alice (2 devices, counted once), bob, carol"})
    _position(session, run.id, p["sql"], "processor_core", 8, 4, Decimal("1000.00"),
              {"cores": 8, "core_factor": "0.5", "minimum_per_vm": 4})
    _position(session, run.id, p["acrobat"], "device", 2, 2, Decimal("300.00"))
    _position(session, run.id, p["hostile"], "installation", None, 1)
    _position(session, running.id, p["office"], "named_user", 99, 0, Decimal("1.00"))


def _evidence(session, seeded: SeededSam) -> None:
    from collector.models.sam import SamConsumption, SamReclaimCandidate

    p, a, run = seeded.products, seeded.assets, seeded.run_id
    first, last = AS_OF - timedelta(days=200), AS_OF - timedelta(days=1)
    rows = [(p["office"], "named_user", "host-1", "alice", "16.0.1", 1, "alice: 2 devices, counted once"),
            (p["office"], "named_user", "host-3", "bob", "16.0.1", 1, "bob"),
            (p["office"], "named_user", "host-4", "carol", "15.0.4", 1, "carol"),
            (p["sql"], "processor_core", "host-2", "alice", "16.0", 4, "8 cores × 0.5, minimum 4 per VM → 4"),
            (p["acrobat"], "device", "host-1", "alice", "24.1", 1, "device"),
            (p["acrobat"], "device", "host-3", "bob", "24.1", 1, "device"),
            (p["hostile"], "installation", "host-1", HOSTILE, "1.0", 1, HOSTILE)]
    for product_id, metric, host, user, version, units, reason in rows:
        session.add(SamConsumption(run_id=run, product_id=product_id, metric=metric, asset_id=a[host], device=host,
                                   ci_id=seeded.ci_id if host == "host-1" else None, user=user, version=version,
                                   units=units, reason=reason, first_seen_at=first, last_seen_at=last,
                                   observation_id=41))
    session.add(SamReclaimCandidate(run_id=run, product_id=p["acrobat"], asset_id=a["host-3"], device="host-3",
                                    user="bob", last_used_at=AS_OF - timedelta(days=120), days_unused=120,
                                    freed_cost=Decimal("300.00")))
    session.add(SamReclaimCandidate(run_id=run, product_id=p["office"], asset_id=a["host-4"], device="host-4",
                                    user="carol", last_used_at=None, days_unused=None, freed_cost=Decimal("250.00")))


def _entitlements(session, seeded: SeededSam) -> None:
    from collector.models.sam import SamEntitlement, SamRenewalItem

    p, today = seeded.products, seeded.today
    office = SamEntitlement(product_id=p["office"], metric="named_user", quantity=2, term="subscription",
                            start_date=today - timedelta(days=345), end_date=today + timedelta(days=20),
                            unit_cost=Decimal("250.00"), contract_id="EA-1")
    sql = SamEntitlement(product_id=p["sql"], metric="processor_core", quantity=8, term="subscription",
                         core_factor=Decimal("0.5"), min_cores_per_vm=4, start_date=today - timedelta(days=375),
                         end_date=today - timedelta(days=10), unit_cost=Decimal("1000.00"), contract_id="EA-2")
    acrobat = SamEntitlement(product_id=p["acrobat"], metric="device", quantity=2, term="perpetual",
                             unit_cost=Decimal("300.00"), po_number="PO-9")
    session.add_all([office, sql, acrobat])
    session.flush()
    seeded.entitlements.update(office=office.id, sql=sql.id, acrobat=acrobat.id)
    for threshold in (90, 60, 30):
        session.add(SamRenewalItem(entitlement_id=office.id, threshold_days=threshold, end_date=office.end_date))
    session.add(SamRenewalItem(entitlement_id=sql.id, threshold_days=0, end_date=sql.end_date))


def seed_sam(database, with_runs: bool = True) -> SeededSam:
    """The fleet: products, installs, a CI; with_runs adds two finished runs (and a running one),
    positions, evidence, reclaim candidates, entitlements and renewal items."""
    seeded = SeededSam()
    with database.write() as session:
        _assets(session, seeded)
        _catalogue(session, seeded)
        if with_runs:
            _runs(session, seeded)
            _evidence(session, seeded)
            _entitlements(session, seeded)
    return seeded


def many_evidence(database, seeded: SeededSam, devices: int) -> None:
    """``devices`` more evidence rows for Office (the export benchmark's shape), inserted in bulk."""
    from sqlalchemy import insert

    from collector.models.sam import SamConsumption

    rows = [{"run_id": seeded.run_id, "product_id": seeded.products["office"], "metric": "named_user",
             "device": f"bulk-{i:05d}", "user": f"user{i}", "version": "16.0.1", "units": 1, "reason": "bulk",
             "first_seen_at": AS_OF - timedelta(days=30), "last_seen_at": AS_OF, "observation_id": i}
            for i in range(devices)]
    with database.write() as session:
        session.execute(insert(SamConsumption), rows)
