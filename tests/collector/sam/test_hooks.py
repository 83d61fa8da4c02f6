"""When normalisation runs: not in an agent report's request, but by the scheduled job and after full runs."""

from sqlalchemy import func, select

from collector.facts import reconcile_all
from collector.jobs import run_jobs
from collector.models import SamProduct, SamSoftwareProduct, Software, utcnow

ZOOM = {"name": "Zoom Workplace", "version": "6.0.11", "publisher": "Zoom Video Communications, Inc.",
        "source": "registry"}


def _mapped(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(SamSoftwareProduct))


def _report(client, make_agent, reports) -> None:
    agent = make_agent()
    report = reports.report(agent.agent_id, software_count=5)
    report["software"].append(ZOOM)
    assert client.post("/api/v1/inventory", json=report, headers=agent.headers).status_code in (200, 201, 202)


def test_an_agent_report_adds_titles_without_normalising_them_and_the_job_does(client, database, config, make_agent,
                                                                             reports):
    _report(client, make_agent, reports)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Software)) == 6
    assert _mapped(database) == 0  # the ingest request did no SAM work
    run_jobs(database, config, once=True)
    assert _mapped(database) == 6
    with database.session() as session:
        zoom = session.scalar(select(SamSoftwareProduct.product_id)
                              .join(Software, Software.id == SamSoftwareProduct.software_id)
                              .where(Software.name == "Zoom Workplace"))
        assert session.get(SamProduct, zoom).name == "Zoom Workplace"


def test_a_full_reconciliation_run_normalises_new_titles(client, database, config, make_agent, reports):
    _report(client, make_agent, reports)
    assert _mapped(database) == 0
    reconcile_all(database, config, utcnow())
    assert _mapped(database) == 6


def test_scheduled_runs_are_audited_only_when_they_mapped_something(client, database, config, make_agent, reports):
    from collector.models import AuditLogEntry
    from collector.sam.hooks import normalise_job

    _report(client, make_agent, reports)
    normalise_job(database, config)
    normalise_job(database, config)  # nothing new: no entry
    with database.session() as session:
        details = session.scalars(select(AuditLogEntry.detail).where(AuditLogEntry.action == "sam_normalise")).all()
    assert [d["titles"] for d in details] == [6]
