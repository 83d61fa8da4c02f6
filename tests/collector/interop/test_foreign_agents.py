"""The foreign-agent service: site authentication, device ids bound to sites, storing converted reports."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from collector.errors import Forbidden, InvalidInput, Unauthorized
from collector.interop.foreign_agents import (PROTOCOLS, SiteAuth, authenticate_site, foreign_agent_id,
                                              store_foreign_discovery, store_foreign_inventory)
from collector.models import Agent, Asset, AuditLogEntry, Observation, utcnow
from tests.collector.interop.conftest import basic


def _auth(app, path_secret=None, headers=None):
    with app.test_request_context("/ocsinventory", method="POST", headers=headers or {}):
        from flask import request

        return authenticate_site(request, path_secret)


def _count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_protocols_are_the_three_foreign_agent_families():
    assert PROTOCOLS == ("ocs", "fusioninventory", "glpi")


def test_site_secret_in_the_path_or_as_basic_password_authenticates(app, make_site):
    site = make_site("paris")
    assert _auth(app, site.secret) == SiteAuth(site.site_id, "paris")
    assert _auth(app, None, basic(site.secret, user="whatever")) == SiteAuth(site.site_id, "paris")
    assert site.secret.startswith("stkf_")


@pytest.mark.parametrize("how", ["none", "wrong_path", "wrong_basic", "bearer", "nul", "huge"])
def test_missing_or_wrong_secret_is_401_with_a_basic_challenge(app, make_site, how):
    site = make_site()
    path, headers = {
        "none": (None, {}),
        "wrong_path": (site.secret + "x", {}),
        "wrong_basic": (None, basic(site.secret[:-1])),
        "bearer": (None, {"Authorization": f"Bearer {site.secret}"}),
        "nul": (site.secret + "\x00", {}),
        "huge": ("s" * 10_000, {}),
    }[how]
    with pytest.raises(Unauthorized) as caught:
        _auth(app, path, headers)
    assert caught.value.challenge == 'Basic realm="Stocktake"'


def test_a_revoked_site_is_refused_and_the_revocation_is_audited(app, database, make_site):
    from collector.access.foreign_sites import revoke_foreign_site

    site = make_site("lyon")
    with database.write() as session:
        revoke_foreign_site(session, "lyon")
    with pytest.raises(Unauthorized):
        _auth(app, site.secret)
    with database.session() as session:
        actions = list(session.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)))
        details = " ".join(str(d) for d in session.scalars(select(AuditLogEntry.detail)))
    assert actions == ["foreign_site_created", "foreign_site_revoked"]
    assert site.secret not in details


def test_only_the_hash_of_a_site_secret_is_stored(database, make_site):
    from collector.access.credentials import hash_credential
    from collector.models import ForeignSite

    site = make_site()
    with database.session() as session:
        row = session.get(ForeignSite, site.site_id)
    assert row.secret_hash == hash_credential(site.secret) and site.secret not in (row.secret_hash, row.prefix)


def test_trusted_network_admits_a_request_without_secret_but_never_a_wrong_one(config, database, make_site):
    from collector.app import create_app

    app = create_app(replace(config, foreign_agents_trust_network=True))
    try:
        assert _auth(app) == SiteAuth(None, None)
        with pytest.raises(Unauthorized):
            _auth(app, "stkf_not-a-site")
    finally:
        app.extensions["stocktake"]["db"].dispose()


def test_trusted_network_is_logged_loudly_at_start_up_and_not_otherwise(config, database, caplog):
    from collector.app import create_app

    for trusted in (False, True):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="collector.app"):
            app = create_app(replace(config, foreign_agents_trust_network=trusted))
            app.extensions["stocktake"]["db"].dispose()
        warnings = [r for r in caplog.records if getattr(r, "event", None) == "foreign_agents_unauthenticated"]
        assert len(warnings) == trusted
    assert warnings[0].levelno == logging.WARNING and "foreign_agents_trust_network" in warnings[0].getMessage()


def test_a_device_id_gets_one_agent_bound_to_its_first_site(database, make_site):
    paris, lyon = make_site("paris"), make_site("lyon")
    auth = SiteAuth(paris.site_id, "paris")
    first = foreign_agent_id(database, auth, "ocs", "pc-0001-2026-12-06-10-00-00", "pc-0001", "ocsinventory-agent 2.10.0", utcnow())
    again = foreign_agent_id(database, auth, "ocs", "pc-0001-2026-12-06-10-00-00", "pc-0001", "ocsinventory-agent 2.10.1", utcnow())
    assert first == again
    with database.session() as session:
        agent = session.get(Agent, first)
    assert (agent.protocol, agent.site_id, agent.agent_version) == ("ocs", paris.site_id, "ocsinventory-agent 2.10.1")
    with pytest.raises(Forbidden, match="another site"):
        foreign_agent_id(database, SiteAuth(lyon.site_id, "lyon"), "ocs", "pc-0001-2026-12-06-10-00-00", None, None, utcnow())
    with pytest.raises(Forbidden):
        foreign_agent_id(database, SiteAuth(None, None), "ocs", "pc-0001-2026-12-06-10-00-00", None, None, utcnow())
    # The same device id under another protocol is another agent.
    assert foreign_agent_id(database, auth, "glpi", "pc-0001-2026-12-06-10-00-00", None, None, utcnow()) != first


def test_registering_a_device_is_audited_on_the_chain(database, make_site):
    from collector.access.audit_log import verify_chain

    paris = SiteAuth(make_site("paris").site_id, "paris")  # the site's creation is audited too
    agent_id = foreign_agent_id(database, paris, "ocs", "pc-0002-2026-12-06-10-00-00", "pc-0002",
                                "ocsinventory-agent 2.10.0", utcnow())
    foreign_agent_id(database, paris, "ocs", "pc-0002-2026-12-06-10-00-00", "pc-0002", None, utcnow())
    with database.session() as session:
        entries = session.execute(select(AuditLogEntry.action, AuditLogEntry.actor, AuditLogEntry.target,
                                         AuditLogEntry.detail)
                                  .where(AuditLogEntry.action == "foreign_agent_registered")).all()
        report = verify_chain(session)
    assert entries == [("foreign_agent_registered", "foreign_site:paris", f"agent {agent_id}",
                        {"protocol": "ocs", "device_id": "pc-0002-2026-12-06-10-00-00", "hostname": "pc-0002",
                         "agent_version": "ocsinventory-agent 2.10.0", "site": "paris"})]  # once, not per contact
    assert report.ok and report.checked >= 2


def test_a_device_first_seen_on_a_trusted_network_is_bound_when_it_brings_a_secret(database, make_site):
    site = make_site("paris")
    agent_id = foreign_agent_id(database, SiteAuth(None, None), "glpi", "dev-1", "dev-1", None, utcnow())
    assert foreign_agent_id(database, SiteAuth(site.site_id, "paris"), "glpi", "dev-1", None, None, utcnow()) == agent_id
    with database.session() as session:
        assert session.get(Agent, agent_id).site_id == site.site_id


def test_a_revoked_foreign_agent_is_refused(database, make_site):
    from collector.access.enrollment import revoke_agent

    site = make_site()
    auth = SiteAuth(site.site_id, site.name)
    agent_id = foreign_agent_id(database, auth, "ocs", "dev-r", None, None, utcnow())
    with database.write() as session:
        revoke_agent(session, agent_id)
    with pytest.raises(Forbidden, match="revoked"):
        foreign_agent_id(database, auth, "ocs", "dev-r", None, None, utcnow())


@pytest.mark.parametrize("device_id, hostname, field", [
    ("", None, "device_id"),
    ("dev\x00ice", None, "device_id"),
    ("d" * 10_000, None, "device_id"),
    (["a", "list"], None, "device_id"),
    ("dev-ok", "host\x00name", "hostname"),
    ("dev-ok", "h" * 10_000, "hostname"),
])
def test_hostile_identities_are_refused_naming_the_field_and_register_nothing(database, make_site, device_id, hostname,
                                                                               field):
    site = make_site()
    with pytest.raises(InvalidInput) as caught:
        foreign_agent_id(database, SiteAuth(site.site_id, site.name), "ocs", device_id, hostname, None, utcnow())
    assert [f.field for f in caught.value.fields] == [field]
    assert _count(database, Agent) == 0


def test_sql_and_script_values_are_stored_inertly_and_odd_versions_trimmed(database, make_site):
    site = make_site()
    device_id = "x'); DROP TABLE agents; --<script>alert(1)</script>"
    agent_id = foreign_agent_id(database, SiteAuth(site.site_id, site.name), "ocs", device_id,
                                "<script>alert(1)</script>", "ocs\x00agent " + "9" * 10_000, utcnow())
    with database.session() as session:
        agent = session.get(Agent, agent_id)
    assert agent.foreign_device_id == device_id and agent.hostname == "<script>alert(1)</script>"
    assert agent.agent_version == ("ocsagent " + "9" * 10_000)[:64]


def test_a_foreign_agent_can_never_use_the_native_api(client, database, make_site):
    from sqlalchemy import update

    from collector.access.credentials import hash_credential
    from collector.access.enrollment import create_enrollment_secret

    site = make_site()
    agent_id = foreign_agent_id(database, SiteAuth(site.site_id, site.name), "ocs", "dev-n", None, None, utcnow())
    with database.session() as session:
        assert ":" in session.get(Agent, agent_id).node_key_hash  # not a digest any key hashes to
    # Even a row whose hash some key did match is not a native agent.
    with database.write() as session:
        session.execute(update(Agent).where(Agent.id == agent_id).values(node_key_hash=hash_credential("stkn_guess")))
        secret = create_enrollment_secret(session, "fleet").secret
    answer = client.post("/api/v1/inventory", json={}, headers={"Authorization": "Bearer stkn_guess"})
    assert answer.status_code == 401
    # Nor can the fleet's enrollment secret turn it into one.
    enrol = client.post("/api/v1/enroll", json={"enroll_secret": secret, "hostname": "x", "agent_id": agent_id})
    assert enrol.status_code == 409


def _agent(database, make_site, protocol="ocs", device="dev-1"):
    site = make_site()
    return foreign_agent_id(database, SiteAuth(site.site_id, site.name), protocol, device, device, None, utcnow())


def test_a_converted_report_is_stored_then_recognised_as_unchanged(database, config, make_site, foreign_report):
    agent_id = _agent(database, make_site)
    first = store_foreign_inventory(database, config, agent_id, foreign_report(agent_id), utcnow())
    second = store_foreign_inventory(database, config, agent_id, foreign_report(agent_id), utcnow())
    assert (first.outcome, second.outcome) == ("stored", "unchanged")
    assert first.asset_id == second.asset_id
    with database.session() as session:
        asset = session.get(Asset, first.asset_id)
        assert asset.agent_id == agent_id and asset.software_count == 30
        assert session.scalar(select(func.count()).select_from(Observation)) == 1


def test_a_retried_report_id_is_a_duplicate(database, config, make_site, foreign_report):
    agent_id = _agent(database, make_site)
    report = foreign_report(agent_id)
    store_foreign_inventory(database, config, agent_id, report, utcnow())
    assert store_foreign_inventory(database, config, agent_id, report, utcnow()).outcome == "duplicate"


def test_an_invalid_converted_report_names_the_field_and_stores_nothing(database, config, make_site, foreign_report):
    agent_id = _agent(database, make_site)
    report = foreign_report(agent_id)
    report["memory"]["total_bytes"] = "lots"
    report["host"]["hostname"] = ["a", "list"]
    with pytest.raises(InvalidInput) as caught:
        store_foreign_inventory(database, config, agent_id, report, utcnow())
    assert {"memory.total_bytes", "host.hostname"} <= {f.field for f in caught.value.fields}
    assert _count(database, Asset) == 0 and _count(database, Observation) == 0


def test_a_future_report_time_is_refused(database, config, make_site, foreign_report):
    agent_id = _agent(database, make_site)
    with pytest.raises(InvalidInput, match="future"):
        store_foreign_inventory(database, config, agent_id, foreign_report(agent_id, collected_at="2099-01-01T00:00:00Z"),
                                utcnow())
    assert _count(database, Observation) == 0


def test_a_report_for_another_agent_is_refused(database, config, make_site, foreign_report):
    agent_id = _agent(database, make_site)
    with pytest.raises(Forbidden):
        store_foreign_inventory(database, config, agent_id, foreign_report(str(uuid.uuid4())), utcnow())


def _discovery(agent_id: str) -> dict:
    now = utcnow().isoformat().replace("+00:00", "Z")
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent_id, "scan_id": "netdiscovery-1",
            "started_at": now, "finished_at": now,
            "devices": [{"ip": "198.18.7.1", "mac": "00:1b:a9:00:00:01", "seen_at": now, "found_by": ["snmp"],
                         "sys_name": "sw-<b>core</b>"}]}


def test_a_converted_discovery_report_is_stored_like_a_scanners(database, config, make_site):
    agent_id = _agent(database, make_site, "fusioninventory")
    document = _discovery(agent_id)
    answer = store_foreign_discovery(database, config, agent_id, document, utcnow())
    assert answer["status"] == "stored" and answer["devices"] == 1 and answer["new_devices"] == 1
    assert store_foreign_discovery(database, config, agent_id, document, utcnow())["status"] == "already stored"


def test_an_invalid_discovery_report_names_the_field(database, config, make_site):
    agent_id = _agent(database, make_site, "glpi")
    document = _discovery(agent_id)
    document["devices"][0]["ip"] = {"not": "an address"}
    with pytest.raises(InvalidInput) as caught:
        store_foreign_discovery(database, config, agent_id, document, utcnow())
    assert any(f.field.startswith("devices.0") for f in caught.value.fields)
    assert _count(database, Observation) == 0


def _all_at_once(call, times: int = 4, prepare=lambda: None) -> list:
    """``call(prepared)`` from ``times`` threads released together; every answer, or the first error."""
    import threading

    barrier, answers, errors = threading.Barrier(times, timeout=10), [], []

    def run():
        prepared = prepare()
        try:
            barrier.wait()
            answers.append(call(prepared))
        except Exception as exc:  # noqa: BLE001 - raised below, in the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    assert len(answers) == times
    return answers


def test_concurrent_first_contacts_of_one_device_make_one_agent(database, make_site):
    site = make_site()
    auth = SiteAuth(site.site_id, site.name)
    results = _all_at_once(lambda _: foreign_agent_id(database, auth, "glpi", "race-1", "race-1", None, utcnow()))
    assert len(set(results)) == 1
    assert _count(database, Agent) == 1


def test_foreign_agents_are_counted_apart_from_the_enrolled_fleet(client, database, make_site, make_agent):
    import re

    make_agent()
    site = make_site()
    for device in ("dev-a", "dev-b"):
        foreign_agent_id(database, SiteAuth(site.site_id, site.name), "ocs", device, None, None, utcnow())
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r"^stocktake_fleet_agents 1\.0$", text, re.M)
    assert re.search(r"^stocktake_fleet_foreign_agents 2\.0$", text, re.M)


def test_a_new_devices_first_inventory_registers_it_in_the_same_transaction(database, config, make_site,
                                                                             foreign_report):
    from collector.access.audit_log import verify_chain
    from collector.interop.foreign_agents import ForeignDevice, store_device_inventory

    site = make_site("lyon")
    device = ForeignDevice(database, "ocs", "pc-0100-2026-12-07-10-00-00")
    report = foreign_report("pending")
    result = store_device_inventory(database, config, SiteAuth(site.site_id, "lyon"), device, report,
                                    "ocsinventory-agent 2.10.0", utcnow())
    assert result.outcome == "stored" and report["agent_id"] == device.agent_id
    with database.session() as session:
        agent = session.get(Agent, device.agent_id)
        assert (agent.protocol, agent.foreign_device_id, agent.site_id) == ("ocs", device.device_id, site.site_id)
        assert agent.last_content_hash is not None
        assert session.get(Asset, result.asset_id).agent_id == agent.id
        registered = session.execute(select(AuditLogEntry.target).where(
            AuditLogEntry.action == "foreign_agent_registered")).scalars().all()
        assert registered == [f"agent {agent.id}"] and verify_chain(session).ok
    # The next report of the device is a known device's.
    again = store_device_inventory(database, config, SiteAuth(site.site_id, "lyon"),
                                   ForeignDevice(database, "ocs", device.device_id), foreign_report("pending"),
                                   "ocsinventory-agent 2.10.0", utcnow())
    assert (again.outcome, again.asset_id) == ("unchanged", result.asset_id)
    assert _count(database, Agent) == 1


def test_a_first_inventory_that_fails_to_store_registers_nothing(database, config, make_site, foreign_report,
                                                                 monkeypatch):
    import collector.ingest.inventory as inventory
    from collector.interop.foreign_agents import ForeignDevice, store_device_inventory

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(inventory, "_store_new_content", broken)
    site = make_site()
    with pytest.raises(RuntimeError):
        store_device_inventory(database, config, SiteAuth(site.site_id, site.name),
                               ForeignDevice(database, "glpi", str(uuid.uuid4())), foreign_report("pending"), None,
                               utcnow())
    assert (_count(database, Agent), _count(database, Asset)) == (0, 0)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditLogEntry).where(
            AuditLogEntry.action == "foreign_agent_registered")) == 0


def test_concurrent_first_inventories_of_one_device_make_one_agent_and_one_asset(database, config, make_site,
                                                                                 foreign_report):
    from collector.interop.foreign_agents import ForeignDevice, store_device_inventory

    site = make_site()
    auth = SiteAuth(site.site_id, site.name)

    def device():  # each thread has read the device as never seen, as a request that read it first would have
        seen = ForeignDevice(database, "glpi", "race-2")
        seen.row()
        return seen

    outcomes = _all_at_once(lambda seen: store_device_inventory(database, config, auth, seen, foreign_report("pending"),
                                                                None, utcnow()).outcome, prepare=device)
    assert sorted(outcomes) == ["stored", "unchanged", "unchanged", "unchanged"]
    assert (_count(database, Agent), _count(database, Asset), _count(database, Observation)) == (1, 1, 1)


def test_a_first_inventory_whose_report_id_was_stored_before_registers_nothing(database, config, make_site,
                                                                               foreign_report):
    from collector.interop.foreign_agents import ForeignDevice, store_device_inventory

    site = make_site()
    auth = SiteAuth(site.site_id, site.name)
    stored = store_device_inventory(database, config, auth, ForeignDevice(database, "ocs", "dev-first"),
                                    foreign_report("pending"), None, utcnow())
    again = foreign_report("pending", host_seed=2, report_id=stored.report_id)  # another machine, same report id
    device = ForeignDevice(database, "ocs", "dev-second")
    assert store_device_inventory(database, config, auth, device, again, None, utcnow()).outcome == "duplicate"
    assert device.agent_id is None and _count(database, Agent) == 1
