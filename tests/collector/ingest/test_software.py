"""The software link diff: set difference, install-date updates, shared catalogue.

Each case runs both ways the collector diffs: against the stored links, and in memory
against the previous report's software list.
"""

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from collector.ingest.software import apply_software_delta, software_delta, sync_asset_software
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


def _raw(items):
    return [item.model_dump(mode="json", exclude_none=True) for item in items]


def _sync(session, asset_id, items, observation_id, mode, before=None):
    if mode == "previous-report" and before is not None:
        delta = software_delta(_raw(before), _raw(items))
        fresh = [items[i] for i in delta.fresh_indices]
        return apply_software_delta(session, asset_id, delta, fresh, observation_id, NOW)
    return sync_asset_software(session, asset_id, items, observation_id, NOW, is_new_asset=before is None)


MODES = ["stored-links", "previous-report"]


@pytest.mark.parametrize("mode", MODES)
def test_same_packages_and_dates_change_nothing(database, mode):
    with database.write() as session:
        asset_id, observation_id = _asset(session, 1)
        first = _sync(session, asset_id, _items(10), observation_id, mode)
    with database.write() as session:
        again = _sync(session, asset_id, _items(10), observation_id, mode, before=_items(10))
    assert first.added == 10
    assert (again.added, again.removed, again.updated) == (0, 0, 0)


@pytest.mark.parametrize("mode", MODES)
def test_added_removed_and_redated_packages(database, mode):
    before = _items(5)
    with database.write() as session:
        asset_id, observation_id = _asset(session, 2)
        _sync(session, asset_id, before, observation_id, mode)
    reinstalled = NOW.replace(microsecond=0)
    after = before[1:]  # pkg0 removed
    after[0] = after[0].model_copy(update={"install_date": reinstalled})  # pkg1 re-installed
    after.append(SoftwareItem(name="new", version="2", source="dpkg"))
    with database.write() as session:
        diff = _sync(session, asset_id, after, observation_id, mode, before=before)
    assert (diff.added, diff.removed, diff.updated) == (1, 1, 1)
    with database.session() as session:
        rows = session.execute(
            select(Software.name, AssetSoftware.install_date)
            .join(AssetSoftware, AssetSoftware.software_id == Software.id)
            .where(AssetSoftware.asset_id == asset_id)
        ).all()
    assert {name: date for name, date in rows} == {"pkg1": reinstalled, "pkg2": INSTALLED, "pkg3": INSTALLED,
                                                  "pkg4": INSTALLED, "new": None}


def test_catalogue_entries_are_shared_between_assets(database):
    with database.write() as session:
        first_asset, first_observation = _asset(session, 3)
        second_asset, second_observation = _asset(session, 4)
        _sync(session, first_asset, _items(5), first_observation, "stored-links")
        _sync(session, second_asset, _items(7), second_observation, "stored-links")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Software)) == 7
        assert session.scalar(select(func.count()).select_from(AssetSoftware)) == 12


def test_delta_compares_entries_as_sent_and_only_fresh_ones_need_validation():
    before = [{"name": "a", "version": "1", "source": "dpkg"}, {"name": "b", "version": "1", "source": "dpkg"}]
    after = [{"name": "a", "version": "1", "source": "dpkg"}, {"name": "b", "version": "2", "source": "dpkg"},
             {"name": "c", "source": "dpkg", "odd": ["unhashable"]}]
    delta = software_delta(before, after)
    assert delta.fresh_indices == [1, 2]
    assert delta.vanished == [{"name": "b", "version": "1", "source": "dpkg"}]


@pytest.mark.parametrize("mode", MODES)
def test_duplicate_entries_in_a_report_link_once(database, mode):
    with database.write() as session:
        asset_id, observation_id = _asset(session, 5)
        _sync(session, asset_id, _items(2), observation_id, mode)
    doubled = _items(2) + [SoftwareItem(name="pkg9", version="1.0", source="dpkg")] * 2
    with database.write() as session:
        diff = _sync(session, asset_id, doubled, observation_id, mode, before=_items(2))
    assert diff.added == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AssetSoftware)) == 3


def test_links_of_an_asset_created_in_the_transaction_go_in_without_conflict_handling(database):
    """A new asset's first links: duplicates in the report still link once, dates are kept, and
    the catalogue grows by what it lacked."""
    with database.write() as session:
        asset_id, observation_id = _asset(session, 6)
        _sync(session, asset_id, _items(3), observation_id, "stored-links")  # pkg0..pkg2 already catalogued
    items = _items(1500) + _items(2)  # two repeated entries
    with database.write() as session:
        asset_id, observation_id = _asset(session, 7)
        diff = sync_asset_software(session, asset_id, items, observation_id, NOW, asset_created=True)
    assert (diff.added, diff.removed, diff.updated) == (1500, 0, 0)
    with database.session() as session:
        links = session.execute(select(AssetSoftware.install_date).where(AssetSoftware.asset_id == asset_id)).scalars().all()
        assert len(links) == 1500 and set(links) == {INSTALLED}
        assert session.scalar(select(func.count()).select_from(Software)) == 1500


@pytest.fixture
def catalogue_lookups(database):
    """A list that grows by one per catalogue lookup by key on ``database``'s engine."""
    from sqlalchemy import event

    seen = []

    def count(conn, cursor, statement, *rest):
        if "FROM software WHERE key" in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    yield seen
    event.remove(database.engine, "before_cursor_execute", count)


def _linked_names(database, asset_id) -> set[str]:
    with database.session() as session:
        return set(session.execute(select(Software.name).join(AssetSoftware, AssetSoftware.software_id == Software.id)
                                   .where(AssetSoftware.asset_id == asset_id)).scalars())


def test_catalogue_ids_are_remembered_once_committed_and_not_looked_up_again(database, catalogue_lookups):
    with database.write() as session:
        asset_id, observation_id = _asset(session, 8)
        _sync(session, asset_id, _items(20), observation_id, "stored-links")
    lookups = catalogue_lookups
    lookups.clear()
    with database.write() as session:
        second, observation_id = _asset(session, 9)
        _sync(session, second, _items(20) + [SoftwareItem(name="new", source="dpkg")], observation_id, "stored-links")
    assert len(lookups) == 2  # the one new package: looked up, inserted, read back; the 20 others remembered
    assert _linked_names(database, second) == {f"pkg{i}" for i in range(20)} | {"new"}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Software)) == 21


def test_ids_learned_in_a_transaction_that_rolls_back_are_forgotten(database, catalogue_lookups):
    with pytest.raises(RuntimeError), database.write() as session:
        asset_id, observation_id = _asset(session, 10)
        _sync(session, asset_id, _items(5), observation_id, "stored-links")
        raise RuntimeError("the report failed after its packages were catalogued")
    lookups = catalogue_lookups
    lookups.clear()
    with database.write() as session:
        asset_id, observation_id = _asset(session, 10)
        _sync(session, asset_id, _items(5), observation_id, "stored-links")
    assert len(lookups) == 2  # looked up again (and inserted): nothing was taken from the rolled-back attempt
    assert _linked_names(database, asset_id) == {f"pkg{i}" for i in range(5)}
