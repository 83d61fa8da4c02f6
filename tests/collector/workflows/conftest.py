"""Fixtures for workflow tests: the shipped templates, people in each role, a small fleet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collector.access.users import create_user
from collector.workflows.loading import SHIPPED_DIR, load_templates
from collector.workflows.roles import WorkflowActor
from tests.collector.reconcile.fleet import NOW, _Builder

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def templates():
    loaded = load_templates([SHIPPED_DIR], {"finance": frozenset({"fiona"})})
    assert loaded.errors == []
    return loaded


@pytest.fixture
def people(database, monkeypatch) -> dict[str, WorkflowActor]:
    """alice and bob (operators), root and ada (admins), audrey (auditor), fiona (operator in group finance).

    Their passwords are hashed with a cheaper scrypt (hashes carry their parameters, so they
    still verify): five full-cost hashes were most of each workflow test's set-up."""
    from collector.access import passwords

    monkeypatch.setattr(passwords, "N", 2**10)
    actors = {}
    with database.write() as session:
        for name, role in (("alice", "operator"), ("bob", "operator"), ("root", "admin"), ("audrey", "auditor"),
                           ("fiona", "operator"), ("ada", "admin")):
            user = create_user(session, name, role, PASSWORD)
            actors[name] = WorkflowActor(user.id, name, role, "test")
    return actors


@pytest.fixture
def clock():
    """Moments after the fleet's NOW, one per call, so events have a clear order."""
    ticks = iter(range(1, 10_000))
    return lambda: NOW + timedelta(minutes=next(ticks))


@pytest.fixture
def laptop(database) -> dict:
    """An in-stock CI and the agent asset that reports it (same serial), last user 'olduser'."""
    with database.write() as session:
        builder = _Builder(session, 11)
        serial = builder.serial()
        ci_id = builder.ci("LT-NEW-1", serial=serial, hostname="lt-new-1", status="in_stock")
        asset_id = builder.asset("lt-new-1", serial=serial, primary_user="olduser")
    return {"ci_id": ci_id, "asset_id": asset_id}


@pytest.fixture
def sam_hosts(database, make_agent) -> list[dict]:
    """Three enrolled agents' hosts, each with an in-use CI of the same serial (not reported yet)."""
    hosts = []
    with database.write() as session:
        builder = _Builder(session, 23)
        for seed in (1, 2, 3):
            hosts.append({"seed": seed, "hostname": f"host-{seed:05d}",
                          "ci_id": builder.ci(f"PC-{seed}", serial=f"SN{seed:08d}", hostname=f"host-{seed:05d}")})
    for host in hosts:
        host["agent_id"] = make_agent(host["hostname"]).agent_id
    return hosts


FIREFOX = {"name": "Firefox", "version": "128.0", "publisher": "Mozilla", "source": "dpkg", "arch": "amd64"}
FIREFOX_ESR = {**FIREFOX, "version": "115.0esr"}
VISIO = {"name": "Visio", "version": "2021", "publisher": "Microsoft Corporation", "source": "msi", "arch": "x64"}
BASE = [{"name": "libc6", "version": "2.36-9", "publisher": "Debian Maintainers <debian-devel@lists.debian.org>",
         "source": "dpkg", "arch": "amd64"}]


@pytest.fixture
def sam_fleet(database, config, reports, sam_hosts, clock) -> list[dict]:
    """The three hosts reported and reconciled: Firefox 128.0 on hosts 1 and 2 (and Visio on 1),
    Firefox 115.0esr on host 3. Host 1's agent saw firefox run 5 days ago, host 2's 200 days
    ago, host 3's never."""
    from collector.reconcile.service import run_full
    from tests.collector.workflows.helpers import agent_report

    at = clock()
    runs = {1: at - timedelta(days=5), 2: at - timedelta(days=200)}
    for host, packages in zip(sam_hosts, ([FIREFOX, VISIO], [FIREFOX], [FIREFOX_ESR])):
        usage = [{"path": "/usr/lib/firefox/firefox", "last_seen_running": runs[host["seed"]].isoformat()}] \
            if host["seed"] in runs else []
        host["packages"] = BASE + packages
        agent_report(database, reports, host, at, host["packages"], usage)
    run_full(database, config, clock())
    return sam_hosts
