"""Facts a task derives from stored data when a person completes it, added to the task's data.

A template's user task names one in its ``derive`` property. A derivation checks the
submitted form against what Stocktake knows (a product typed at initiation must be one the
agents report, else a form error listing close matches) and returns what it found (reclaim
candidates, an evidence pack, the linked acquisition it started), which the process carries
on and the event history records. It runs in the transition's transaction, after every other
refusal, so a refusal here also stores nothing.

``over_deployment`` reads the product's stored licence position when the workflow names a
normalised product (``sam_product_id``: raised by a position run, collector/sam/), and the
entitled quantity typed at initiation otherwise (a remediation started by hand by raw title).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput
from collector.models import WorkflowInstance
from collector.workflows import products

if TYPE_CHECKING:
    from collector.workflows.loading import TemplateSet
    from collector.workflows.roles import WorkflowActor

__all__ = ["DERIVATIONS", "Context", "ACQUISITION_TEMPLATE"]

ACQUISITION_TEMPLATE = "sam_acquisition"


@dataclass(frozen=True)
class Context:
    """What a derivation may need beyond the data: the templates and actor (to start a
    linked workflow) and the transition's time."""

    templates: TemplateSet
    actor: WorkflowActor
    now: datetime


def software_product(session: Session, instance: WorkflowInstance, data: dict, context: Context) -> dict:
    """The typed product is one agents report; adds how many assets report it now."""
    product = products.product_of(session, data)
    return {"installs_at_start": products.install_count(session, product, instance.ci_id)}


def reclaim_candidates(session: Session, instance: WorkflowInstance, data: dict, context: Context) -> dict:
    """Hosts with the product installed whose agent has not seen it run for ``unused_days``."""
    product = products.product_of(session, data)
    executable = (data.get("executable") or product.name).strip()
    cutoff = context.now - timedelta(days=data["unused_days"])
    candidates, used = [], 0
    for install in _one_per_asset(products.installs(session, product, instance.ci_id)):
        last = products.last_run(session, install.asset_id, executable, product)
        if last is not None and last >= cutoff:
            used += 1
            continue
        candidates.append({"asset_id": install.asset_id, "hostname": install.hostname, "ci_id": install.ci_id,
                           "version": install.version, "last_run": last.isoformat() if last else None})
    if not candidates:
        raise InvalidInput("nothing to reclaim; nothing was stored", [FieldError(
            "unused_days", f"{product.name} is installed on {used} host(s), all run in the last "
                           f"{data['unused_days']} days")])
    return {"executable": executable, "candidates": candidates}


def _one_per_asset(rows: list[products.Install]) -> list[products.Install]:
    seen: dict[int, products.Install] = {}
    for row in rows:
        seen.setdefault(row.asset_id, row)
    return list(seen.values())


def evidence_pack(session: Session, instance: WorkflowInstance, data: dict, context: Context) -> dict:
    """Install counts per product version from the stored agent data, the hosts they were
    counted on (at most products.MAX_INSTALLS, for the freshness check) and when."""
    product = products.product_of(session, data)
    table = [{"publisher": product.publisher, "product": product.name, "version": version, "installs": count}
             for version, count in products.counts_by_version(session, product, instance.ci_id)]
    hosts = sorted({r.asset_id for r in products.installs(session, product, instance.ci_id)})
    return {"evidence_pack": {"gathered_at": context.now.isoformat(), "rows": table, "asset_ids": hosts}}


def over_deployment(session: Session, instance: WorkflowInstance, data: dict, context: Context) -> dict:
    """A remediation starts only while installs exceed the entitled quantity; buying names how many."""
    if data.get("option") == "buy" and not data.get("buy_quantity"):
        raise InvalidInput("invalid form input; nothing was stored",
                           [FieldError("buy_quantity", "is required to buy more")])
    if data.get("sam_product_id"):
        return _position_over_deployment(session, data)
    product = products.product_of(session, data)
    count = products.install_count(session, product, instance.ci_id)
    if count <= data["entitled"]:
        raise InvalidInput("not over-deployed; nothing was stored", [FieldError(
            "entitled", f"{product.name} is installed on {count} host(s), within the {data['entitled']} entitled")])
    return {"installs_at_start": count}


def _position_over_deployment(session: Session, data: dict) -> dict:
    """From the latest licence position: over-deployed now, with the entitled and consumed it stores
    (they replace what was typed)."""
    from collector.sam.positions import position_of

    found = position_of(session, int(data["sam_product_id"]), data.get("metric"))
    if found is None:
        raise InvalidInput("no licence position; nothing was stored", [FieldError(
            "product", "no licence position run has counted this product yet")])
    run, position = found
    if position.balance is None or position.balance >= 0:
        raise InvalidInput("not over-deployed; nothing was stored", [FieldError(
            "entitled", f"{data.get('product')} consumes {position.consumed} {position.metric} unit(s), within the "
                        f"{'unlimited' if position.entitled is None else position.entitled} entitled "
                        f"(position run {run.id})")])
    return {"entitled": position.entitled, "installs_at_start": position.consumed, "position_run_id": run.id}


def start_acquisition(session: Session, instance: WorkflowInstance, data: dict, context: Context) -> dict:
    """Buying more: start the product's acquisition workflow, linked both ways."""
    from collector.workflows.service import start_workflow  # the service imports this module

    acquisition = start_workflow(session, context.templates, ACQUISITION_TEMPLATE, context.actor,
                                 ci_id=instance.ci_id, now=context.now,
                                 data={"publisher": data["publisher"], "product": data["product"],
                                       "quantity": data["buy_quantity"], "remediation_id": instance.id,
                                       # a remediation a position run raised names the normalised product
                                       **({"sam_product_id": data["sam_product_id"]}
                                          if data.get("sam_product_id") else {})})
    return {"acquisition_id": acquisition.id}


DERIVATIONS: dict[str, Callable[[Session, WorkflowInstance, dict, Context], dict]] = {
    "software_product": software_product,
    "reclaim_candidates": reclaim_candidates,
    "evidence_pack": evidence_pack,
    "over_deployment": over_deployment,
    "start_acquisition": start_acquisition,
}
