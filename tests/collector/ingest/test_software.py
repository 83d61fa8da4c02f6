"""The software link diff: set difference, install-date updates, shared catalogue."""

from datetime import datetime, timezone

from sqlalchemy import func, select

from collector.ingest.software import sync_asset_software
from collector.models import Agent, Asset, AssetSoftware, Observation, Software
from common.schema import SoftwareItem

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
INSTALLED = datetime(2025, 5, 20, 8, 30, 15, 123456, tzinfo=timezone.utc)


def _asset(session, n: int) -> tuple[int, int]:
    session.add(Agent(id=f"agent-{n}", node_key_hash=f"{n:064d}", hostname=f"h{n}", reports_dropped=0))
    asset = Asset(agent_id=f"agent-{n}", hostname=f"h{n}", first_seen_at=NOW, last_seen_at=NOW)
    session.add(asset)
    session.flush()
    observation = Observation(source="agent", kind="inventory", agent_id=f"agent-{n}", asset_id=asset.id, schema_version=1,
                              content_hash="x", report_id=f"r{n}", collected_at=NOW, last_report_id=f"r{n}",
                              last_collected_at=NOW, report_count=1)
    session.add(observation)
    session.flush()
    return asset.id, observation.id


def _items(count: int, installed=INSTALLED) -> list[SoftwareItem]:
    return [SoftwareItem(name=f"pkg{i}", version="1.0", source="dpkg", install_date=installed) for i in range(count)]


def test_same_packages_and_dates_change_nothing(database):
    with database.write() as session:
        asset_id, observation_id = _asset(session, 1)
        first = sync_asset_software(session, asset_id, _items(10), observation_id, NOW, is_new_asset=True)
    with database.write() as session:
        again = sync_asset_software(session, asset_id, _items(10), observation_id, NOW)
    assert (first.added, first.total) == (10, 10)
    assert (again.added, again.removed, again.updated) == (0, 0, 0)


def test_a_new_install_date_is_updated_in_place(database):
    items = _items(3)
    with database.write() as session:
        asset_id, observation_id = _asset(session, 2)
        sync_asset_software(session, asset_id, items, observation_id, NOW, is_new_asset=True)
    reinstalled = NOW.replace(microsecond=0)
    items[1] = items[1].model_copy(update={"install_date": reinstalled})
    with database.write() as session:
        diff = sync_asset_software(session, asset_id, items, observation_id, NOW)
    assert (diff.added, diff.removed, diff.updated) == (0, 0, 1)
    with database.session() as session:
        dates = sorted(session.scalars(select(AssetSoftware.install_date)))
    assert dates == sorted([INSTALLED, INSTALLED, reinstalled])


def test_catalogue_entries_are_shared_between_assets(database):
    with database.write() as session:
        first_asset, first_observation = _asset(session, 3)
        second_asset, second_observation = _asset(session, 4)
        sync_asset_software(session, first_asset, _items(5), first_observation, NOW, is_new_asset=True)
        sync_asset_software(session, second_asset, _items(7), second_observation, NOW, is_new_asset=True)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Software)) == 7
        assert session.scalar(select(func.count()).select_from(AssetSoftware)) == 12
