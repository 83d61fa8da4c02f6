"""stocktake-collector commands, run as a user would (subprocess, real database)."""

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run_cli(db_url, database, tmp_path):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path)}
    env.pop("STOCKTAKE_CONFIG", None)

    def run(*args, check=True):
        result = subprocess.run([sys.executable, "-m", "collector.cli", *args], env=env, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}: {result.stderr}")
        return result

    return run


def test_help_needs_no_config_and_imports_no_heavy_module(tmp_path):
    env = {**os.environ, "STOCKTAKE_CONFIG": str(tmp_path / "missing.toml")}
    probe = (
        "import sys\n"
        "from collector.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print('HEAVY', sorted(m for m in ('flask', 'sqlalchemy', 'pydantic', 'alembic') if m in sys.modules), code)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=30)
    assert "enroll-secret" in result.stdout and "api-token" in result.stdout
    assert "HEAVY [] 0" in result.stdout, result.stdout + result.stderr


def test_enroll_secret_lifecycle_never_prints_the_hash(run_cli):
    created = run_cli("enroll-secret", "create", "--name", "site-a", "--max-uses", "3")
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("stke_")
    listing = run_cli("enroll-secret", "list").stdout
    assert "site-a" in listing and "active" in listing and "0/3" in listing
    assert secret not in listing
    run_cli("enroll-secret", "revoke", "site-a")
    assert "revoked" in run_cli("enroll-secret", "list").stdout


def test_duplicate_and_unknown_names_fail_with_a_message(run_cli):
    run_cli("enroll-secret", "create", "--name", "dup", "--quiet")
    again = run_cli("enroll-secret", "create", "--name", "dup", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    missing = run_cli("enroll-secret", "revoke", "nope", check=False)
    assert missing.returncode == 1 and "no enrollment secret named 'nope'" in missing.stderr
    bad = run_cli("api-token", "create", "--name", "t", "--role", "root", check=False)
    assert bad.returncode == 2 and "root" in bad.stderr


def test_api_token_and_db_commands(run_cli):
    token = run_cli("api-token", "create", "--name", "ci", "--role", "auditor", "--quiet").stdout.strip()
    assert token.startswith("stka_")
    assert "ci" in run_cli("api-token", "list").stdout
    assert "head" in run_cli("db", "current").stdout
    assert "database at revision" in run_cli("db", "upgrade").stdout


def test_bad_config_file_is_a_clear_error(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("max_body_bytes = -5\n")
    result = subprocess.run([sys.executable, "-m", "collector.cli", "--config", str(config), "enroll-secret", "list"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "max_body_bytes must be a positive integer" in result.stderr
