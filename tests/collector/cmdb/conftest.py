"""Fixtures for CMDB import/export tests: run an import, build XLSX files, snapshot the CMDB."""

from __future__ import annotations

import os
import subprocess
import sys

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def run_import(database):
    """Import CSV text or bytes (or XLSX bytes with fmt="xlsx") in one write transaction."""
    from collector.cmdb.importing import import_cis

    def run(data, fmt: str = "csv", **options):
        if isinstance(data, str):
            data = data.encode("utf-8")
        with database.write() as session:
            return import_cis(session, data, fmt, now=options.pop("now", NOW), **options)

    return run


@pytest.fixture
def cmdb_state(database):
    """Every CI, MAC and relationship as plain tuples: equal snapshots mean nothing was written."""
    from collector.models.cmdb import CiMac, CiRelationship, ConfigurationItem

    def snapshot() -> tuple:
        with database.session() as session:
            cis = [tuple(getattr(ci, c.key) for c in ConfigurationItem.__table__.columns)
                   for ci in session.scalars(select(ConfigurationItem).order_by(ConfigurationItem.id))]
            macs = session.execute(select(CiMac.ci_id, CiMac.mac).order_by(CiMac.id)).all()
            links = session.execute(select(CiRelationship.ci_id, CiRelationship.kind, CiRelationship.target_ci_id,
                                           CiRelationship.target).order_by(CiRelationship.id)).all()
        return cis, macs, links

    return snapshot


@pytest.fixture
def ci(database):
    """The CI with an asset tag, with its MACs and register relationships (kind -> (target tag, port))."""
    from collector.models.cmdb import CiMac, CiRelationship, ConfigurationItem

    def get(tag: str):
        with database.session() as session:
            item = session.scalar(select(ConfigurationItem).where(ConfigurationItem.asset_tag == tag))
            assert item is not None, f"no CI {tag}"
            macs = list(session.scalars(select(CiMac.mac).where(CiMac.ci_id == item.id).order_by(CiMac.mac)))
            links = {}
            for rel in session.scalars(select(CiRelationship).where(CiRelationship.ci_id == item.id)):
                target = session.get(ConfigurationItem, rel.target_ci_id)
                links[rel.kind] = (target.asset_tag, rel.target)
            return item, macs, links

    return get


@pytest.fixture
def cmdb_cli(db_url, database, tmp_path):
    """`stocktake-collector cmdb ...` run as a user would: a subprocess on the test database."""
    env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path)}
    env.pop("STOCKTAKE_CONFIG", None)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "collector.cli", "cmdb", *args], env=env, capture_output=True,
                              text=True, timeout=120)

    return run
