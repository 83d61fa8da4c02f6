"""Validation evidence of the SAM workflows, from the installed software agents report.

Each check answers (passed, why) like those in ``evidence``, which registers them. "The next
agent report" is a report of the host (``Asset.last_seen_at``) at or after the workflow's
execution. ``within_entitlement`` reads the stored licence position (collector/sam/) when the
workflow names a normalised product (``sam_product_id``, as a position run raises it): it
passes once a position run after the remedy finds the product within its entitlements; a
remediation started by hand by raw title still compares installs with the typed quantity.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.errors import InvalidInput
from collector.models import Asset, AssetSoftware, WorkflowEvent, WorkflowInstance
from collector.models.workflows import EventKind, InstanceStatus, Stage
from collector.workflows import engine, products
from collector.workflows.specs import load_workflow

__all__ = ["SAM_CHECKS"]

Evidence = tuple[bool, str]
ENTITLEMENT_FIELDS = ("publisher", "product", "quantity", "metric", "vendor", "po_number", "contract_id")


def _executed_at(session: Session, instance: WorkflowInstance) -> datetime | None:
    """When the instance's execution stage last completed a task."""
    return session.scalar(select(func.max(WorkflowEvent.at)).where(
        WorkflowEvent.instance_id == instance.id, WorkflowEvent.stage == Stage.EXECUTION.value,
        WorkflowEvent.kind.in_((EventKind.TASK_COMPLETED.value, EventKind.CMDB_CHANGE.value))))


def _product(session: Session, data: dict) -> products.Product | None:
    try:
        return products.product_of(session, data)
    except InvalidInput:
        return None


