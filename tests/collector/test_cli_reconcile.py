"""stocktake-collector reconcile / jobs, run as a user would (subprocess, real database)."""

import json

from tests.collector.reconcile.fleet import build_messy_fleet
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture


def test_reconcile_runs_and_prints_the_report(run_cli, database):
    with database.write() as session:
        build_messy_fleet(session)
    result = run_cli("reconcile", "--rows", "100", "--outcome", "unmanaged")
    assert "12 exceptions opened, 0 resolved in " in result.stdout and " ms" in result.stdout  # the measured duration
    assert "outcomes:        matched 63, unmanaged 3, duplicate 1" in result.stdout
    assert "open exceptions: unmanaged 3, missing 3, drift 3, duplicate 1, conflict 1, cloned_identity 1" in result.stdout
    unmanaged = [line for line in result.stdout.splitlines() if line.startswith("unmanaged ")]
    assert len(unmanaged) == 3 and any("vm-b" in line for line in unmanaged)
    again = run_cli("reconcile", "--json")
    assert json.loads(again.stdout)["open_exceptions"]["drift"] == 3


def test_dry_run_and_explain(run_cli, database):
    with database.write() as session:
        build_messy_fleet(session)
    dry = run_cli("reconcile", "--dry-run")
    assert dry.stdout.startswith("dry run (nothing written):") and "matched 63" in dry.stdout
    assert "no observation matches this CI" in run_cli("reconcile", "--explain", "LT-TYPO").stdout  # nothing written yet
    run_cli("reconcile")
    explained = run_cli("reconcile", "--explain", "LT-TYPO").stdout
    assert "by rule 3 (mac_overlap)" in explained and "serial: 5CG0123XZY (from agent" in explained
    assert "[open] drift:" in explained
    missing = run_cli("reconcile", "--explain", "NO-SUCH", check=False)
    assert missing.returncode == 1 and "no CI with asset tag or id 'NO-SUCH'" in missing.stderr


def test_a_bad_rules_file_is_a_clear_error(run_cli, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[outcomes]\nmissing_after_days = -1\n")
    config = tmp_path / "collector.toml"
    config.write_text(f'reconcile_rules_file = "{rules}"\n')
    result = run_cli("--config", str(config), "reconcile", check=False)
    assert result.returncode == 1
    assert "outcomes.missing_after_days must be a whole number from 1 to 3650" in result.stderr


def test_jobs_once_runs_a_full_reconciliation(run_cli, database):
    with database.write() as session:
        build_messy_fleet(session)
    run_cli("jobs", "--once")
    report = json.loads(run_cli("reconcile", "--dry-run", "--json").stdout)
    assert report["matched"] == 63
    from sqlalchemy import func, select

    from collector.models import ReconcileRun

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReconcileRun)) == 1
