"""Workflow KPIs on a seeded event history with known answers (cycle time, approval time,
on-time provisioning, disposal lead time), per template and per ISO week."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
import subprocess
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from collector.models import AuditLogEntry, WorkflowEvent, WorkflowInstance
from collector.reports.kpi_export import HEADERS
from collector.reports.kpis import compute_kpis, kpi_rows, week_starts
from collector.reports.required_fields import required_fields
from collector.reports.workflow_kpis import Durations, OnTime, quantiles, workflow_kpis

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)  # Wednesday of 2026-W49; W48 starts 11-23


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# name -> (template, need_by, [(kind, at, task_kpi, ready_at)])
HISTORY = {
    "d1": ("ham_deployment", "2026-11-24", [
        ("started", "2026-11-23T08:00", None, None), ("approved", "2026-11-23T10:00", None, "2026-11-23T08:00"),
        ("task_completed", "2026-11-23T12:00", "delivered", "2026-11-23T10:00"),
        ("closed", "2026-11-24T08:00", None, None)]),
    "d2": ("ham_deployment", "2026-11-27", [
        ("started", "2026-11-20T08:00", None, None), ("rejected", "2026-11-21T08:00", None, "2026-11-20T09:00"),
        ("approved", "2026-11-24T08:00", None, "2026-11-23T20:00"),
        ("task_completed", "2026-11-29T10:00", "delivered", "2026-11-24T08:00"),  # late: a Sunday, still W48
        ("closed", "2026-11-30T08:00", None, None)]),
    "d3": ("ham_deployment", "2026-12-01", [
        ("started", "2026-11-30T00:00", None, None), ("approved", "2026-11-30T03:00", None, "2026-11-30T00:00"),
        ("task_completed", "2026-12-01T09:00", "delivered", None),  # on the need-by day: on time
        ("closed", "2026-12-01T12:00", None, None)]),
    "d4": ("ham_deployment", None, [
        ("started", "2026-11-30T00:00", None, None),
        ("task_completed", "2026-12-01T10:00", "delivered", None)]),  # running; no need-by date
    "e1": ("exception_resolution", None, [
        ("started", "2026-11-25T00:00", None, None), ("approved", "2026-11-25T02:00", None, "2026-11-25T01:00"),
        ("comment", "2026-11-25T03:00", None, None), ("closed", "2026-11-25T06:00", None, None)]),
    "e2": ("exception_resolution", None, [  # closed before the period
        ("started", "2026-11-01T00:00", None, None), ("approved", "2026-11-02T00:00", None, "2026-11-01T00:00"),
        ("closed", "2026-11-10T00:00", None, None)]),
    "e3": ("exception_resolution", None, [  # running; an approval recorded before events had ready_at
        ("started", "2026-11-30T00:00", None, None), ("approved", "2026-12-01T00:00", None, None)]),
    "r1": ("ham_retirement", None, [
        ("started", "2026-11-16T00:00", None, None),
        ("approved", "2026-11-17T00:00", "retirement_approved", "2026-11-16T00:00"),
        ("task_completed", "2026-11-24T00:00", "disposed", None), ("closed", "2026-11-24T01:00", None, None)]),
    "r2": ("ham_retirement", None, [
        ("started", "2026-11-18T00:00", None, None),
        ("rejected", "2026-11-20T00:00", "retirement_approved", "2026-11-18T00:00"),
        ("approved", "2026-11-25T00:00", "retirement_approved", "2026-11-20T00:00"),
        ("task_completed", "2026-12-01T12:00", "disposed", None)]),
    "r3": ("ham_retirement", None, [  # disposed with only a rejection: not measured
        ("started", "2026-11-28T00:00", None, None),
        ("rejected", "2026-11-30T00:00", "retirement_approved", "2026-11-28T00:00"),
        ("task_completed", "2026-12-02T00:00", "disposed", None)]),
    "r4": ("ham_retirement", None, [  # disposed before the period
        ("started", "2026-09-01T00:00", None, None),
        ("approved", "2026-09-02T00:00", "retirement_approved", "2026-09-01T00:00"),
        ("task_completed", "2026-10-01T00:00", "disposed", None)]),
}


@pytest.fixture
def history(database):
    with database.write() as session:
        for name, (template, need_by, events) in HISTORY.items():
            closed = [at for kind, at, _k, _r in events if kind == "closed"]
            instance = WorkflowInstance(template=template, template_hash=name.ljust(64, "0"), status="closed" if closed
                                        else "running", stage="Closure" if closed else "Execution",
                                        need_by=date.fromisoformat(need_by) if need_by else None,
                                        created_at=_at(events[0][1]), updated_at=_at(events[-1][1]),
                                        closed_at=_at(closed[0]) if closed else None, state={}, version=1)
            session.add(instance)
            session.flush()
            for kind, at, kpi, ready_at in events:
                session.add(WorkflowEvent(instance_id=instance.id, at=_at(at), kind=kind, stage="Execution",
                                          detail={}, task_kpi=kpi, ready_at=_at(ready_at) if ready_at else None))


def _weeks(kpi) -> dict:
    return {week.week: week for week in kpi.weeks}


def test_quantiles_median_and_nearest_rank_p90():
    assert quantiles([]) == Durations(0, None, None)
    assert quantiles([5.0]) == Durations(1, 5.0, 5.0)
    assert quantiles([240, 6, 36, 24, 169]) == Durations(5, 36, 240)
    assert quantiles([float(h) for h in range(1, 11)]) == Durations(10, 5.5, 9.0)
    assert quantiles([float(h) for h in range(1, 12)]) == Durations(11, 6.0, 10.0)


def test_cycle_time_per_template_and_week(database, history):
    with database.session() as session:
        result = workflow_kpis(session, week_starts(NOW, 2)).cycle_time
    # Closed in W48-W49: d1 24 h, d2 240 h, d3 36 h, e1 6 h, r1 193 h (e2 closed before).
    assert result.overall == Durations(5, 36, 240)
    assert result.by_template == {"exception_resolution": Durations(1, 6, 6),
                                  "ham_deployment": Durations(3, 36, 240), "ham_retirement": Durations(1, 193, 193)}
    weeks = _weeks(result)
    assert list(weeks) == ["2026-W48", "2026-W49"] and weeks["2026-W48"].starts == "2026-11-23"
    assert weeks["2026-W48"].overall == Durations(3, 24, 193)
    assert weeks["2026-W49"].overall == Durations(2, 138, 240)
    assert weeks["2026-W49"].by_template == {"ham_deployment": Durations(2, 138, 240)}


def test_approval_time_from_ready_to_decision(database, history):
    with database.session() as session:
        result = workflow_kpis(session, week_starts(NOW, 2)).approval_time
    # d1 2 h, d2 12 h (its rejection on 11-21 is before the period), d3 3 h, e1 1 h; r2's approval
    # on 11-25 took 120 h; r3's rejection 48 h; e3's has no ready time.
    assert result.overall == Durations(6, 7.5, 120)
    assert result.by_template["ham_deployment"] == Durations(3, 3, 12)
    assert result.by_template["exception_resolution"] == Durations(1, 1, 1)
    assert result.by_template["ham_retirement"] == Durations(2, 84, 120)
    weeks = _weeks(result)
    assert weeks["2026-W48"].overall == Durations(4, 7, 120)
    assert weeks["2026-W49"].overall == Durations(2, 25.5, 48)


def test_on_time_provisioning(database, history):
    with database.session() as session:
        result = workflow_kpis(session, week_starts(NOW, 2)).on_time_provisioning
    assert result.overall == OnTime(3, 2, 66.7, 1)
    assert result.by_template == {"ham_deployment": OnTime(3, 2, 66.7, 1)}
    weeks = _weeks(result)
    assert weeks["2026-W48"].overall == OnTime(2, 1, 50.0, 0)
    assert weeks["2026-W49"].overall == OnTime(1, 1, 100.0, 1)


def test_disposal_lead_time(database, history):
    with database.session() as session:
        result = workflow_kpis(session, week_starts(NOW, 2)).disposal_lead_time
    # r1: 11-17 -> 11-24 = 168 h; r2: approved 11-25 -> disposed 12-01 12:00 = 156 h.
    assert result.overall == Durations(2, 162, 168)
    assert result.by_template == {"ham_retirement": Durations(2, 162, 168)}
    weeks = _weeks(result)
    assert weeks["2026-W48"].overall == Durations(1, 168, 168)
    assert weeks["2026-W49"].overall == Durations(1, 156, 156)


def test_a_longer_period_takes_in_older_items(database, history):
    with database.session() as session:
        result = workflow_kpis(session, week_starts(NOW, 12))
    assert result.cycle_time.by_template["exception_resolution"] == Durations(2, 111, 216)
    assert result.disposal_lead_time.overall == Durations(3, 168, 696)
    assert len(result.cycle_time.weeks) == 12 and result.cycle_time.weeks[0].week == "2026-W38"


def test_an_empty_history_has_counts_and_no_values(database):
    with database.session() as session:
        result = workflow_kpis(session, week_starts(NOW, 12))
    assert result.cycle_time.overall == Durations(0, None, None) and result.cycle_time.by_template == {}
    assert result.on_time_provisioning.overall == OnTime(0, 0, None, 0)
    assert [w.overall.count for w in result.approval_time.weeks] == [0] * 12


def test_all_six_kpis_and_their_flat_rows(database, history):
    with database.session() as session:
        kpis = compute_kpis(session, NOW, 2, required_fields({}))
    body = kpis.as_dict()
    assert {"ci_completeness", "audit_exceptions", "cycle_time", "approval_time", "on_time_provisioning",
            "disposal_lead_time"} <= set(body)
    assert body["cycle_time"]["by_template"]["ham_deployment"] == {"count": 3, "median_hours": 36,
                                                                   "p90_hours": 240}
    rows = kpi_rows(kpis)
    assert ("cycle_time_hours", "", "ham_deployment", "median", 36) in rows
    assert ("cycle_time_hours", "2026-W49", "all", "p90", 240) in rows
    assert ("approval_time_hours", "2026-W48", "ham_retirement", "count", 1) in rows
    assert ("on_time_provisioning", "", "all", "percent", 66.7) in rows
    assert ("disposal_lead_time_hours", "", "all", "median", 162) in rows


# --- API, exports and CLI ---------------------------------------------------------------------

@pytest.fixture
def at_now(monkeypatch):
    monkeypatch.setattr("collector.api.kpis.utcnow", lambda: NOW)
    monkeypatch.setattr("collector.models.utcnow", lambda: NOW)  # the CLI imports it when it runs


def _exports(database, action: str = "export") -> list[AuditLogEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == action)))


def test_the_api_answers_the_workflow_kpis(client, database, history, make_token, at_now):
    body = client.get("/api/v1/kpis?weeks=2", headers=make_token()).get_json()
    assert body["approval_time"]["overall"] == {"count": 6, "median_hours": 7.5, "p90_hours": 120}
    assert body["on_time_provisioning"]["weeks"][0] == {"week": "2026-W48", "starts": "2026-11-23", "overall": {
        "delivered": 2, "on_time": 1, "percent": 50.0, "without_need_by": 0}}
    assert body["disposal_lead_time"]["by_template"] == {"ham_retirement": {"count": 2, "median_hours": 162,
                                                                            "p90_hours": 168}}
    assert len(client.get("/api/v1/kpis", headers=make_token()).get_json()["cycle_time"]["weeks"]) == 12


def test_the_xlsx_export_has_dates_as_dates_and_column_widths(client, database, history, make_token, at_now):
    from openpyxl import load_workbook

    response = client.get("/api/v1/kpis/export?format=xlsx&weeks=2", headers=make_token())
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    header = 0
    assert rows[0] == HEADERS
    assert ("Cycle time", "median 36 h, p90 240 h (5)") in list(workbook["About"].iter_rows(values_only=True))
    data = rows[1:]
    assert ("cycle_time_hours", "2026-W49", datetime(2026, 11, 30), "all", "p90", 240) in data
    assert ("on_time_provisioning", None, None, "all", "percent", 66.7) in data
    cell = sheet.cell(header + 2 + data.index(("cycle_time_hours", "2026-W49", datetime(2026, 11, 30), "all",
                                                "p90", 240)), 3)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["A"].width >= len("disposal_lead_time_hours")
    [entry], [file_entry] = _exports(database), _exports(database, "export_file")
    assert file_entry.target == "kpis.xlsx" and file_entry.detail["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert file_entry.detail["export_entry"] == entry.id
    assert entry.detail["rows"] == len(data) and entry.detail["filters"] == {"weeks": "2"}


def test_the_csv_and_pdf_exports_carry_the_same_figures(client, database, history, make_token, at_now):
    csv_body = client.get("/api/v1/kpis/export?weeks=2", headers=make_token()).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_body)))
    assert rows[0] == list(HEADERS)  # the header first, the provenance in the ZIP's sidecar
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/kpis/export?weeks=2&format=zip",
                                                    headers=make_token()).data))
    sidecar = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith(".csv.json"))))
    assert sidecar["notes"]["Approval time"] == "median 7.5 h, p90 120 h (6)"
    assert ["disposal_lead_time_hours", "2026-W48", "2026-11-23", "all", "median", "168"] in rows
    pdf = client.get("/api/v1/kpis/export?format=pdf&weeks=2", headers=make_token())
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout
    assert b"Stocktake KPI report" in text and b"On-time provisioning:" in text and b"2 of 3 (66.7%)" in text
    assert [e.target for e in _exports(database)] == ["kpis.csv", "kpis.zip", "kpis.pdf"]


@pytest.mark.parametrize("query", ["format=docx", "format=", "weeks=0"])
def test_a_bad_export_request_is_422_and_nothing_is_audited(client, database, make_token, query):
    response = client.get(f"/api/v1/kpis/export?{query}", headers=make_token())
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == query.split("=")[0]
    assert _exports(database) == []


def test_the_export_needs_a_token(client, database):
    assert client.get("/api/v1/kpis/export").status_code == 401


@pytest.fixture
def kpis_cli(db_url, database, tmp_path):
    from collector.cli import main

    def run(*args):
        env = {"STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path), "STOCKTAKE_CONFIG": None}
        return CliRunner().invoke(main, ["kpis", *args], env=env)

    return run


def test_the_cli_prints_and_exports_the_workflow_kpis(kpis_cli, client, database, history, make_token, at_now,
                                                      tmp_path):
    as_json = kpis_cli("--json", "--weeks", "2")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == client.get("/api/v1/kpis?weeks=2", headers=make_token()).get_json()
    text = kpis_cli("--weeks", "2").output.splitlines()
    assert "Cycle time in hours (count / median / p90), last 2 weeks:" in text
    assert [line.split() for line in text if line.strip().startswith("ham_deployment")][0] == \
        ["ham_deployment", "3", "36", "240"]
    assert ["2026-W49", "1/1", "100%", "1"] in [line.split() for line in text]
    target = tmp_path / "kpis.xlsx"
    result = kpis_cli("--format", "xlsx", "--weeks", "2", "--output", str(target))
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert result.output.startswith("wrote ") and digest in result.output
    [entry] = _exports(database, "export_file")
    assert (entry.target, entry.detail["sha256"], entry.client) == ("kpis.xlsx", digest, "cli")


@pytest.mark.parametrize("args, message", [(["--format", "pdf"], "--format pdf writes a file: give --output PATH"),
                                           (["--json", "-o", "x.csv"], "--output writes a csv, xlsx or pdf report")])
def test_cli_export_misuse_exits_2_and_writes_nothing(kpis_cli, database, args, message):
    result = kpis_cli(*args)
    assert result.exit_code == 2 and message in result.output
    assert _exports(database) == []
