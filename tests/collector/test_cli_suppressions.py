"""stocktake-collector suppression add|list|delete, run as an admin would (subprocess, real database)."""

import json
from datetime import date, timedelta

from sqlalchemy import select

from collector.access.audit_log import verify_chain
from collector.models import AuditLogEntry
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture


def test_add_list_delete_and_the_audit_log(run_cli, database):
    expires = (date.today() + timedelta(days=60)).isoformat()
    added = run_cli("suppression", "add", "--mac-prefix", "00:1B:A9", "--kind", "unmanaged", "--reason",
                    "phones belong to telephony", "--owner", "telecom", "--expires", expires)
    assert added.stdout.startswith("added suppression rule 1;")
    listed = run_cli("suppression", "list").stdout
    assert "mac_prefix=00:1b:a9 kind=unmanaged" in listed and "telecom: phones belong to telephony" in listed
    assert json.loads(run_cli("suppression", "list", "--json").stdout)[0]["expires_at"].startswith(expires)
    assert "deleted suppression rule 1" in run_cli("suppression", "delete", "1").stdout
    assert run_cli("suppression", "list").stdout.strip() == "0 rule(s)"
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id)).all()
        assert [(e.action, e.client) for e in entries] == [("suppression_rule_added", "cli"),
                                                           ("suppression_rule_deleted", "cli")]
        assert verify_chain(session).ok


def test_bad_input_exits_1_naming_each_field(run_cli, database):
    bad = run_cli("suppression", "add", "--ip-range", "198.18.0.0/40", "--reason", "x", "--owner", "y",
                  "--expires", "2001-01-01", check=False)
    assert bad.returncode == 1
    assert "invalid suppression rule" in bad.stderr
    assert "ip_range: must be an IP network in CIDR form" in bad.stderr
    assert "expires_at: must be in the future" in bad.stderr
    missing = run_cli("suppression", "delete", "42", check=False)
    assert missing.returncode == 1 and "no suppression rule 42" in missing.stderr
    assert run_cli("suppression", "list").stdout.strip() == "0 rule(s)"
