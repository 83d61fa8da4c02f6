"""One agent's reports arriving at once (a daemon plus ``run --once``, a cloned VM reusing the
identity file) must end as if applied one at a time: the newest collected report wins."""

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select

from collector.models import Asset, AssetSoftware, Observation, ReportReceipt, Software

pytestmark = pytest.mark.live

AGENTS = 20
REPORTS_PER_AGENT = 10


def _reports_of(reports, agent_id: str, n: int, repeat: int = 1) -> list[dict]:
    """Ten reports of one machine collected a minute apart; the software shifts by one package
    every ``repeat`` reports (repeat=2: pairs of identical content, the "unchanged" paths)."""
    start = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    pool = reports.software(60, host_seed=n)
    batch = []
    for k in range(REPORTS_PER_AGENT):
        report = reports.report(agent_id, host_seed=n, report_id=str(uuid.uuid4()),
                                collected_at=(start + timedelta(minutes=k)).isoformat(),
                                software=pool[k // repeat:k // repeat + 40])
        report["os"]["boot_time"] = start.isoformat()  # the factory's follows the clock; content must not
        batch.append(report)
    return batch


def _linked_software(database, asset_id: int) -> set[tuple]:
    with database.session() as session:
        return set(session.execute(
            select(Software.name, Software.version)
            .join(AssetSoftware, AssetSoftware.software_id == Software.id)
            .where(AssetSoftware.asset_id == asset_id)
        ).all())


@pytest.mark.parametrize("repeat", [1, 2], ids=["all-different", "pairs-identical"])
def test_concurrent_reports_of_each_agent_end_as_the_newest_report(live_server, database, make_agent, reports, repeat):
    agents = [make_agent(f"host-{n}") for n in range(AGENTS)]
    batches = {agent.agent_id: _reports_of(reports, agent.agent_id, n, repeat) for n, agent in enumerate(agents)}
    jobs = [(agent, report) for agent in agents for report in batches[agent.agent_id]]
    barrier = threading.Barrier(len(jobs), timeout=60)
    statuses: list[tuple[int, str]] = []
    errors: list[str] = []

    def send(agent, report) -> None:
        try:
            body = json.dumps(report).encode()
            headers = {**agent.headers, "Content-Type": "application/json"}
            barrier.wait()
            response = requests.post(f"{live_server.url}/api/v1/inventory", data=body, headers=headers, timeout=120)
            statuses.append((response.status_code, response.text[:200]))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors[:3]
    assert len(statuses) == len(jobs)
    assert [s for s in statuses if s[0] != 201] == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportReceipt)) == len(jobs)
        # An identical report right after its twin only moves timestamps; in other orders it is
        # a new observation (historical, or stored after a different one): at most one each.
        assert len(jobs) // repeat <= session.scalar(select(func.count()).select_from(Observation)) <= len(jobs)
        assets = {a.agent_id: a for a in session.scalars(select(Asset))}
        observed = {o.id: o for o in session.scalars(select(Observation))}
    assert sorted(assets) == sorted(batches)
    for agent_id, batch in batches.items():
        newest = max(batch, key=lambda r: r["collected_at"])
        asset = assets[agent_id]
        observation = observed[asset.observation_id]
        assert observation.last_report_id == newest["report_id"]
        assert observation.last_collected_at == datetime.fromisoformat(newest["collected_at"])
        assert asset.software_count == len(newest["software"])
        assert _linked_software(database, asset.id) == {(p["name"], p["version"]) for p in newest["software"]}


def test_a_report_after_the_storm_applies_against_the_true_previous_state(live_server, database, make_agent, reports):
    """Stale links from a racing report would survive the next report's set difference."""
    agent = make_agent("host-0")
    batch = _reports_of(reports, agent.agent_id, 0)
    headers = {**agent.headers, "Content-Type": "application/json"}
    barrier = threading.Barrier(len(batch), timeout=60)
    codes: list[int] = []

    def send(report) -> None:
        barrier.wait()
        codes.append(requests.post(f"{live_server.url}/api/v1/inventory", data=json.dumps(report),
                                   headers=headers, timeout=120).status_code)

    threads = [threading.Thread(target=send, args=(r,)) for r in batch]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert codes == [201] * len(batch)
    later = reports.report(agent.agent_id, host_seed=0, software=reports.software(60, host_seed=0)[5:25],
                           collected_at=datetime(2024, 5, 2, tzinfo=timezone.utc).isoformat())
    response = requests.post(f"{live_server.url}/api/v1/inventory", data=json.dumps(later), headers=headers, timeout=60)
    assert response.status_code == 201, response.text
    asset_id = response.json()["asset_id"]
    assert _linked_software(database, asset_id) == {(p["name"], p["version"]) for p in later["software"]}
