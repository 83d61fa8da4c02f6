"""Services behind the pages: the user CLI, keyset pages of the register, exception triage."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import insert, select

from collector.access.audit_log import Actor
from collector.errors import Conflict, InvalidInput
from collector.models import Asset, AuditLogEntry, User, utcnow
from collector.models.reconcile import AuditException
from collector.queries.asset_register import RegisterFilters, iter_register, register_page
from collector.workflows.triage import acknowledge_exception, assign_exception, exception_queue


def test_first_admin_is_created_from_the_cli_with_the_password_on_stdin(db_url, database, tmp_path):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path)}
    env.pop("STOCKTAKE_CONFIG", None)
    command = [sys.executable, "-m", "collector.cli", "user", "create", "root", "--role", "admin", "--password-stdin"]
    created = subprocess.run(command, input="a long admin passphrase\n", env=env, capture_output=True, text=True,
                             timeout=60)
    assert created.returncode == 0 and "'root' (admin) created" in created.stdout, created.stderr
    assert "passphrase" not in created.stdout + created.stderr
    short = subprocess.run(command[:-4] + ["other", "--role", "auditor", "--password-stdin"], input="short\n",
                           env=env, capture_output=True, text=True, timeout=60)
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    verified = subprocess.run([sys.executable, "-m", "collector.cli", "user", "verify-audit-log"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and "1 entries" in verified.stdout
    with database.session() as session:
        user = session.scalar(select(User))
        assert user.role == "admin" and user.password_hash.startswith("scrypt$")


def test_register_pages_walk_forwards_and_back_without_gaps(database):
    now = utcnow()
    with database.write() as session:
        session.execute(insert(Asset), [{"hostname": f"h-{n % 7}", "last_seen_at": now, "first_seen_at": now,
                                         "software_count": 0} for n in range(23)])
    with database.session() as session:
        filters = RegisterFilters(sort="hostname")
        seen, page, pages = [], register_page(session, filters, 5), []
        while True:
            pages.append(page)
            seen += [row.id for row in page.rows]
            if not page.next_cursor:
                break
            page = register_page(session, filters, 5, after=page.next_cursor)
        everything = [row.id for row in iter_register(session, filters, chunk=4)]
        assert seen == everything and sorted(seen) == list(range(1, 24)) and page.total == 23
        back = register_page(session, filters, 5, before=pages[2].prev_cursor)
        assert [r.id for r in back.rows] == [r.id for r in pages[1].rows]
        descending = [r.id for r in iter_register(session, RegisterFilters(sort="hostname", descending=True))]
        assert descending == everything[::-1]
        with pytest.raises(InvalidInput):
            register_page(session, filters, 5, after="not-a-cursor")


def test_acknowledged_exceptions_stay_open_for_reconciliation(database, users):
    admin = Actor(users["admin"], "admin", "test")
    with database.write() as session:
        exception = AuditException(kind="missing", status="open", open_key="missing:9", summary="not seen",
                                   evidence={})
        session.add(exception)
        session.flush()
        exception_id = exception.id
    with database.write() as session:
        with pytest.raises(InvalidInput):
            assign_exception(session, exception_id, users["auditor"], admin)  # auditors cannot work exceptions
    with database.write() as session:
        assign_exception(session, exception_id, users["operator"], admin)
        acknowledge_exception(session, exception_id, admin, "known: in the repair shop")
    with database.write() as session:
        with pytest.raises(Conflict):
            acknowledge_exception(session, exception_id, admin)
    with database.session() as session:
        row = session.get(AuditException, exception_id)
        assert row.status == "acknowledged" and row.open_key == "missing:9"
        assert exception_queue(session).total == 1 and exception_queue(session, status="open").total == 0
        actions = session.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)).all()
    assert [a for a in actions if a.startswith("exception_")] == ["exception_assigned", "exception_acknowledged",
                                                                   "exception_commented"]
    # ... each done through the exception's workflow (collector/workflows/triage_workflow.py)
    assert [a for a in actions if a in ("workflow_started", "workflow_assigned", "workflow_task_completed",
                                        "workflow_comment")] == ["workflow_started", "workflow_assigned",
                                                                 "workflow_task_completed", "workflow_comment"]


def test_register_filters_select_the_right_assets(database):
    from collector.models import Device
    from collector.models.cmdb import ConfigurationItem
    from collector.models.reconcile import CiMatch

    now = utcnow()
    with database.write() as session:
        session.execute(insert(Asset), [{"id": n, "hostname": name, "serial": f"SN{n}", "last_seen_at": now,
                                         "first_seen_at": now, "software_count": 0}
                                        for n, name in ((1, "lt-anna"), (2, "srv-db"), (3, "ws-guest"), (4, "lt-new"))])
        session.execute(insert(ConfigurationItem), [
            {"id": 10, "asset_tag": "AT-10", "ci_class": "computer", "status": "deployed", "location": "London HQ"},
            {"id": 20, "asset_tag": "AT-20", "ci_class": "server", "status": "retired", "location": "Paris DC"}])
        session.execute(insert(CiMatch), [
            {"subject_type": "asset", "subject_id": 1, "ci_id": 10, "outcome": "matched", "explanation": "x"},
            {"subject_type": "asset", "subject_id": 2, "ci_id": 20, "outcome": "matched", "explanation": "x"},
            {"subject_type": "asset", "subject_id": 3, "ci_id": None, "outcome": "unmanaged", "explanation": "x"}])
        session.add(Device(mac="00:00:5e:00:53:02", asset_id=2, found_by=["arp"]))
    cases = {RegisterFilters(ci_class="computer"): [1], RegisterFilters(status="retired"): [2],
             RegisterFilters(status="unregistered"): [4, 3], RegisterFilters(ci_class="unregistered", q="guest"): [3],
             RegisterFilters(location="paris"): [2], RegisterFilters(q="AT-10"): [1], RegisterFilters(q="sn2"): [2],
             RegisterFilters(q="lt-"): [1, 4], RegisterFilters(source="network"): [2],
             RegisterFilters(ci_class="computer", status="retired"): []}
    with database.session() as session:
        for filters, expected in cases.items():
            page = register_page(session, filters, 10)
            assert ([row.id for row in page.rows], page.total) == (expected, len(expected)), filters


def test_the_agents_page_shows_reports_an_agent_set_aside(client, database, users, login, make_agent):
    agent = make_agent()
    response = client.post("/api/v1/checkin", headers=agent.headers, json={"spool_depth": 4, "spool_rejected": 2})
    assert response.status_code == 200
    login("admin")
    page = client.get("/admin/agents").get_data(as_text=True)
    assert "4 (2 rejected)" in page
