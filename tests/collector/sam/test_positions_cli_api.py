"""``sam positions|reclaim|renewals`` and ``POST /api/v1/sam/positions/run`` on the seeded fleet."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from collector.models import utcnow
from collector.models.sam import SamPositionRun
from collector.sam.renewals import threshold_for
from tests.collector.sam.factories import days
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture


def _runs(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(SamPositionRun))


def test_the_cli_computes_and_prints_the_positions(run_cli, database, fleet):
    missing = run_cli("sam", "positions", check=False)
    assert missing.returncode == 1 and "no licence position has been computed yet" in missing.stderr
    shown = run_cli("sam", "positions", "--run").stdout
    assert "7 positions" in shown
    assert any(line.split()[-6:] == ["processor_core", "24", "34", "-10", "10000.00", "-"]
               for line in shown.splitlines() if line.startswith("Microsoft SQL Server Enterprise"))
    assert any(line.split()[-6:] == ["installation", "5", "2", "3", "-", "75.00"]
               for line in shown.splitlines() if line.startswith("Oracle Java SE"))
    as_json = json.loads(run_cli("sam", "positions", "--publisher", "Adobe", "--json").stdout)
    assert [(p["product"], p["entitled"], p["consumed"], p["balance"], p["shortfall_cost"])
            for p in as_json["positions"]] == [("Acrobat", 0, 1, -1, "150.00")]
    reclaim = json.loads(run_cli("sam", "reclaim", "--json").stdout)["candidates"]
    assert sorted((c["product"], c["device"], c["freed_cost"]) for c in reclaim) == [
        ("Microsoft Office", "LT-3", "200.00"), ("Microsoft Visio", "LT-1", "300.00"),
        ("Microsoft Visio", "LT-3", "300.00")]
    renewals = run_cli("sam", "renewals").stdout
    assert "Adobe Acrobat" in renewals and "(expired)" in renewals
    # the CLI runs at the real time: the notice is the one reached today for an end 45 days after NOW
    notice = threshold_for(days(45), utcnow().date())
    assert "Tableau Tableau Desktop" in renewals
    assert ("(expired)" if notice == 0 else f"({notice}-day notice)") in renewals.split("Tableau Tableau Desktop")[1]


def test_the_api_runs_the_positions_for_operators_only(client, database, fleet, make_token):
    assert client.post("/api/v1/sam/positions/run", headers=make_token("auditor")).status_code == 403
    assert client.post("/api/v1/sam/positions/run").status_code == 401
    assert _runs(database) == 0
    response = client.post("/api/v1/sam/positions/run", headers=make_token("operator"))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["counts"]["positions"], body["counts"]["over_deployed"]) == ("finished", 7, 4)
    assert body["workflows"]["license_over_deployment"] == {"started": 4, "joined": 0}
    assert client.post("/api/v1/sam/positions/run", headers=make_token("admin")).status_code == 201
    assert _runs(database) == 2
    with database.session() as session:
        from sqlalchemy import select

        from collector.models import AuditLogEntry

        actors = session.scalars(select(AuditLogEntry.actor).where(AuditLogEntry.action == "sam_positions_run")
                                 .order_by(AuditLogEntry.id)).all()
    assert len(actors) == 2 and all(a.startswith("token:") for a in actors)
    listed = client.get("/api/v1/exceptions?kind=over_deployed", headers=make_token("auditor")).get_json()
    assert listed["total"] == 4
