"""Naming records in words a person recognises: host name, asset tag, MAC, IP, vendor, switch port.

Reconciliation stores a subject as ``("device", 99)`` and its summary as "device 99 (unnamed) is
on the network but in no CI": true, and useless to someone at a desk. One function describes any
asset, device or CI (a page's worth in three queries), so the exception list, its page, the CI
and device pages and the exports all name a thing the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from collector.models import Asset, Device
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch

__all__ = ["ExceptionSubject", "SubjectLabel", "describe_exception_subjects", "describe_subjects",
           "device_label", "exception_headline"]

Ref = tuple[str, int]  # ("asset" | "device" | "ci", id)


@dataclass(frozen=True)
class SubjectLabel:
    """One record's name and the identifiers a person would check it by."""

    kind: str  # "asset", "device" or "ci"
    id: int
    title: str
    facts: tuple[tuple[str, str], ...] = ()
    found: bool = True  # False: the record is gone (a deleted asset, an aged-out device)

    @property
    def ref(self) -> Ref:
        return self.kind, self.id

    @property
    def text(self) -> str:
        """The whole description on one line (exports, audit details)."""
        facts = ", ".join(f"{name} {value}" for name, value in self.facts)
        return f"{self.title} ({facts})" if facts else self.title


@dataclass(frozen=True)
class ExceptionSubject:
    """What an exception is about: the observed machine or device, and the CI."""

    subject: SubjectLabel | None
    ci: SubjectLabel | None

    @property
    def primary(self) -> SubjectLabel | None:
        return self.subject or self.ci

    @property
    def text(self) -> str:
        parts = [label.text for label in (self.subject, self.ci) if label is not None]
        return "; CI ".join(parts) if parts else "—"


def _port(device: Device) -> str | None:
    if not device.switch_port:
        return None
    switch = device.switch
    where = (switch.sys_name or switch.ip or switch.mac) if switch is not None else None
    return f"{device.switch_port} on {where}" if where else device.switch_port


def device_label(device: Device) -> SubjectLabel:
    title = device.sys_name or device.ip or device.mac or device.serial or f"device {device.id}"
    facts = [("MAC", device.mac), ("IP", device.ip), ("vendor", device.vendor or device.oui_vendor),
             ("type", (device.device_type or "").replace("_", " ")), ("model", device.model),
             ("serial", device.serial), ("port", _port(device))]
    return SubjectLabel("device", device.id, title, tuple((k, v) for k, v in facts if v and v != title))


def _asset_labels(session: Session, ids: list[int]) -> dict[Ref, SubjectLabel]:
    rows = session.execute(
        select(Asset.id, Asset.hostname, Asset.serial, Asset.vendor, Asset.model, ConfigurationItem.asset_tag)
        .outerjoin(CiMatch, and_(CiMatch.subject_type == "asset", CiMatch.subject_id == Asset.id))
        .outerjoin(ConfigurationItem, ConfigurationItem.id == CiMatch.ci_id).where(Asset.id.in_(ids)))
    labels = {}
    for asset_id, hostname, serial, vendor, model, tag in rows:
        facts = [("serial", serial), ("model", " ".join(v for v in (vendor, model) if v)), ("tag", tag)]
        labels["asset", asset_id] = SubjectLabel("asset", asset_id, hostname or f"asset {asset_id}",
                                                 tuple((k, v) for k, v in facts if v))
    return labels


def _device_labels(session: Session, ids: list[int]) -> dict[Ref, SubjectLabel]:
    return {("device", d.id): device_label(d) for d in session.scalars(select(Device).where(Device.id.in_(ids)))}


def _ci_labels(session: Session, ids: list[int]) -> dict[Ref, SubjectLabel]:
    rows = session.execute(select(ConfigurationItem.id, ConfigurationItem.asset_tag, ConfigurationItem.name,
                                  ConfigurationItem.hostname, ConfigurationItem.ci_class, ConfigurationItem.serial)
                           .where(ConfigurationItem.id.in_(ids)))
    labels = {}
    for ci_id, tag, name, hostname, ci_class, serial in rows:
        title = tag or name or hostname or f"CI {ci_id}"
        facts = [("name", name), ("host", hostname), ("class", (ci_class or "").replace("_", " ")), ("serial", serial)]
        labels["ci", ci_id] = SubjectLabel("ci", ci_id, title, tuple((k, v) for k, v in facts if v and v != title))
    return labels


_LOADERS = {"asset": _asset_labels, "device": _device_labels, "ci": _ci_labels}


def describe_subjects(session: Session, refs: Iterable[Ref]) -> dict[Ref, SubjectLabel]:
    """A label for every ``(kind, id)``, one query per kind; a missing record gets a plain
    "device 99 (no longer recorded)" label rather than disappearing from the page."""
    wanted: dict[str, set[int]] = {}
    for kind, record_id in refs:
        if kind in _LOADERS and record_id is not None:
            wanted.setdefault(kind, set()).add(int(record_id))
    labels: dict[Ref, SubjectLabel] = {}
    for kind, ids in wanted.items():
        found = _LOADERS[kind](session, sorted(ids))
        for record_id in ids:
            name = "CI" if kind == "ci" else kind
            labels[kind, record_id] = found.get((kind, record_id)) or SubjectLabel(
                kind, record_id, f"{name} {record_id} (no longer recorded)", found=False)
    return labels


def _refs(exception: AuditException) -> tuple[Ref | None, Ref | None]:
    subject = (exception.subject_type, exception.subject_id) \
        if exception.subject_type in ("asset", "device") and exception.subject_id is not None else None
    return subject, (("ci", exception.ci_id) if exception.ci_id is not None else None)


def describe_exception_subjects(session: Session, exceptions: Iterable[AuditException]) -> dict[int, ExceptionSubject]:
    """Per exception id, its subject and CI named (for the queue, the exception page and exports)."""
    exceptions = list(exceptions)
    pairs = {e.id: _refs(e) for e in exceptions}
    labels = describe_subjects(session, [ref for pair in pairs.values() for ref in pair if ref is not None])
    return {eid: ExceptionSubject(labels.get(subject) if subject else None, labels.get(ci) if ci else None)
            for eid, (subject, ci) in pairs.items()}


# How reconciliation's summaries start: "device 99 (unnamed) ...", "CI 12 (LT-0001): ...".
_STORED_NAME = re.compile(r"^(asset|device|CI) (\d+)( \([^)]*\))?")


def exception_headline(exception: AuditException, about: ExceptionSubject) -> str:
    """The summary with "device 99 (unnamed)" or "CI 12 (LT-0001)" replaced by the record's own name."""
    summary = exception.summary or ""
    match = _STORED_NAME.match(summary)
    if match is None:
        return summary
    kind = "ci" if match.group(1) == "CI" else match.group(1)
    label = about.ci if kind == "ci" else about.subject
    if label is None or label.ref != (kind, int(match.group(2))):
        return summary
    return label.title + summary[match.end():]
