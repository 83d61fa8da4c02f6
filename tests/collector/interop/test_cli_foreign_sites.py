"""stocktake-collector foreign-sites create|list|revoke, run as an admin would (subprocess, real database)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run_cli(db_url, database, tmp_path):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path),
           "STOCKTAKE_PUBLIC_URL": "https://stocktake.example.org/"}
    env.pop("STOCKTAKE_CONFIG", None)

    def run(*args, check=True):
        result = subprocess.run([sys.executable, "-m", "collector.cli", *args], env=env, capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}: {result.stderr}")
        return result

    return run


def test_create_prints_the_secret_once_with_both_agent_config_forms(run_cli, database):
    from sqlalchemy import select

    from collector.access.foreign_sites import find_site_by_secret
    from collector.models import AuditLogEntry

    out = run_cli("foreign-sites", "create", "paris").stdout
    secret = out.splitlines()[1]
    assert secret.startswith("stkf_")
    for path in ("ocsinventory", "glpi"):
        assert f"server=https://stocktake.example.org/{path}/{secret}" in out
        assert f"server=https://stocktake.example.org/{path}\n" in out
    assert f"password={secret}" in out and "realm=Stocktake" in out and "user=paris" in out
    with database.autocommit() as connection:
        assert find_site_by_secret(connection, secret)[1] == "paris"
    listing = run_cli("foreign-sites", "list").stdout
    assert "paris" in listing and "active" in listing and secret not in listing
    run_cli("foreign-sites", "revoke", "paris")
    assert "revoked" in run_cli("foreign-sites", "list").stdout
    with database.autocommit() as connection:
        assert find_site_by_secret(connection, secret) is None
    with database.session() as session:
        entries = session.execute(select(AuditLogEntry.action, AuditLogEntry.actor).order_by(AuditLogEntry.id)).all()
        details = " ".join(str(d) for d in session.scalars(select(AuditLogEntry.detail)))
    assert [action for action, _ in entries] == ["foreign_site_created", "foreign_site_revoked"]
    assert all(actor.startswith("cli:") for _, actor in entries) and secret not in details


def test_bad_duplicate_and_unknown_names_fail_with_a_message(run_cli):
    run_cli("foreign-sites", "create", "dup")
    again = run_cli("foreign-sites", "create", "dup", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert run_cli("foreign-sites", "create", "a/b", check=False).returncode == 1
    missing = run_cli("foreign-sites", "revoke", "nope", check=False)
    assert missing.returncode == 1 and "no foreign-agent site named 'nope'" in missing.stderr
