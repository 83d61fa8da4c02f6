"""A machine that changes agents stays one asset (issue 15, item 5); clones and junk ids never merge."""

from __future__ import annotations

from sqlalchemy import func, select

from collector.interop.foreign_agents import SiteAuth, foreign_agent_id, store_foreign_inventory
from collector.models import Agent, Asset, AuditLogEntry, CiMatch, ConfigurationItem, Observation, utcnow


def _ocs_agent(database, make_site, device="pc-1-2026-12-06-10-00-00", protocol="ocs"):
    site = make_site()
    return foreign_agent_id(database, SiteAuth(site.site_id, site.name), protocol, device, "pc-1", None, utcnow())


def _post_native(client, agent, report):
    return client.post("/api/v1/inventory", json=report, headers=agent.headers)


def _assets(database):
    with database.session() as session:
        return list(session.execute(select(Asset.id, Asset.agent_id).order_by(Asset.id)).all())


def test_ocs_to_native_keeps_the_asset_its_ci_link_and_its_history(client, database, config, make_site, make_agent,
                                                                     foreign_report, reports):
    ocs = _ocs_agent(database, make_site)
    with database.write() as session:
        session.add(ConfigurationItem(asset_tag="LT-0001", name="pc-1", serial="SN00000001", status="deployed"))
    first = store_foreign_inventory(database, config, ocs, foreign_report(ocs, host_seed=1), utcnow())
    assert first.outcome == "stored"
    with database.session() as session:
        match = session.scalar(select(CiMatch).where(CiMatch.subject_type == "asset", CiMatch.subject_id == first.asset_id))
    assert match is not None and match.outcome == "matched"

    native = make_agent("pc-1")
    answer = _post_native(client, native, reports.report(native.agent_id, host_seed=1))
    assert answer.status_code == 201 and answer.get_json()["asset_id"] == first.asset_id
    assert _assets(database) == [(first.asset_id, native.agent_id)]
    with database.session() as session:
        old = session.get(Agent, ocs)
        assert (old.superseded_by, old.revoked_at) == (native.agent_id, None)
        history = session.execute(select(Observation.agent_id).where(Observation.asset_id == first.asset_id)
                                  .order_by(Observation.id)).scalars().all()
        assert history == [ocs, native.agent_id]
        relinked = session.scalar(select(CiMatch).where(CiMatch.subject_type == "asset",
                                                        CiMatch.subject_id == first.asset_id))
        assert relinked.ci_id == match.ci_id and relinked.outcome == "matched"
        audit = session.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "asset_adopted"))
        assert audit.detail["from_agent"] == ocs and audit.detail["to_protocol"] == "stocktake"


def test_the_superseded_agent_is_refused_so_two_agents_cannot_pull_the_asset_back_and_forth(
        client, database, config, make_site, make_agent, foreign_report, reports):
    import pytest

    from collector.errors import Conflict

    ocs = _ocs_agent(database, make_site)
    store_foreign_inventory(database, config, ocs, foreign_report(ocs, host_seed=1), utcnow())
    native = make_agent("pc-1")
    assert _post_native(client, native, reports.report(native.agent_id, host_seed=1)).status_code == 201
    with pytest.raises(Conflict, match="superseded"):
        store_foreign_inventory(database, config, ocs, foreign_report(ocs, host_seed=1), utcnow())
    assert _assets(database) == [(_assets(database)[0][0], native.agent_id)]


def test_native_to_glpi_and_then_glpi_to_ocs_each_adopt(client, database, config, make_site, make_agent, foreign_report,
                                                        reports):
    native = make_agent("pc-1")
    asset_id = _post_native(client, native, reports.report(native.agent_id, host_seed=1)).get_json()["asset_id"]
    glpi = _ocs_agent(database, make_site, device="pc-1-glpi", protocol="glpi")
    assert store_foreign_inventory(database, config, glpi, foreign_report(glpi, host_seed=1, version="GLPI-Agent_v1.11"),
                                   utcnow()).asset_id == asset_id
    ocs = _ocs_agent(database, make_site)
    assert store_foreign_inventory(database, config, ocs, foreign_report(ocs, host_seed=1), utcnow()).asset_id == asset_id
    assert _assets(database) == [(asset_id, ocs)]
    # The native agent, superseded first, is refused too.
    assert _post_native(client, native, reports.report(native.agent_id, host_seed=1)).status_code == 409


