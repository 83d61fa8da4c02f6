"""Every state-changing action, done through its real path (web form, API call, CLI command),
leaves exactly one audit entry naming who did what to which object, with readable details and
no secret (token, enrollment secret, node key, password, SNMP community) anywhere in it.

Each case is (path, action, perform, expected actor, target and details); ``perform`` gets a
:class:`Harness` and returns the secrets the action handled, which the entry must not hold.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from collector.access.audit_details import detail_items
from collector.models import AuditLogEntry
from tests.collector.web.conftest import PASSWORD, fast_passwords, login, users  # noqa: F401 - fixtures

CLI_USER = "ops-tester"
REGISTER = (b"Asset Tag,Name,Class,Status,Serial Number,Hostname\n"
            b"AT-0001,Alpha,Server,Deployed,SER-0001,alpha-1\nAT-0002,Beta,Server,Deployed,SER-0002,beta-2\n")
COMMUNITY = "c0mmunity-Secret-77"
PROFILE = {"name": "lab", "ranges": ["198.18.0.0/24"], "interface": "eth0", "interval_s": 900,
           "credentials": [{"version": "2c", "community": COMMUNITY}]}
NEW_PASSWORD = "another long passphrase 1203"


@dataclass
class Harness:
    client: object
    database: object
    make_agent: Callable
    make_token: Callable
    login: Callable
    cli_env: dict
    tmp_path: object
    csrf: str | None = None

    def web(self, role: str = "admin") -> str:
        self.csrf = self.csrf or self.login(role)
        return self.csrf

    def post_form(self, path: str, **form):
        response = self.client.post(path, data={**form, "csrf_token": self.web()})
        assert response.status_code in (200, 201, 303), response.get_data(as_text=True)[:500]
        return response

    def api(self, method: str, path: str, role: str = "admin", **kwargs):
        headers = self.make_token(role)
        response = getattr(self.client, method)(path, headers=headers, **kwargs)
        assert response.status_code in (200, 201, 204), response.get_data(as_text=True)[:500]
        return response, headers["Authorization"].split()[1]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        from collector.cli import main

        result = CliRunner().invoke(main, list(args), env=self.cli_env, input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def service(self, fn):
        with self.database.write() as session:
            return fn(session)


# --- what each case does ---------------------------------------------------------------------------

def _secret_in(text: str) -> str:
    return re.search(r"stke_[A-Za-z0-9_-]+", text).group(0)


def web_secret_create(h: Harness):
    return [_secret_in(h.post_form("/admin/enrollment-secrets", name="site-web", max_uses="5").get_data(as_text=True))]


def web_secret_revoke(h: Harness):
    from collector.access.enrollment import create_enrollment_secret
    from collector.models import EnrollmentSecret

    secret = h.service(lambda s: create_enrollment_secret(s, "site-web")).secret
    with h.database.session() as session:
        secret_id = session.scalar(select(EnrollmentSecret.id).where(EnrollmentSecret.name == "site-web"))
    h.mark()
    h.post_form(f"/admin/enrollment-secrets/{secret_id}/revoke")
    return [secret]


def web_agent_revoke(h: Harness):
    agent = h.make_agent("web-victim")
    h.mark()
    h.post_form(f"/admin/agents/{agent.agent_id}/revoke")
    h.expected_target = f"agent {agent.agent_id}"
    return [agent.node_key]


def web_reconciliation_run(h: Harness):
    h.post_form("/reconciliation/run")
    return []


def web_user_create(h: Harness):
    h.post_form("/admin/users", username="newbie", role="operator", password=NEW_PASSWORD)
    return [NEW_PASSWORD]


def web_user_role(h: Harness):
    user_id = _user_id(h, "auditor")
    h.post_form(f"/admin/users/{user_id}/role", role="operator")
    return []


def web_user_password(h: Harness):
    h.post_form(f"/admin/users/{_user_id(h, 'operator')}/password", password=NEW_PASSWORD)
    return [NEW_PASSWORD, PASSWORD]


def _user_id(h: Harness, username: str) -> int:
    from collector.models import User

    h.web()
    with h.database.session() as session:
        return session.scalar(select(User.id).where(User.username == username))


def api_cmdb_import(h: Harness):
    h.api("post", "/api/v1/cis/import", role="operator", content_type="multipart/form-data",
          data={"file": (io.BytesIO(REGISTER), "register-2026.csv")})
    return []


def api_reconciliation_run(h: Harness):
    _, token = h.api("post", "/api/v1/reconciliation/runs", role="operator")
    return [token]


def api_enroll(h: Harness):
    from collector.access.enrollment import create_enrollment_secret

    secret = h.service(lambda s: create_enrollment_secret(s, "fleet-api")).secret
    h.mark()
    response = h.client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "new-box"})
    assert response.status_code == 201, response.get_json()
    return [secret, response.get_json()["node_key"]]


def _with_credentials_key(h: Harness) -> None:
    app = h.client.application
    config = app.extensions["stocktake"]["config"]
    if not config.credentials_key:
        app.extensions["stocktake"]["config"] = replace(config, credentials_key=Fernet.generate_key().decode())


def api_scan_profile_create(h: Harness):
    _with_credentials_key(h)
    h.mark()
    _, token = h.api("post", "/api/v1/scan-profiles", json=PROFILE)
    return [COMMUNITY, token]


def api_scan_profile_change(h: Harness):
    _with_credentials_key(h)
    created, _ = h.api("post", "/api/v1/scan-profiles", json=PROFILE)
    h.mark()
    profile_id = created.get_json()["id"]
    h.api("patch", f"/api/v1/scan-profiles/{profile_id}", json={"interval_s": 1800,
                                                                 "credentials": [{"version": "2c", "community": "x-" + COMMUNITY}]})
    return [COMMUNITY, "x-" + COMMUNITY]


def api_scan_profile_assign(h: Harness):
    _with_credentials_key(h)
    agent = h.make_agent("scanner-1")
    created, _ = h.api("post", "/api/v1/scan-profiles", json=PROFILE)
    h.mark()
    h.api("put", f"/api/v1/scan-profiles/{created.get_json()['id']}/agents", json={"agents": [agent.agent_id]})
    return [COMMUNITY, agent.node_key]


def api_scan_profile_delete(h: Harness):
    _with_credentials_key(h)
    created, _ = h.api("post", "/api/v1/scan-profiles", json=PROFILE)
    h.mark()
    h.api("delete", f"/api/v1/scan-profiles/{created.get_json()['id']}")
    return [COMMUNITY]


def cli_secret_create(h: Harness):
    return [h.cli("enroll-secret", "create", "--name", "site-cli", "--quiet").strip()]


def cli_secret_revoke(h: Harness):
    secret = h.cli("enroll-secret", "create", "--name", "site-cli", "--quiet").strip()
    h.mark()
    h.cli("enroll-secret", "revoke", "site-cli")
    return [secret]


def cli_token_create(h: Harness):
    return [h.cli("api-token", "create", "--name", "ci-bot", "--role", "operator", "--quiet").strip()]


def cli_token_revoke(h: Harness):
    token = h.cli("api-token", "create", "--name", "ci-bot", "--quiet").strip()
    h.mark()
    h.cli("api-token", "revoke", "ci-bot")
    return [token]


def cli_agent_revoke(h: Harness):
    agent = h.make_agent("cli-victim")
    h.mark()
    h.cli("agent", "revoke", agent.agent_id)
    return [agent.node_key]


def cli_cmdb_import(h: Harness):
    path = h.tmp_path / "register-cli.csv"
    path.write_bytes(REGISTER)
    h.cli("cmdb", "import", str(path))
    return []


def cli_reconcile(h: Harness):
    h.cli("reconcile")
    return []


def cli_scan_profile_create(h: Harness):
    h.cli_env["STOCKTAKE_CREDENTIALS_KEY"] = Fernet.generate_key().decode()
    credentials = h.tmp_path / "snmp.toml"
    credentials.write_text(f'[[credential]]\nversion = "2c"\ncommunity = "{COMMUNITY}"\n')
    h.cli("scan-profile", "create", "--name", "cli-lab", "--range", "198.18.2.0/24", "--interface", "eth1",
          "--credentials-file", str(credentials))
    return [COMMUNITY]


def cli_scan_profile_delete(h: Harness):
    h.cli("scan-profile", "create", "--name", "cli-lab", "--range", "198.18.2.0/24", "--interface", "eth1")
    h.mark()
    h.cli("scan-profile", "delete", "cli-lab")
    return []


def cli_user_create(h: Harness):
    h.cli("user", "create", "clerk", "--role", "auditor", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    return [NEW_PASSWORD]


# --- the table -----------------------------------------------------------------------------------------

TOKEN, CLI, ADMIN = re.compile(r"token:(admin|operator)-[0-9a-f]{8}"), f"cli:{CLI_USER}", "admin"
CASES = [
    # id, perform, action, actor, target (str, regex or None: set by the case), details that must be there
    ("web-secret-create", web_secret_create, "enroll_secret_created", ADMIN, "enroll_secret site-web",
     {"max_uses": 5}),
    ("web-secret-revoke", web_secret_revoke, "enroll_secret_revoked", ADMIN, "enroll_secret site-web",
     {"already_revoked": False}),
    ("web-agent-revoke", web_agent_revoke, "agent_revoked", ADMIN, None, {"hostname": "web-victim"}),
    ("web-reconciliation", web_reconciliation_run, "reconciliation_run", ADMIN, re.compile(r"reconciliation_run \d+"),
     {"opened": 0}),
    ("web-user-create", web_user_create, "user_created", ADMIN, "newbie", {"role": "operator"}),
    ("web-user-role", web_user_role, "user_role_changed", ADMIN, "auditor", {"from": "auditor", "to": "operator"}),
    ("web-user-password", web_user_password, "password_set", ADMIN, "operator", {}),
    ("api-cmdb-import", api_cmdb_import, "cmdb_imported", TOKEN, re.compile(r"cmdb_import \d{8}T\d{6}Z-[0-9a-f]{8}"),
     {"file": "register-2026.csv", "rows": 2, "created": 2, "updated": 0, "format": "csv"}),
    ("api-reconciliation", api_reconciliation_run, "reconciliation_run", TOKEN,
     re.compile(r"reconciliation_run \d+"), {"resolved": 0}),
    ("api-enroll", api_enroll, "agent_enrolled", "enroll_secret:fleet-api", re.compile(r"agent [0-9a-f-]{36}"),
     {"hostname": "new-box", "reenrolled": False}),
    ("api-scan-profile-create", api_scan_profile_create, "scan_profile_created", TOKEN,
     re.compile(r"scan_profile \d+"), {"after": {"name": "lab"}}),
    ("api-scan-profile-change", api_scan_profile_change, "scan_profile_changed", TOKEN,
     re.compile(r"scan_profile \d+"), {"before": {"interval_s": 900}, "after": {"interval_s": 1800},
                                      "credentials_replaced": True}),
    ("api-scan-profile-assign", api_scan_profile_assign, "scan_profile_assigned", TOKEN,
     re.compile(r"scan_profile \d+"), {"from": [], "name": "lab"}),
    ("api-scan-profile-delete", api_scan_profile_delete, "scan_profile_deleted", TOKEN,
     re.compile(r"scan_profile \d+"), {"after": None, "before": {"name": "lab"}}),
    ("cli-secret-create", cli_secret_create, "enroll_secret_created", CLI, "enroll_secret site-cli",
     {"max_uses": None}),
    ("cli-secret-revoke", cli_secret_revoke, "enroll_secret_revoked", CLI, "enroll_secret site-cli", {"uses": 0}),
    ("cli-token-create", cli_token_create, "api_token_created", CLI, "api_token ci-bot", {"role": "operator"}),
    ("cli-token-revoke", cli_token_revoke, "api_token_revoked", CLI, "api_token ci-bot", {"role": "auditor"}),
    ("cli-agent-revoke", cli_agent_revoke, "agent_revoked", CLI, re.compile(r"agent [0-9a-f-]{36}"),
     {"hostname": "cli-victim"}),
    ("cli-cmdb-import", cli_cmdb_import, "cmdb_imported", CLI, re.compile(r"cmdb_import \S+"),
     {"file": "register-cli.csv", "rows": 2, "created": 2}),
    ("cli-reconcile", cli_reconcile, "reconciliation_run", CLI, re.compile(r"reconciliation_run \d+"), {}),
    ("cli-scan-profile-create", cli_scan_profile_create, "scan_profile_created", CLI, re.compile(r"scan_profile \d+"),
     {"after": {"name": "cli-lab", "interface": "eth1"}}),
    ("cli-scan-profile-delete", cli_scan_profile_delete, "scan_profile_deleted", CLI, re.compile(r"scan_profile \d+"),
     {"before": {"name": "cli-lab"}}),
    ("cli-user-create", cli_user_create, "user_created", CLI, "clerk", {"role": "auditor"}),
]


@pytest.fixture
def harness(client, database, make_agent, make_token, login, users, db_url, tmp_path):
    env = {"STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path / "cli"), "STOCKTAKE_CONFIG": None,
           "STOCKTAKE_LOG_LEVEL": "WARNING", "USER": CLI_USER, "LOGNAME": CLI_USER}
    return Harness(client, database, make_agent, make_token, login, env, tmp_path)


def _last_id(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.coalesce(func.max(AuditLogEntry.id), 0)))


def _matches(expected, actual) -> bool:
    if expected is None:
        return True
    return bool(expected.fullmatch(actual or "")) if isinstance(expected, re.Pattern) else expected == actual


def _contains(expected: dict, actual: dict) -> bool:
    """Every expected key is in ``actual`` with that value (dicts compared key by key)."""
    for key, value in expected.items():
        if key not in actual:
            return False
        if isinstance(value, dict) and isinstance(actual[key], dict):
            if not _contains(value, actual[key]):
                return False
        elif actual[key] != value:
            return False
    return True


@pytest.mark.parametrize(("perform", "action", "actor", "target", "detail"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_mutating_action_writes_one_readable_audit_entry_without_secrets(harness, database, perform, action,
                                                                             actor, target, detail):
    marks = []
    harness.mark = lambda: marks.append(_last_id(database))
    harness.expected_target = None
    harness.mark()
    secrets = perform(harness)
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).where(AuditLogEntry.id > marks[-1], AuditLogEntry.action == action)
                                  .order_by(AuditLogEntry.id)).all()
    assert len(entries) == 1, [(e.action, e.target) for e in entries]
    entry = entries[0]
    assert _matches(actor, entry.actor), entry.actor
    assert _matches(target, entry.target) and _matches(harness.expected_target, entry.target), entry.target
    assert _contains(detail, entry.detail), entry.detail
    stored = json.dumps({"actor": entry.actor, "target": entry.target, "detail": entry.detail, "client": entry.client})
    for secret in secrets:
        assert secret and secret not in stored, f"{action} stored a secret"
    for label, text in detail_items(entry.detail):  # readable: no Python or JSON structures leak through
        assert not re.search(r"[{}\[\]]|None|True|False|'", label + text), (label, text)


def test_every_case_in_the_table_is_a_distinct_path_and_action():
    """The table covers web, API and CLI, and no case is listed twice."""
    ids = [case[0] for case in CASES]
    assert len(set(ids)) == len(ids)
    assert {case_id.split("-")[0] for case_id in ids} == {"web", "api", "cli"}
    names = {case[2] for case in CASES}
    assert {"cmdb_imported", "api_token_created", "api_token_revoked", "enroll_secret_created",
            "enroll_secret_revoked", "agent_enrolled", "agent_revoked", "reconciliation_run",
            "scan_profile_created", "scan_profile_changed", "scan_profile_deleted"} <= names


def test_a_rejected_import_and_a_dry_run_write_no_entry(harness, database):
    harness.mark = lambda: None
    before = _last_id(database)
    bad = b"Asset Tag,Purchase Date\nAT-1,not a date\n"
    for query, data in (("?dry_run=true", REGISTER), ("", bad)):
        response = harness.client.post(f"/api/v1/cis/import{query}", headers=harness.make_token("operator"),
                                       content_type="multipart/form-data", data={"file": (io.BytesIO(data), "r.csv")})
        assert response.status_code in (200, 422)
    with database.session() as session:
        actions = session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.id > before)).all()
    assert "cmdb_imported" not in actions and actions.count("api_token_created") == 2


def test_the_cli_actor_is_the_login_name(harness, database):
    harness.cli("api-token", "create", "--name", f"t-{uuid.uuid4().hex[:6]}", "--quiet")
    with database.session() as session:
        entry = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(1)).one()
    assert (entry.actor, entry.client, entry.actor_id) == (CLI, "cli", None)


def test_cli_verification_prints_the_entry_count_and_head_hash(harness, database):
    harness.cli("api-token", "create", "--name", "head-check", "--quiet")
    with database.session() as session:
        head = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(1)).one()
    output = harness.cli("user", "verify-audit-log")
    assert f"audit log intact: {head.id} entries; head entry {head.id}, hash {head.row_hash}" in output