def entitlement_complete(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """The entitlement record has every field, and a licence key or a contract to prove it.

    Where a CI is named it is recorded with the entitlement; nothing more is checked of it."""
    missing = [name for name in ENTITLEMENT_FIELDS if data.get(name) in (None, "")]
    if not data.get("license_key") and not data.get("contract_document"):
        missing.append("license_key or contract_document")
    if missing:
        return False, f"the entitlement record lacks {', '.join(missing)}"
    scope = f" for CI {instance.ci_id}" if instance.ci_id else ""
    return True, (f"entitlement of {data['quantity']} {data['metric']} of {data['publisher']} {data['product']}"
                  f"{scope}: PO {data['po_number']}, contract {data['contract_id']}")


def product_reported(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """The CI's matched asset, in an agent report after the installation, lists the product."""
    since, product = _executed_at(session, instance), _product(session, data)
    if instance.ci_id is None or since is None or product is None:
        return False, "nothing installed to check yet"
    assets = products.assets_of_ci(session, instance.ci_id)
    if not assets:
        return False, "no agent report is matched to this CI by reconciliation yet"
    fresh = [(asset_id, host, seen) for asset_id, host, seen in assets if seen >= since]
    if not fresh:
        return False, (f"no agent report of this CI since the installation at {since.isoformat()} "
                       f"(latest: {assets[0][1]}, {assets[0][2].isoformat()})")
    for install in products.installs(session, product, instance.ci_id):
        if install.last_seen_at >= since:
            return True, (f"agent on {install.hostname} (asset {install.asset_id}) reported {product.name} "
                          f"{install.version or ''} at {install.last_seen_at.isoformat()}".replace("  ", " "))
    _, host, seen = fresh[0]
    return False, f"the agent report of {host} at {seen.isoformat()} does not list {product.name}"


def product_removed(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """Each reclaimed host's next agent report no longer lists the product."""
    since, product = _executed_at(session, instance), _product(session, data)
    if since is None or product is None:
        return False, "nothing removed to check yet"
    hosts = {c["asset_id"]: c["hostname"] for c in data.get("candidates") or []}
    seen = dict(session.execute(select(Asset.id, Asset.last_seen_at).where(Asset.id.in_(list(hosts)))).all())
    still = set(session.scalars(select(AssetSoftware.asset_id).where(
        AssetSoftware.asset_id.in_(list(hosts)), AssetSoftware.software_id.in_(product.software_ids))))
    waiting = sorted(hosts[a] for a in hosts if a not in seen or seen[a] < since)
    present = sorted(hosts[a] for a in hosts if a in seen and seen[a] >= since and a in still)
    if present or waiting:
        parts = [f"still reported on {', '.join(present)}"] if present else []
        parts += [f"no agent report since the removal from {', '.join(waiting)}"] if waiting else []
        return False, f"{product.name}: {'; '.join(parts)}"
    return True, f"{product.name} gone from the next agent report of {', '.join(sorted(hosts.values()))}"


def evidence_pack_fresh(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """The evidence pack is not older than the latest agent report of its scope."""
    pack, product = data.get("evidence_pack"), _product(session, data)
    if not pack or product is None:
        return False, "no evidence pack gathered"
    gathered = datetime.fromisoformat(pack["gathered_at"])
    scope = set(pack["asset_ids"]) | {i.asset_id for i in products.installs(session, product, instance.ci_id)}
    latest = products.latest_report(session, sorted(scope))
    if data.get("outcome") == "regather":
        return True, "re-gathering the evidence pack"
    if latest is not None and latest > gathered:
        return False, (f"the evidence pack (gathered {gathered.isoformat()}) is older than the latest agent report "
                       f"of its scope ({latest.isoformat()}): re-gather it")
    total = sum(row["installs"] for row in pack["rows"])
    return True, f"evidence pack of {total} install(s) gathered {gathered.isoformat()}, after every report of its scope"


def renewal_done(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """Renew or true-up: a PO and a new term ending after the old one; cancel: no installs are left."""
    choice = data.get("choice")
    if choice == "cancel":
        product = _product(session, data)
        count = products.install_count(session, product, instance.ci_id) if product else None
        if count:
            return False, f"cancelled, but {data.get('product')} is still installed on {count} host(s)"
        return True, f"cancelled with no installs of {data.get('product')} left"
    old, new = data.get("term_end"), data.get("new_term_end")
    if not data.get("po_number"):
        return False, f"no purchase order recorded for the {choice}"
    if not new:
        return False, "no new term end recorded"
    if date.fromisoformat(new) <= date.fromisoformat(old):
        return False, f"the new term ends {new}, not after the old one ({old})"
    return True, f"{choice}: the term now ends {new}, after {old}"


def within_entitlement(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """Installs are at most the entitled quantity, plus what a linked, closed acquisition bought."""
    if data.get("sam_product_id"):
        return _position_within(session, instance, data)
    product = _product(session, data)
    if product is None:
        return False, f"{data.get('product')} is no longer in the catalogue"
    entitled, bought = data["entitled"], _bought(session, data.get("acquisition_id"))
    count = products.install_count(session, product, instance.ci_id)
    allowed = entitled + bought
    where = f"entitled {entitled}" + (f" + {bought} bought in workflow {data['acquisition_id']}" if bought else "")
    if count > allowed:
        pending = " (the linked acquisition is not closed yet)" if data.get("acquisition_id") and not bought else ""
        return False, f"{product.name} is installed on {count} host(s), more than {allowed} ({where}){pending}"
    return True, f"{product.name} is installed on {count} host(s), within {allowed} ({where})"


def _position_within(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """The latest licence position, computed after the remedy, has the product back within its entitlements
    (what an acquisition bought counts once it is an entitlement)."""
    from collector.sam.positions import latest_run, position_in

    since, run = _executed_at(session, instance), latest_run(session)
    if run is None or since is None or run.as_of < since:
        when = f" since the remedy at {since.isoformat()}" if since else ""
        return False, (f"no licence position computed{when} yet "
                       "(stocktake-collector sam positions --run, or wait for the scheduled run)")
    position = position_in(session, run.id, int(data["sam_product_id"]), data.get("metric"))
    if position is None:
        return True, f"{data.get('product')} is no longer installed (position run {run.id})"
    entitled = "unlimited" if position.entitled is None else position.entitled
    numbers = f"{position.consumed} {position.metric} unit(s) consumed, {entitled} entitled (position run {run.id})"
    if position.balance is not None and position.balance < 0:
        return False, f"{data.get('product')} is still over-deployed: {numbers}"
    return True, f"{data.get('product')} is within its entitlements: {numbers}"


def _bought(session: Session, acquisition_id: int | None) -> int:
    acquisition = session.get(WorkflowInstance, acquisition_id) if acquisition_id else None
    if acquisition is None or acquisition.status != InstanceStatus.CLOSED.value:
        return 0
    return int(engine.task_data(load_workflow(acquisition, session)).get("quantity") or 0)


SAM_CHECKS: dict[str, Callable[[Session, WorkflowInstance, dict], Evidence]] = {
    "entitlement_complete": entitlement_complete,
    "product_reported": product_reported,
    "product_removed": product_removed,
    "evidence_pack_fresh": evidence_pack_fresh,
    "renewal_done": renewal_done,
    "within_entitlement": within_entitlement,
}