def test_clones_of_the_same_protocol_stay_separate(client, database, config, make_site, make_agent, foreign_report,
                                                   reports):
    one, two = make_agent("vm-1"), make_agent("vm-2")
    clone = reports.report(one.agent_id, host_seed=5)
    first = _post_native(client, one, clone).get_json()["asset_id"]
    second = _post_native(client, two, {**reports.report(two.agent_id, host_seed=5), "host": clone["host"]}).get_json()
    assert second["asset_id"] != first
    ocs_a = _ocs_agent(database, make_site, device="vm-a")
    ocs_b = _ocs_agent(database, make_site, device="vm-b")
    a = store_foreign_inventory(database, config, ocs_a, foreign_report(ocs_a, host_seed=9), utcnow())
    b = store_foreign_inventory(database, config, ocs_b, foreign_report(ocs_b, host_seed=9), utcnow())
    assert a.asset_id != b.asset_id
    assert len(_assets(database)) == 4


def test_an_identity_shared_by_two_assets_adopts_neither(client, database, config, make_site, make_agent, foreign_report,
                                                         reports):
    one, two = make_agent("vm-1"), make_agent("vm-2")
    clone = reports.report(one.agent_id, host_seed=5)
    _post_native(client, one, clone)
    _post_native(client, two, {**reports.report(two.agent_id, host_seed=5), "host": clone["host"]})
    ocs = _ocs_agent(database, make_site)
    stored = store_foreign_inventory(database, config, ocs, foreign_report(ocs, host_seed=5), utcnow())
    assert stored.outcome == "stored" and len(_assets(database)) == 3


def _with_host(report: dict, **host) -> dict:
    return {**report, "host": {**report["host"], **host}}


def test_junk_serials_and_uuids_never_adopt(client, database, config, make_site, make_agent, foreign_report, reports):
    cases = [
        {"serial": "To be filled by O.E.M."},
        {"serial": "0000000000"},
        {"smbios_uuid": "03000200-0400-0500-0006-000700080009"},
        {"smbios_uuid": "00000000-0000-0000-0000-000000000000"},
        {"smbios_uuid": None},
        {"serial": None},
    ]
    for number, junk in enumerate(cases):
        ocs = _ocs_agent(database, make_site, device=f"junk-{number}")
        store_foreign_inventory(database, config, ocs, _with_host(foreign_report(ocs, host_seed=20 + number), **junk),
                                utcnow())
        native = make_agent(f"junk-{number}")
        answer = _post_native(client, native, _with_host(reports.report(native.agent_id, host_seed=20 + number), **junk))
        assert answer.status_code == 201, answer.get_json()
    assert len(_assets(database)) == 2 * len(cases)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Agent).where(Agent.superseded_by.is_not(None))) == 0


def test_uuid_and_serial_must_both_agree(client, database, config, make_site, make_agent, foreign_report, reports):
    ocs = _ocs_agent(database, make_site)
    store_foreign_inventory(database, config, ocs, foreign_report(ocs, host_seed=1), utcnow())
    native = make_agent("pc-1")
    _post_native(client, native, _with_host(reports.report(native.agent_id, host_seed=1), serial="OTHER-SERIAL-1"))
    assert len(_assets(database)) == 2


def test_an_asset_adopted_meanwhile_by_a_third_agent_stays_with_it(client, database, make_site, make_agent, reports):
    """Two agents adopting one asset at once: the second read the candidate before the first committed."""
    from collections import namedtuple

    from collector.ingest.adoption import _repoint

    native = make_agent("pc-1")
    asset_id = _post_native(client, native, reports.report(native.agent_id, host_seed=1)).get_json()["asset_id"]
    glpi = _ocs_agent(database, make_site, device="g-1", protocol="glpi")
    ocs = _ocs_agent(database, make_site, device="o-1")
    with database.write() as session:  # the first adoption, committed
        session.execute(Asset.__table__.update().where(Asset.id == asset_id).values(agent_id=glpi))
    stale = namedtuple("Candidate", "id agent_id protocol")(asset_id, native.agent_id, "stocktake")
    with database.write() as session:
        assert _repoint(session, stale, ocs, "ocs", utcnow()) is None
    assert _assets(database) == [(asset_id, glpi)]
    with database.session() as session:
        assert session.get(Agent, native.agent_id).superseded_by is None
