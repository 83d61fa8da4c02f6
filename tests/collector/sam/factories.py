"""Plain ORM rows for the licence-position tests: machines, CIs, installed titles, products, entitlements.

Products, title mappings and entitlements are inserted directly (as normalisation and the
entitlement service would store them), so these tests do not depend on those services.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import orjson

from collector.models import (Asset, AssetSoftware, CiMatch, CiRelationship, ConfigurationItem, Observation,
                              Software)
from collector.models.sam import (SamEntitlement, SamProduct, SamSoftwareProduct, SamSuiteComponent)
from collector.sam.versions import major_version

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


class SamBuilder:
    """Adds rows to a session; every method returns the new row's id."""

    def __init__(self, session) -> None:
        self.session = session
        self._titles: dict[tuple, int] = {}

    def _add(self, row):
        self.session.add(row)
        self.session.flush()
        return row.id

    def product(self, publisher: str, name: str, *, metrics=(), licensable=True, edition="") -> int:
        return self._add(SamProduct(publisher=publisher, name=name, edition=edition, licensable=licensable,
                                    metrics=list(metrics), category="commercial" if licensable else "free"))

    def suite(self, suite_id: int, *components: int) -> None:
        for component in components:
            self.session.add(SamSuiteComponent(suite_product_id=suite_id, component_product_id=component))
        self.session.flush()

    def title(self, name: str, version: str, publisher: str, source: str, product_id: int | None) -> int:
        """A raw catalogue title and what normalisation mapped it to."""
        key = hashlib.blake2b(f"{name}|{version}|{publisher}|{source}".encode(), digest_size=16).hexdigest()
        software_id = self._add(Software(key=key, name=name, version=version, publisher=publisher, source=source,
                                         arch="x64"))
        self.session.add(SamSoftwareProduct(software_id=software_id, product_id=product_id, version=version,
                                            major_version=major_version(version), rule_id="test", ruleset="test"))
        self.session.flush()
        return software_id

    def machine(self, hostname: str, *, ci: dict | None = None, cores=None, sockets=None, threads=None,
                vendor="HP", model="ProLiant DL380", primary_user=None, usage=None) -> dict:
        """An agent asset, matched to a new CI when ``ci`` is given (its columns), with optional usage data."""
        asset = Asset(hostname=hostname, vendor=vendor, model=model, cpu_cores=cores, cpu_sockets=sockets,
                      cpu_threads=threads, primary_user=primary_user, first_seen_at=NOW - timedelta(days=300),
                      last_seen_at=NOW - timedelta(hours=1))
        asset_id = self._add(asset)
        if usage is not None:
            asset.observation_id = self._observation(asset_id, usage)
        ci_id = None
        if ci is not None:
            ci_id = self._add(ConfigurationItem(asset_tag=ci.get("asset_tag", hostname.upper()),
                                                name=ci.get("name", hostname.upper()), hostname=hostname,
                                                **{k: v for k, v in ci.items() if k not in ("asset_tag", "name")}))
            self.session.add(CiMatch(subject_type="asset", subject_id=asset_id, ci_id=ci_id, outcome="matched",
                                     rule="serial", explanation="test"))
            self.session.flush()
        return {"asset_id": asset_id, "ci_id": ci_id, "hostname": hostname}

    def _observation(self, asset_id: int, usage: list[dict]) -> int:
        payload = zlib.compress(orjson.dumps({"usage": usage}))
        return self._add(Observation(source="agent", kind="inventory", asset_id=asset_id, schema_version=1,
                                     content_hash="x" * 64, report_id=f"r-{asset_id}", collected_at=NOW,
                                     last_report_id=f"r-{asset_id}", last_collected_at=NOW, payload=payload))

    def runs_on(self, vm: dict, host: dict) -> None:
        self.session.add(CiRelationship(ci_id=vm["ci_id"], kind="runs_on", target_ci_id=host["ci_id"]))
        self.session.flush()

    def install(self, machine: dict, software_id: int, days_ago: int = 100, observation_id: int = 1) -> None:
        self.session.add(AssetSoftware(asset_id=machine["asset_id"], software_id=software_id,
                                       first_seen_at=NOW - timedelta(days=days_ago), observation_id=observation_id))
        self.session.flush()

    def entitlement(self, product_id: int, metric: str, quantity: int, **fields) -> int:
        if "unit_cost" in fields and fields["unit_cost"] is not None:
            fields["unit_cost"] = Decimal(str(fields["unit_cost"]))
        if "core_factor" in fields and fields["core_factor"] is not None:
            fields["core_factor"] = Decimal(str(fields["core_factor"]))
        return self._add(SamEntitlement(product_id=product_id, metric=metric, quantity=quantity, **fields))


def days(n: int) -> date:
    """The date ``n`` days after NOW."""
    return (NOW + timedelta(days=n)).date()
