"""Consumption with evidence: which devices (and users) consume a licensable product, and how many units.

Installs are ``asset_software`` links whose catalogue title normalisation mapped to a licensable
product (``sam_software_products`` → ``sam_products.licensable``): the database filters the
millions of links down to those and groups them per (asset, product, version) in one
statement that is streamed, so Python only sees licensable installs. An asset reconciliation
matched to a CI consumes as that CI (its name, its assigned user); an unmatched asset still
consumes (an install on an unmanaged machine is still an install) with ``ci_id`` NULL, and its
evidence says so.

Units per metric (one evidence row per consuming device, its ``units`` summing to the position):

- installation: each distinct version installed on a device is one unit;
- device, site, unlimited: a device counts once per product;
- named_user: a user counts once however many devices they use (user = the CI's assigned user,
  else the asset's primary user; a device with no known user is its own user); the user's
  other devices carry 0 units and name the device that counted;
- concurrent_user: no session data is collected, so counted as named users (an upper bound);
- processor_core: physical host: max(ceil(cores × core factor), minimum per processor × sockets);
  VM: max(ceil(vCPUs × core factor), minimum per VM). A VM is known from a ``runs_on`` CI
  relationship (VM CI → host CI), the CI class, or the machine's vendor/model facts (QEMU,
  VMware, Hyper-V …). Our choice: a host that has the product installed is licensed for all its
  physical cores, so the VMs running on it add nothing (0 units, naming the host).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from collector.models import Asset, AssetSoftware, CiMatch, CiRelationship, ConfigurationItem
from collector.models.sam import LicenseMetric, SamProduct, SamSoftwareProduct

__all__ = ["AssetFacts", "CoreTerms", "Install", "asset_facts", "evidence_rows", "licensable_installs",
           "vm_hosts"]

STREAM = 10_000  # rows fetched per round trip while streaming installs
CHUNK = 1000  # ids per IN (...) list
_VIRTUAL = re.compile(r"qemu|kvm|vmware|virtualbox|virtual machine|xen|bochs|parallels|hyper-v|openstack",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Install:
    asset_id: int
    product_id: int
    version: str | None
    major_version: str | None
    first_seen_at: datetime | None
    observation_id: int | None


@dataclass(frozen=True)
class AssetFacts:
    asset_id: int
    device: str
    ci_id: int | None
    user: str | None
    cores: int | None
    sockets: int | None
    vcpus: int | None
    last_seen_at: datetime | None
    vm_reason: str | None  # why the machine is taken for a VM; None: a physical machine


@dataclass(frozen=True)
class CoreTerms:
    """The processor-core rule an entitlement sets (from the position's entitlements)."""

    factor: Decimal = Decimal(1)
    min_per_processor: int = 0
    min_per_vm: int = 0


def licensable_installs(session: Session) -> Iterator[Install]:
    """Every (asset, licensable product, version) install, streamed; the database does the filtering."""
    links, mapped = AssetSoftware, SamSoftwareProduct
    licensable = select(mapped.software_id).join(SamProduct, SamProduct.id == mapped.product_id).where(
        SamProduct.licensable.is_(True))
    query = (select(links.asset_id, mapped.product_id, mapped.version, mapped.major_version,
                    func.min(links.first_seen_at), func.min(links.observation_id))
             .join(mapped, mapped.software_id == links.software_id)
             .where(links.software_id.in_(licensable))
             .group_by(links.asset_id, mapped.product_id, mapped.version, mapped.major_version))
    if session.get_bind().dialect.name == "postgresql":
        # A streamed (server-side) cursor is planned for its first 10% of rows, and the plan JIT-compiled:
        # on 7.5M links this query took 17 s that way, 1.5 s planned for all rows without JIT.
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
        session.execute(text("SET LOCAL jit = off"))
    for row in session.execute(query.execution_options(yield_per=STREAM)):
        yield Install(*row)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _vm_reason(vendor, model, chassis, ci_class) -> str | None:
    if ci_class == "virtual_machine":
        return "the CI's class is virtual_machine"
    facts = " ".join(v for v in (vendor, model, chassis) if v)
    found = _VIRTUAL.search(facts)
    return f"its hardware reports {found.group(0)!r} ({facts})" if found else None


def asset_facts(session: Session, asset_ids: Iterable[int]) -> dict[int, AssetFacts]:
    """What the consumption rules need of each asset: its CI, user, CPU facts, and VM or host."""
    ci = ConfigurationItem
    query = (select(Asset.id, Asset.hostname, Asset.primary_user, Asset.cpu_cores, Asset.cpu_sockets,
                    Asset.cpu_threads, Asset.vendor, Asset.model, Asset.chassis_type, Asset.last_seen_at,
                    CiMatch.ci_id, ci.name, ci.assigned_user, ci.ci_class)
             .outerjoin(CiMatch, (CiMatch.subject_type == "asset") & (CiMatch.subject_id == Asset.id)
                        & (CiMatch.outcome == "matched"))
             .outerjoin(ci, ci.id == CiMatch.ci_id))
    facts = {}
    for chunk in _chunks(sorted(set(asset_ids))):
        for (asset_id, host, primary, cores, sockets, threads, vendor, model, chassis, seen, ci_id, ci_name,
             assigned, ci_class) in session.execute(query.where(Asset.id.in_(chunk))):
            facts[asset_id] = AssetFacts(asset_id, ci_name or host, ci_id, assigned or primary, cores, sockets,
                                         threads or cores, seen, _vm_reason(vendor, model, chassis, ci_class))
    return facts


def vm_hosts(session: Session) -> dict[int, int]:
    """VM CI id -> host CI id, from the CMDB's ``runs_on`` relationships."""
    return dict(session.execute(select(CiRelationship.ci_id, CiRelationship.target_ci_id).where(
        CiRelationship.kind == "runs_on", CiRelationship.target_ci_id.is_not(None))).all())


def _row(facts: AssetFacts, installs: list[Install], units: int, reason: str, user: str | None = None) -> dict:
    first = min((i.first_seen_at for i in installs if i.first_seen_at), default=None)
    versions = sorted({i.version for i in installs if i.version})
    unmanaged = "" if facts.ci_id else " (unmanaged machine: no CI matched; an install still counts)"
    return {"ci_id": facts.ci_id, "asset_id": facts.asset_id, "device": facts.device[:255],
            "user": (user if user is not None else facts.user), "version": ", ".join(versions)[:255] or None,
            "units": units, "reason": reason + unmanaged, "first_seen_at": first, "last_seen_at": facts.last_seen_at,
            "observation_id": min((i.observation_id for i in installs if i.observation_id), default=None)}


def evidence_rows(metric: str, by_asset: dict[int, list[Install]], facts: dict[int, AssetFacts],
                  terms: CoreTerms, hosts: dict[int, int]) -> list[dict]:
    """One evidence row per consuming device under ``metric``; their units sum to the consumption."""
    assets = sorted(by_asset)
    if metric == LicenseMetric.INSTALLATION:
        return [_row(facts[a], by_asset[a], len({i.version for i in by_asset[a]}),
                     f"{len({i.version for i in by_asset[a]})} distinct version(s) installed: one unit each")
                for a in assets]
    if metric in (LicenseMetric.NAMED_USER, LicenseMetric.CONCURRENT_USER):
        return _user_rows(metric, assets, by_asset, facts)
    if metric == LicenseMetric.PROCESSOR_CORE:
        return _core_rows(assets, by_asset, facts, terms, hosts)
    note = {LicenseMetric.SITE: " (site licence: counted, not limited)",
            LicenseMetric.UNLIMITED: " (unlimited licence: counted, not limited)"}.get(metric, "")
    return [_row(facts[a], by_asset[a], 1, "a device counts once per product" + note) for a in assets]


def _user_rows(metric: str, assets: list[int], by_asset: dict, facts: dict) -> list[dict]:
    counted: dict[str, str] = {}
    rows = []
    bound = (" (no session data: concurrent use counted as named users, an upper bound)"
             if metric == LicenseMetric.CONCURRENT_USER else "")
    for asset_id in assets:
        fact = facts[asset_id]
        user = fact.user or f"device:{fact.device}"
        if user in counted:
            rows.append(_row(fact, by_asset[asset_id], 0, f"user {user} already counted on {counted[user]}{bound}",
                             user))
            continue
        counted[user] = fact.device
        why = (f"user {user} counted once" if fact.user
               else "no known user: the device counts as its own user")
        rows.append(_row(fact, by_asset[asset_id], 1, why + bound, user))
    return rows


def _core_rows(assets: list[int], by_asset: dict, facts: dict, terms: CoreTerms, hosts: dict) -> list[dict]:
    licensed_hosts = {facts[a].ci_id: facts[a].device for a in assets
                      if facts[a].ci_id is not None and facts[a].vm_reason is None
                      and facts[a].ci_id not in hosts}
    rows = []
    for asset_id in assets:
        fact = facts[asset_id]
        host_ci = hosts.get(fact.ci_id) if fact.ci_id is not None else None
        if host_ci is not None and host_ci in licensed_hosts:
            rows.append(_row(fact, by_asset[asset_id], 0, f"VM on host {licensed_hosts[host_ci]}, which is "
                                                          "licensed for all its physical cores: not counted again"))
            continue
        is_vm = host_ci is not None or fact.vm_reason is not None
        units, why = _vm_cores(fact, terms, host_ci) if is_vm else _host_cores(fact, terms)
        rows.append(_row(fact, by_asset[asset_id], units, why))
    return rows


def _vm_cores(fact: AssetFacts, terms: CoreTerms, host_ci: int | None) -> tuple[int, str]:
    why = f"runs on host CI {host_ci}" if host_ci is not None else fact.vm_reason
    if not fact.vcpus:
        return terms.min_per_vm, f"VM ({why}); vCPU count unknown: the minimum of {terms.min_per_vm} per VM"
    raw = math.ceil(fact.vcpus * terms.factor)
    units = max(raw, terms.min_per_vm)
    minimum = f", minimum {terms.min_per_vm} per VM" if terms.min_per_vm else ""
    return units, f"VM ({why}): {fact.vcpus} vCPUs × {terms.factor.normalize()}{minimum} → {units}"


def _host_cores(fact: AssetFacts, terms: CoreTerms) -> tuple[int, str]:
    sockets = fact.sockets or 1
    floor = terms.min_per_processor * sockets
    if not fact.cores:
        return floor, (f"physical host; core count unknown: the minimum of {terms.min_per_processor} per processor "
                       f"× {sockets} processor(s)")
    raw = math.ceil(fact.cores * terms.factor)
    units = max(raw, floor)
    minimum = (f", minimum {terms.min_per_processor} per processor × {sockets} = {floor}"
               if terms.min_per_processor else "")
    return units, f"physical host: {fact.cores} cores × {terms.factor.normalize()}{minimum} → {units}"


def group_installs(installs: Iterable[Install], attribute: dict[int, int]) -> dict[int, dict[int, list[Install]]]:
    """product (a component attributed to its suite) -> asset -> its installs of that product."""
    grouped: dict[int, dict[int, list[Install]]] = defaultdict(lambda: defaultdict(list))
    for install in installs:
        grouped[attribute.get(install.product_id, install.product_id)][install.asset_id].append(install)
    return grouped
