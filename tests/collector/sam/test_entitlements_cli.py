"""``stocktake-collector sam entitlements``, run as a user would (subprocess, real database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collector.models import AuditLogEntry
from collector.models.sam import SamEntitlement
from tests.collector.sam.entitlement_factories import add_products

SAMPLE = Path(__file__).resolve().parents[3] / "config" / "sample-entitlements.csv"


@pytest.fixture
def run_cli(db_url, database, tmp_path):
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path), "USER": "carol"}
    env.pop("STOCKTAKE_CONFIG", None)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "collector.cli", "sam", "entitlements", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    return run


def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(SamEntitlement))


def test_add_list_delete(run_cli, database):
    add_products(database)
    added = run_cli("add", "--publisher", "Microsoft", "--product", "SQL Server", "--edition", "Enterprise",
                    "--metric", "processor_core", "--quantity", "16", "--min-cores-per-vm", "4")
    assert added.returncode == 0, added.stderr
    entitlement_id = int(added.stdout.split()[1])
    listed = run_cli("list", "--json")
    items = json.loads(listed.stdout)["items"]
    assert [(i["id"], i["quantity"], i["min_cores_per_vm"], i["core_factor"]) for i in items] == [
        (entitlement_id, 16, 4, "1")]
    assert "Microsoft SQL Server Enterprise" in run_cli("list").stdout
    assert run_cli("delete", str(entitlement_id)).returncode == 0
    gone = run_cli("delete", str(entitlement_id))
    assert gone.returncode == 1 and f"no entitlement with id {entitlement_id}" in gone.stderr
    with database.session() as session:
        actors = set(session.scalars(select(AuditLogEntry.actor)))
        assert actors == {"cli:carol"}


def test_a_refused_add_prints_every_field_and_stores_nothing(run_cli, database):
    add_products(database)
    refused = run_cli("add", "--publisher", "Microsoft", "--product", "Office", "--edition", "Standard",
                      "--metric", "device", "--quantity", "-4", "--term", "subscription", "--start-date", "2026-05-01",
                      "--end-date", "2026-04-01")
    assert refused.returncode == 1
    assert "  quantity: cannot be negative (-4)" in refused.stderr
    assert "  end_date: end before start: 2026-04-01 is before the start date 2026-05-01" in refused.stderr
    assert _count(database) == 0


def test_import_dry_run_bad_file_and_real_import(run_cli, database, tmp_path):
    add_products(database)
    dry = run_cli("import", str(SAMPLE), "--dry-run")
    assert dry.returncode == 0 and "6 entitlements would be imported" in dry.stdout
    assert _count(database) == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(SAMPLE.read_bytes().replace(b"Java SE,,named_user,25", b"Java SE,,per_seat,25"))
    rejected = run_cli("import", str(bad))
    assert rejected.returncode == 2
    assert "row 3, metric: unknown metric 'per_seat'" in rejected.stderr and _count(database) == 0
    done = run_cli("import", str(SAMPLE))
    assert done.returncode == 0 and "imported 6 entitlements" in done.stdout and _count(database) == 6
