"""Small helpers the workflow tests share: counting rows, reading an instance back."""

from __future__ import annotations

from sqlalchemy import func, select

from collector.models import AuditLogEntry, WorkflowEvent, WorkflowInstance


def snapshot(database, instance_id: int) -> tuple:
    """What must not change when a move is refused: version, stage, state, events, audit rows."""
    with database.session() as session:
        instance = session.get(WorkflowInstance, instance_id)
        events = session.scalar(select(func.count()).select_from(WorkflowEvent)
                                .where(WorkflowEvent.instance_id == instance_id))
        audit = session.scalar(select(func.count()).select_from(AuditLogEntry))
        return instance.version, instance.stage, instance.status, instance.state, events, audit


def event_kinds(database, instance_id: int) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(WorkflowEvent.kind).where(WorkflowEvent.instance_id == instance_id)
                                    .order_by(WorkflowEvent.id)))


def ready(database, instance_id: int) -> list[str]:
    from collector.workflows.reading import ready_task_views

    with database.session() as session:
        return [t["id"] for t in ready_task_views(session.get(WorkflowInstance, instance_id))]


def start(database, templates, name: str, actor, now, ci_id: int | None = None) -> int:
    from collector.workflows.service import start_workflow

    with database.write() as session:
        return start_workflow(session, templates, name, actor, ci_id=ci_id, now=now).id


def act(database, templates, instance_id: int, task: str, actor, data: dict | None = None, now=None, **kwargs) -> int:
    """Complete ``task`` through the service in its own transaction; the new version."""
    from collector.workflows.service import complete_task

    with database.write() as session:
        return complete_task(session, templates, instance_id, task, actor, data or {}, now=now, **kwargs).version


def agent_reports(database, asset_id: int, user: str | None, at) -> None:
    """The agent's next inventory report: its primary user and the time it was seen."""
    from collector.models import Asset

    with database.write() as session:
        asset = session.get(Asset, asset_id)
        asset.primary_user, asset.last_seen_at = user, at


def ci_row(database, ci_id: int) -> dict:
    from collector.models import ConfigurationItem

    with database.session() as session:
        ci = session.get(ConfigurationItem, ci_id)
        return {c: getattr(ci, c) for c in ("asset_tag", "serial", "vendor", "model", "status", "assigned_user",
                                            "department", "location", "po_number", "supplier", "cost")}


def cmdb_changes(database, instance_id: int) -> list[dict]:
    with database.session() as session:
        return [{"task": e.task, "actor": e.actor, **e.detail} for e in session.scalars(
            select(WorkflowEvent).where(WorkflowEvent.instance_id == instance_id, WorkflowEvent.kind == "cmdb_change")
            .order_by(WorkflowEvent.id))]


def evidence_of(database, instance_id: int, task: str = "validate") -> dict:
    with database.session() as session:
        event = session.scalars(select(WorkflowEvent).where(
            WorkflowEvent.instance_id == instance_id, WorkflowEvent.task == task,
            WorkflowEvent.kind == "task_completed")).one()
        return event.detail["evidence"]
def data_of(database, instance_id: int) -> dict:
    """The instance's process data as reads show it (secrets masked)."""
    from collector.workflows.reading import instance_view

    with database.session() as session:
        return instance_view(session, instance_id)["data"]


def software(name: str, version: str, publisher: str) -> dict:
    return {"name": name, "version": version, "publisher": publisher, "source": "dpkg", "arch": "amd64"}


def agent_report(database, reports, host: dict, at, packages: list[dict], usage: list[dict] = ()) -> None:
    """One inventory report from ``host``'s agent through the real parser and ingest service.

    ``host`` is a ``sam_hosts`` entry; the report (tests/factories.ReportFactory) carries the
    host's serial, so reconciliation matches its asset to the host's CI."""
    import orjson

    from collector.ingest.inventory import store_inventory
    from collector.ingest.parsing import parse_inventory

    report = reports.report(host["agent_id"], software_count=0, host_seed=host["seed"], collected_at=at.isoformat(),
                            software=list(packages), usage=list(usage))
    with database.write() as session:
        result = store_inventory(session, host["agent_id"], parse_inventory(orjson.dumps(report)), at)
    assert result.outcome in ("stored", "unchanged"), result
