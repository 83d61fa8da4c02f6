"""bench/sam.py's generator at small scale: the titles, the fleet, and what the loader stores.

The benchmark's figures are only as good as its data: distinct titles keyed as ingest keys
them, every title installed somewhere, the licensable families at their shares, and on both
backends the rows, keys and indexes a real database would have (the PostgreSQL loader drops
and rebuilds ``asset_software``'s keys around its COPY).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter
from datetime import datetime, timezone

import orjson
import pytest

from bench.sam_fleet import build_catalogue, build_fleet
from collector.ingest.software import software_key

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def fleet():
    return build_fleet(build_catalogue(3000, 150, 60), 400, 150, NOW)


def test_titles_are_distinct_catalogue_keys_and_the_new_ones_are_not_among_them(fleet):
    titles = fleet.catalogue.titles
    keys = {software_key(t.identity) for t in titles}
    assert len(titles) == 3000 and len(keys) == 3000
    assert len(fleet.catalogue.new) == 60
    assert not keys & {software_key(t.identity) for t in fleet.catalogue.new}
    names = {t.name for t in titles}
    assert {"Microsoft Office Professional Plus 2019 - en-us", "Microsoft SQL Server 2019 (64-bit)",
            "Adobe Acrobat DC (64-bit)", "Java 8 Update 381", "Zoom Workplace (64-bit)"} <= names
    assert {"dpkg", "rpm", "msi", "registry", "pkg", "pkg-receipt"} <= {t.source for t in titles}


def test_every_host_has_its_installs_and_every_title_a_host(fleet):
    sizes = [len(ids) for ids in fleet.installs]
    assert min(sizes) >= 150 and sum(sizes) < 400 * 150 * 1.05
    installed = set().union(*map(set, fleet.installs))
    assert installed == set(range(1, len(fleet.catalogue.titles) + 1))
    for host, ids in zip(fleet.hosts, fleet.installs):
        assert len(set(ids)) == len(ids), "a host links a title once"
        assert {fleet.catalogue.titles[i - 1].platform for i in ids} == {host.platform}


def test_families_follow_their_shares_and_platforms(fleet):
    workstations = [h for h in fleet.hosts if h.role == "win_ws"]
    office = sum("office" in h.families for h in workstations) / len(workstations)
    assert 0.8 < office < 0.97
    sql_hosts = [h for h in fleet.hosts if "sql_server" in h.families]
    assert sql_hosts and all(h.platform == "windows" for h in sql_hosts)
    vms = sum(h.vm for h in fleet.hosts) / len(fleet.hosts)
    assert 0.1 < vms < 0.3
    assert all(h.vendor == "VMware, Inc." for h in fleet.hosts if h.vm)
    users = Counter(h.primary_user for h in fleet.hosts if h.primary_user and h.primary_user != "Administrator")
    assert any(count > 1 for count in users.values()), "some users have two devices (named-user licences)"


@pytest.mark.postgresql_pass
def test_the_loader_stores_the_fleet_with_keys_indexes_and_sequences(fleet, tmp_path, monkeypatch):
    import bench.harness
    from sqlalchemy import func, select

    from bench.sam_load import link_new_titles, load_fleet
    from collector.db import Database
    from collector.models import AssetSoftware, CiMatch, Observation, Software
    from collector.models.cmdb import CiRelationship, ConfigurationItem

    kind = os.environ.get("STOCKTAKE_TEST_DB", "sqlite")
    monkeypatch.setattr(bench.harness, "PG_URL", os.environ.get("STOCKTAKE_TEST_PG_URL", bench.harness.PG_URL))
    url, drop = bench.harness.prepare_database(kind, tmp_path)
    db = Database(url)
    try:
        load_fleet(db, fleet, NOW)
        with db.write() as session:
            assert session.scalar(select(func.count()).select_from(AssetSoftware)) == sum(map(len, fleet.installs))
            assert session.scalar(select(func.count()).select_from(Software)) == len(fleet.catalogue.titles)
            stored = session.scalar(select(Software.key).where(Software.id == 1))
            assert stored == software_key(fleet.catalogue.titles[0].identity)
            outcomes = dict(session.execute(select(CiMatch.outcome, func.count()).group_by(CiMatch.outcome)).all())
            assert outcomes["matched"] > 0.9 * len(fleet.hosts) and sum(outcomes.values()) == len(fleet.hosts)
            vm_classes = session.scalars(select(ConfigurationItem.ci_class).join(
                CiRelationship, CiRelationship.ci_id == ConfigurationItem.id).where(CiRelationship.kind == "runs_on"))
            assert set(vm_classes) == {"virtual_machine"}
            host, family = next((h, f) for h, f in zip(fleet.hosts, fleet.family_installs) if f)
            dates = dict(session.execute(select(AssetSoftware.software_id, AssetSoftware.first_seen_at)
                                         .where(AssetSoftware.asset_id == host.id)).all())
            assert min(dates[s] for s in family) > host.first_seen_at == max(d for s, d in dates.items() if s not in family)
            payload = session.scalar(select(Observation.payload).where(Observation.asset_id == fleet.hosts[0].id))
            assert orjson.loads(zlib.decompress(payload, wbits=47))["usage"] == fleet.hosts[0].usage
            linked = link_new_titles(session, fleet.catalogue.new, fleet.hosts, NOW)  # ids must not collide
            assert linked == sum(min(20, sum(h.platform == t.platform for h in fleet.hosts)) for t in fleet.catalogue.new)
            assert session.scalar(select(func.min(Software.id)).where(Software.first_seen_at == NOW)) > len(fleet.catalogue.titles)
        with db.engine.connect() as connection:
            assert _asset_software_indexes(connection, kind) >= {"ix_asset_software_software_id"}
            if kind == "postgresql":
                constraints = {row[0] for row in connection.exec_driver_sql(
                    "SELECT conname FROM pg_constraint WHERE conrelid = 'asset_software'::regclass")}
                assert constraints == {"pk_asset_software"}  # what migration 0030 leaves, restored after the load
    finally:
        db.dispose()
        drop()


def _asset_software_indexes(connection, kind: str) -> set[str]:
    if kind == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'asset_software'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'asset_software'"
    return {row[0] for row in connection.exec_driver_sql(sql)}
