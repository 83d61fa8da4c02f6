"""KPIs on a seeded history: exact values from the service, GET /api/v1/kpis and the CLI."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException
from collector.reports.kpis import compute_kpis, exception_weeks, week_starts
from collector.reports.required_fields import required_fields

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)  # a Wednesday in ISO week 2026-W49
KINDS = ["unmanaged", "missing", "drift", "duplicate", "conflict", "cloned_identity"]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# (name, kind, opened_at, resolved_at or None, acknowledged)
EXCEPTIONS = [
    ("A", "drift", "2026-11-30T08:00", None, False),
    ("B", "drift", "2026-11-20T10:00", "2026-12-01T09:00", False),
    ("C", "unmanaged", "2026-10-01T12:00", None, False),
    ("D", "missing", "2026-06-01T12:00", None, False),
    ("E", "missing", "2026-06-01T12:00", "2026-09-13T23:00", False),  # closed before the 12 weeks
    ("F", "conflict", "2026-11-24T09:00", "2026-11-25T09:00", False),
    ("G", "duplicate", "2026-11-16T00:00", None, True),  # opened on W47's first instant; acknowledged is open
    ("H", "drift", "2026-11-23T00:00", "2026-11-30T00:00", False),  # resolved on W49's first instant
    ("I", "unmanaged", "2026-11-24T12:00", None, False),  # exactly 8 days old
    ("J", "unmanaged", "2026-11-24T12:00:01", None, False),  # a second younger: 7 days
    ("K", "cloned_identity", "2026-09-02T12:00", None, False),  # exactly 91 days old
    ("L", "cloned_identity", "2026-09-03T12:00", None, False),  # 90 days
]

# (tag, class, status, fields)
FULL = {"serial": "S", "model": "M", "location": "HQ", "assigned_user": "ann"}
CIS = [
    ("C1", "computer", "deployed", FULL),
    ("C2", "computer", "deployed", {**FULL, "assigned_user": None}),
    ("C3", "computer", "in_stock", {**FULL, "assigned_user": None}),  # nobody uses it yet: complete
    ("C4", "computer", "deployed", {**FULL, "serial": "", "location": None}),  # empty text is missing
    ("C5", "server", "deployed", {**FULL, "assigned_user": None, "hostname": "srv5"}),
    ("C6", "server", "deployed", {**FULL, "assigned_user": None}),
    ("C7", "virtual_machine", "deployed", {"hostname": "vm7"}),
    ("C8", "phone", "in_stock", {**FULL, "model": None, "assigned_user": None}),
    ("C9", "phone", "deployed", {**FULL, "location": None, "assigned_user": None}),
]


@pytest.fixture
def history(database):
    with database.write() as session:
        for n, (name, kind, opened, resolved, acknowledged) in enumerate(EXCEPTIONS):
            status = "resolved" if resolved else "acknowledged" if acknowledged else "open"
            session.add(AuditException(kind=kind, status=status, open_key=None if resolved else f"test:{n}",
                                       summary=name, evidence={}, opened_at=_at(opened),
                                       resolved_at=_at(resolved) if resolved else None, updated_at=_at(opened)))
        for tag, ci_class, status, values in CIS:
            session.add(ConfigurationItem(asset_tag=tag, ci_class=ci_class, status=status, **values))


def _weeks(result) -> dict:
    return {week.week: week for week in result.weeks}


def _of(counts: dict, **nonzero) -> dict:
    return {kind: nonzero.get(kind, 0) for kind in KINDS}


def test_exceptions_per_week_and_kind(database, history):
    with database.session() as session:
        result = exception_weeks(session, NOW, 12)
    assert result.kinds == KINDS
    weeks = _weeks(result)
    assert list(weeks) == [f"2026-W{n}" for n in range(38, 50)]
    assert weeks["2026-W38"].starts == "2026-09-14" and weeks["2026-W49"].starts == "2026-11-30"
    w49, w48, w47, w40, w38 = (weeks[f"2026-W{n}"] for n in (49, 48, 47, 40, 38))
    assert w49.opened == _of(KINDS, drift=1)
    assert w49.closed == _of(KINDS, drift=2)
    assert w49.open == _of(KINDS, drift=1, unmanaged=3, missing=1, duplicate=1, cloned_identity=2)
    assert w48.opened == _of(KINDS, drift=1, conflict=1, unmanaged=2)
    assert w48.closed == _of(KINDS, conflict=1)
    assert w48.open == _of(KINDS, drift=2, unmanaged=3, missing=1, duplicate=1, cloned_identity=2)
    assert w47.opened == _of(KINDS, drift=1, duplicate=1) and w47.closed == _of(KINDS)
    assert w47.open == _of(KINDS, drift=1, unmanaged=1, missing=1, duplicate=1, cloned_identity=2)
    assert w40.opened == _of(KINDS, unmanaged=1)
    assert w40.open == _of(KINDS, unmanaged=1, missing=1, cloned_identity=2)
    assert w38.opened == _of(KINDS) and w38.closed == _of(KINDS)  # E closed the week before
    assert w38.open == _of(KINDS, missing=1, cloned_identity=2)


def test_each_weeks_open_count_follows_from_the_previous_week(database, history):
    with database.session() as session:
        weeks = exception_weeks(session, NOW, 12).weeks
    for before, week in zip(weeks, weeks[1:]):
        for kind in KINDS:
            assert week.open[kind] == before.open[kind] + week.opened[kind] - week.closed[kind], (week.week, kind)


def test_ageing_of_the_open_exceptions(database, history):
    with database.session() as session:
        result = exception_weeks(session, NOW, 12)
    assert result.ageing == {
        "0-7": _of(KINDS, drift=1, unmanaged=1),  # A, J
        "8-30": _of(KINDS, duplicate=1, unmanaged=1),  # G, I
        "31-90": _of(KINDS, unmanaged=1, cloned_identity=1),  # C, L
        ">90": _of(KINDS, missing=1, cloned_identity=1),  # D, K
    }
    assert sum(sum(bucket.values()) for bucket in result.ageing.values()) == sum(result.weeks[-1].open.values())


def test_one_week_and_week_boundaries():
    assert [d.isoformat() for d in week_starts(NOW, 1)] == ["2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00"]
    sunday_night = datetime(2026, 12, 6, 23, 59, 59, tzinfo=timezone.utc)
    assert week_starts(sunday_night, 2)[0] == datetime(2026, 11, 23, tzinfo=timezone.utc)
    # Monday 00:30 in UTC+02:00 is still Sunday in UTC: the week is the UTC one.
    assert week_starts(datetime(2026, 12, 7, 0, 30, tzinfo=timezone(timedelta(hours=2))), 1)[0] == \
        datetime(2026, 11, 30, tzinfo=timezone.utc)


def test_ci_completeness_overall_per_class_and_most_missing(database, history):
    with database.session() as session:
        result = compute_kpis(session, NOW, 12, required_fields()).ci_completeness
    assert (result.cis, result.complete, result.percent) == (9, 4, 44.4)
    assert [(c.ci_class, c.cis, c.complete, c.percent, c.missing) for c in result.by_class] == [
        ("computer", 4, 2, 50.0, {"assigned_user": 1, "location": 1, "serial": 1}),
        ("phone", 2, 0, 0.0, {"assigned_user": 1, "location": 1, "model": 1}),
        ("server", 2, 1, 50.0, {"hostname": 1}),
        ("virtual_machine", 1, 1, 100.0, {}),
    ]
    assert [(gap.field, gap.cis) for gap in result.most_missing] == [
        ("assigned_user", 2), ("location", 2), ("hostname", 1), ("model", 1), ("serial", 1)]


def test_an_empty_register_has_no_percentage(database):
    with database.session() as session:
        result = compute_kpis(session, NOW, 4, required_fields())
    assert (result.ci_completeness.cis, result.ci_completeness.percent) == (0, None)
    assert len(result.audit_exceptions.weeks) == 4
    assert all(sum(week.open.values()) == 0 for week in result.audit_exceptions.weeks)


OVERRIDE = {"server": {"always": ["asset_tag"]}, "phone": {"always": ["asset_tag"], "deployed": ["assigned_user"]}}


def test_the_site_definition_replaces_the_shipped_one_class_by_class(database, history):
    with database.session() as session:
        result = compute_kpis(session, NOW, 12, required_fields(OVERRIDE)).ci_completeness
    assert (result.cis, result.complete, result.percent) == (9, 6, 66.7)
    by_class = {c.ci_class: (c.complete, c.missing) for c in result.by_class}
    assert by_class["server"] == (2, {}) and by_class["phone"] == (1, {"assigned_user": 1})
    assert by_class["computer"] == (2, {"assigned_user": 1, "location": 1, "serial": 1})  # unchanged


# --- GET /api/v1/kpis -----------------------------------------------------------------------

@pytest.fixture
def at_now(monkeypatch):
    monkeypatch.setattr("collector.api.kpis.utcnow", lambda: NOW)
    monkeypatch.setattr("collector.models.utcnow", lambda: NOW)  # the CLI imports it when it runs


def test_the_api_answers_the_service_values(client, database, history, make_token, at_now):
    response = client.get("/api/v1/kpis?weeks=12", headers=make_token("auditor"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["weeks"] == 12 and body["generated_at"] == NOW.isoformat()
    done = body["ci_completeness"]
    assert (done["cis"], done["complete"], done["percent"]) == (9, 4, 44.4)
    assert done["most_missing"][0] == {"field": "assigned_user", "cis": 2}
    weeks = body["audit_exceptions"]["weeks"]
    assert len(weeks) == 12 and weeks[-1]["week"] == "2026-W49"
    assert weeks[-1]["closed"] == _of(KINDS, drift=2)
    assert body["audit_exceptions"]["ageing"][">90"] == _of(KINDS, missing=1, cloned_identity=1)
    default = client.get("/api/v1/kpis", headers=make_token("admin")).get_json()
    assert len(default["audit_exceptions"]["weeks"]) == 12


def test_the_api_uses_the_configured_required_fields(config, database, history, make_token, at_now):
    from collector.app import create_app

    app = create_app(replace(config, ci_required_fields=OVERRIDE))
    try:
        body = app.test_client().get("/api/v1/kpis", headers=make_token()).get_json()
    finally:
        app.extensions["stocktake"]["db"].dispose()
    assert body["ci_completeness"]["complete"] == 6


@pytest.mark.parametrize("weeks", ["0", "105", "-1", "twelve", "1.5", ""])
def test_bad_weeks_are_422_naming_the_parameter(client, database, make_token, weeks):
    response = client.get(f"/api/v1/kpis?weeks={weeks}", headers=make_token())
    assert response.status_code == 422
    assert response.get_json()["fields"] == [{"field": "weeks", "message": "must be an integer from 1 to 104"}]


def test_the_api_needs_a_token(client, database):
    assert client.get("/api/v1/kpis").status_code == 401


# --- stocktake-collector kpis ---------------------------------------------------------------

@pytest.fixture
def kpis_cli(db_url, database, tmp_path):
    from collector.cli import main

    def run(*args, config_text: str | None = None):
        env = {"STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path), "STOCKTAKE_CONFIG": None}
        if config_text is not None:
            path = tmp_path / "collector.toml"
            path.write_text(config_text, encoding="utf-8")
            env["STOCKTAKE_CONFIG"] = str(path)
        return CliRunner().invoke(main, ["kpis", *args], env=env)

    return run


def test_the_cli_prints_the_same_kpis_as_json_text_and_csv(kpis_cli, client, history, make_token, at_now):
    as_json = kpis_cli("--format", "json", "--weeks", "12")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == client.get("/api/v1/kpis", headers=make_token()).get_json()

    text = kpis_cli().output.splitlines()
    assert text[0] == "CI records complete: 4 of 9 (44.4%)"
    assert "  phone            0 of 2 (0.0%); missing assigned_user 1, location 1, model 1" in text
    assert "  most often missing: assigned_user 2, location 2, hostname 1, model 1, serial 1" in text
    w49 = [line for line in text if line.lstrip().startswith("2026-W49")][0]  # the exception table comes first
    assert w49.split() == ["2026-W49", "0/0/3", "0/0/1", "1/2/1", "0/0/1", "0/0/0", "0/0/2"]
    assert "  >90         2  missing 1, cloned_identity 1" in text

    rows = list(csv.reader(io.StringIO(kpis_cli("--format", "csv", "--weeks", "2").output)))
    assert rows[0] == ["kpi", "week", "group", "measure", "value"]
    assert ["ci_complete", "", "all", "percent", "44.4"] in rows
    assert ["audit_exceptions", "2026-W48", "conflict", "closed", "1"] in rows
    assert ["audit_exception_age_days", "", "unmanaged", "8-30", "1"] in rows
    assert {row[1] for row in rows[1:]} == {"", "2026-W48", "2026-W49"}


def test_the_cli_reads_required_fields_from_the_config_file(kpis_cli, history, at_now):
    result = kpis_cli("--format", "json", config_text='[collector.ci_required_fields.server]\nalways = ["asset_tag"]\n')
    assert result.exit_code == 0, result.output
    by_class = {c["ci_class"]: c["complete"] for c in json.loads(result.output)["ci_completeness"]["by_class"]}
    assert by_class["server"] == 2


def test_a_bad_required_fields_table_fails_naming_the_key(kpis_cli, database):
    result = kpis_cli(config_text='[collector.ci_required_fields.computer]\nalways = ["colour"]\nsold = []\n')
    assert result.exit_code == 1
    assert "ci_required_fields.computer.always: unknown field 'colour'" in result.output
    assert "ci_required_fields.computer.sold: unknown key" in result.output


@pytest.mark.parametrize("args", [["--weeks", "0"], ["--weeks", "105"], ["--weeks", "x"], ["--format", "xml"]])
def test_bad_cli_options_exit_2(kpis_cli, args):
    result = kpis_cli(*args)
    assert result.exit_code == 2 and "Invalid value" in result.output
