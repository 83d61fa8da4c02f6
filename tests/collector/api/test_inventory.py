"""POST /api/v1/inventory: storage outcomes and every kind of bad input."""

import gzip
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from collector.models import Agent, Asset, AssetSoftware, Observation, ReportReceipt, Software


def _post(client, agent, report, gzipped=False, headers=None):
    raw = json.dumps(report).encode()
    extra = {"Content-Encoding": "gzip"} if gzipped else {}
    return client.post("/api/v1/inventory", data=gzip.compress(raw) if gzipped else raw,
                       content_type="application/json", headers={**agent.headers, **extra, **(headers or {})})


def _count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _nothing_stored(database):
    return all(_count(database, m) == 0 for m in (Observation, ReportReceipt, Asset, AssetSoftware))


def test_first_report_creates_the_asset_with_software_nics_and_disks(client, database, make_agent, reports):
    agent = make_agent()
    report = reports.report(agent.agent_id, software_count=50, host_seed=1)
    response = _post(client, agent, report, gzipped=True)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "stored"
    with database.session() as session:
        asset = session.scalar(select(Asset))
        assert asset.hostname == "host-00001" and asset.serial == "SN00000001"
        assert asset.software_count == 50
        assert session.scalar(select(func.count()).select_from(AssetSoftware)) == 50
        observation = session.get(Observation, asset.observation_id)
        assert observation.report_id == report["report_id"] and observation.source == "agent"
        stored = json.loads(gzip.decompress(observation.payload))
        assert stored["host"] == report["host"]


def test_same_report_id_twice_is_stored_once(client, database, make_agent, reports):
    agent = make_agent()
    report = reports.report(agent.agent_id)
    assert _post(client, agent, report).status_code == 201
    again = _post(client, agent, report)
    assert again.status_code == 200
    assert again.get_json()["status"] == "already stored"
    assert _count(database, ReportReceipt) == 1
    assert _count(database, Observation) == 1


def test_unchanged_content_only_moves_timestamps(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=3)
    _post(client, agent, first)
    later = {**first, "report_id": str(uuid.uuid4()),
             "collected_at": (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()}
    response = _post(client, agent, later)
    assert response.status_code == 201 and response.get_json()["status"] == "unchanged"
    with database.session() as session:
        observation = session.scalar(select(Observation))
        assert observation.report_count == 2
        assert observation.report_id == first["report_id"]
        assert observation.last_report_id == later["report_id"]
    assert _count(database, Observation) == 1
    assert _count(database, ReportReceipt) == 2


def test_changed_software_applies_the_set_difference(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, software_count=30, host_seed=4)
    _post(client, agent, first)
    with database.session() as session:
        before = {s: o for s, o in session.execute(select(AssetSoftware.software_id, AssetSoftware.observation_id))}
    changed = json.loads(json.dumps(first))
    changed["report_id"] = str(uuid.uuid4())
    changed["collected_at"] = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    removed = changed["software"].pop(0)
    changed["software"][0]["version"] = "99.0-1"
    changed["software"].append({"name": "brand-new-tool", "version": "1.0", "source": "dpkg"})
    response = _post(client, agent, changed)
    assert response.get_json()["status"] == "stored"
    with database.session() as session:
        links = {s: o for s, o in session.execute(select(AssetSoftware.software_id, AssetSoftware.observation_id))}
        names = set(session.scalars(select(Software.name).where(Software.id.in_(links))))
        new_observation = session.scalar(select(func.max(Observation.id)))
    assert removed["name"] not in names and "brand-new-tool" in names
    assert len(links) == 30
    with database.session() as session:
        assert session.scalar(select(Asset.software_count)) == 30
    kept = set(before) & set(links)
    assert len(kept) == 28  # 30 - removed - upgraded
    assert all(links[i] == before[i] for i in kept), "unchanged packages keep their first observation"
    assert sum(1 for o in links.values() if o == new_observation) == 2


def test_a_late_older_report_is_kept_as_history_without_rolling_the_asset_back(client, database, make_agent, reports):
    agent = make_agent()
    current = reports.report(agent.agent_id, host_seed=5)
    _post(client, agent, current)
    old = reports.report(agent.agent_id, host_seed=5, collected_at=(datetime.now(timezone.utc) - timedelta(days=1)).isoformat())
    old["host"] = {**old["host"], "hostname": "old-name"}
    response = _post(client, agent, old)
    assert response.get_json()["status"] == "historical"
    with database.session() as session:
        assert session.scalar(select(Asset.hostname)) == "host-00005"
    assert _count(database, Observation) == 2


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer stkn_unknown"}, {"Authorization": "Basic abc"}])
def test_missing_or_unknown_node_key_is_401_and_nothing_stored(client, database, make_agent, reports, headers):
    agent = make_agent()
    response = client.post("/api/v1/inventory", json=reports.report(agent.agent_id), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _nothing_stored(database)


def test_revoked_node_key_is_401_and_nothing_stored(client, database, make_agent, reports):
    from collector.access.enrollment import revoke_agent

    agent = make_agent()
    with database.write() as session:
        revoke_agent(session, agent.agent_id)
    assert _post(client, agent, reports.report(agent.agent_id)).status_code == 401
    assert _nothing_stored(database)


def test_report_for_another_agent_is_403(client, database, make_agent, reports):
    agent, other = make_agent(), make_agent()
    response = _post(client, agent, reports.report(other.agent_id))
    assert response.status_code == 403
    assert _nothing_stored(database)


def _raw_post(client, agent, data, content_type="application/json", headers=None):
    return client.post("/api/v1/inventory", data=data, content_type=content_type, headers={**agent.headers, **(headers or {})})


@pytest.mark.parametrize(
    "mutate, status, field",
    [
        (lambda r: r.update(schema_version=2), 422, "schema_version"),
        (lambda r: r.pop("host"), 422, "host"),
        (lambda r: r.pop("report_id"), 422, "report_id"),
        (lambda r: r.update(report_id="not-a-uuid"), 422, "report_id"),
        (lambda r: r.update(collected_at="yesterday"), 422, "collected_at"),
        (lambda r: r["cpu"].update(cores="eight"), 422, "cpu.cores"),
        (lambda r: r["software"][3].update(name="x" * 5000), 422, "software.3.name"),
        (lambda r: r["host"].update(hostname="evil\x00host"), 422, "host.hostname"),
        (lambda r: r["software"][0].pop("source"), 422, "software.0.source"),
        (lambda r: r.update(unexpected=True), 422, "unexpected"),
    ],
)
def test_invalid_reports_name_the_field_and_store_nothing(client, database, make_agent, reports, mutate, status, field):
    agent = make_agent()
    report = reports.report(agent.agent_id)
    mutate(report)
    response = _post(client, agent, report)
    assert response.status_code == status, response.get_json()
    assert field in [f["field"] for f in response.get_json()["fields"]]
    assert _nothing_stored(database)


@pytest.mark.parametrize(
    "data, status, message",
    [
        (b'{"schema_version": 1, "host": ', 400, "malformed JSON"),
        (b"[1, 2, 3]", 400, "JSON object"),
        (b"", 400, "empty request body"),
        (b'{"schema_version": 1, "host": {"hostname": "caf\xe9"}}', 400, "not valid UTF-8"),
    ],
)
def test_malformed_bodies_are_400(client, database, make_agent, data, status, message):
    agent = make_agent()
    response = _raw_post(client, agent, data)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert _nothing_stored(database)


def test_wrong_content_type_and_encoding_are_415(client, database, make_agent):
    agent = make_agent()
    assert _raw_post(client, agent, b"{}", content_type="text/plain").status_code == 415
    assert _raw_post(client, agent, b"{}", headers={"Content-Encoding": "br"}).status_code == 415


def test_broken_gzip_is_400(client, database, make_agent, reports):
    agent = make_agent()
    compressed = gzip.compress(json.dumps(reports.report(agent.agent_id)).encode())
    response = _raw_post(client, agent, compressed[: len(compressed) // 2], headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400 and "gzip" in response.get_json()["error"]
    assert _nothing_stored(database)


def test_body_over_the_limit_is_413(client, app, database, make_agent):
    agent = make_agent()
    limit = app.extensions["stocktake"]["config"].max_wire_bytes
    response = _raw_post(client, agent, b" " * (limit + 1))
    assert response.status_code == 413
    assert _nothing_stored(database)


def test_gzip_bomb_is_413_without_inflating_it(client, database, make_agent):
    agent = make_agent()
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), 9)  # 256 MiB of zeros, ~250 KiB on the wire
    assert len(bomb) < 1024 * 1024
    response = _raw_post(client, agent, bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "decompressed" in response.get_json()["error"]
    assert _nothing_stored(database)


def test_collector_keeps_serving_after_bad_input(client, database, make_agent, reports):
    agent = make_agent()
    assert _raw_post(client, agent, b"{oops").status_code == 400
    assert _post(client, agent, reports.report(agent.agent_id)).status_code == 201
    with database.session() as session:
        assert session.get(Agent, agent.agent_id).last_seen_at is not None


def test_unchanged_is_recognised_even_when_a_package_is_named_like_a_volatile_key(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=6)
    first["software"].append({"name": "report_id", "version": "collected_at", "source": "dpkg"})
    assert _post(client, agent, first).get_json()["status"] == "stored"
    again = {**first, "report_id": str(uuid.uuid4())}
    assert _post(client, agent, again).get_json()["status"] == "unchanged"
    assert _count(database, Observation) == 1


@pytest.mark.parametrize("field, value", [("report_id", "not-a-uuid"), ("collected_at", "2026-13-45T99:00:00Z"),
                                          ("collected_at", "2026-11-28T10:00:00")])
def test_an_otherwise_unchanged_report_with_a_bad_id_or_time_is_422(client, database, make_agent, reports, field, value):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=7)
    _post(client, agent, first)
    response = _post(client, agent, {**first, "report_id": str(uuid.uuid4()), field: value})
    assert response.status_code == 422
    assert field in [f["field"] for f in response.get_json()["fields"]]
    assert _count(database, ReportReceipt) == 1


def test_the_stored_payload_is_the_report_as_received(client, database, make_agent, reports):
    agent = make_agent()
    report = reports.report(agent.agent_id, host_seed=8)
    raw = json.dumps(report).encode()
    client.post("/api/v1/inventory", data=raw, content_type="application/json", headers=agent.headers)
    with database.session() as session:
        assert gzip.decompress(session.scalar(select(Observation)).payload) == raw


def test_a_late_retry_of_an_older_report_is_already_stored_and_rolls_back(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=10)
    _post(client, agent, first)
    second = json.loads(json.dumps(first))
    second.update(report_id=str(uuid.uuid4()), collected_at=(datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat())
    second["software"].pop()
    assert _post(client, agent, second).get_json()["status"] == "stored"
    retry = _post(client, agent, first)  # its content differs from the latest: it takes the full path
    assert retry.status_code == 200 and retry.get_json()["status"] == "already stored"
    assert _count(database, Observation) == 2
    assert _count(database, ReportReceipt) == 2


def test_changed_nics_replace_the_rows_and_unchanged_disks_keep_their_provenance(client, database, make_agent, make_token, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=11)
    asset_id = _post(client, agent, first).get_json()["asset_id"]
    second = json.loads(json.dumps(first))
    second.update(report_id=str(uuid.uuid4()), collected_at=(datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat())
    second["nics"][0]["mac"] = "3c:52:82:aa:bb:cc"
    _post(client, agent, second)
    detail = client.get(f"/api/v1/assets/{asset_id}", headers=make_token()).get_json()
    assert [n["mac"] for n in detail["nics"]] == ["3c:52:82:aa:bb:cc"]
    assert detail["nics"][0]["provenance"]["report_id"] == second["report_id"]
    assert detail["disks"][0]["provenance"]["report_id"] == first["report_id"]


def test_a_bad_entry_in_a_changed_report_is_named_by_its_position(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, software_count=20, host_seed=12)
    _post(client, agent, first)
    changed = json.loads(json.dumps(first))
    changed.update(report_id=str(uuid.uuid4()), collected_at=(datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat())
    changed["software"][13]["version"] = "v" * 300
    changed["software"][17]["source"] = None
    response = _post(client, agent, changed)
    assert response.status_code == 422
    assert {f["field"] for f in response.get_json()["fields"]} == {"software.13.version", "software.17.source"}
    assert _count(database, Observation) == 1 and _count(database, ReportReceipt) == 1


# Issue 16, defect 1: integers beyond the columns' range (int4 on PostgreSQL for CPU counts,
# NIC speed and spool drops; int8 everywhere else) are a 422 naming the field, never a 500.
OUT_OF_RANGE = [b"3e9", b"3000000000", str(2**62).encode(), str(2**63 + 5).encode()]


def _with_raw_value(report: dict, path: str, raw: bytes) -> bytes:
    """The report as JSON with ``path`` set to the literal ``raw`` (3e9 stays 3e9 on the wire)."""
    marker = "__RAW_VALUE__"
    *parents, last = path.split(".")
    holder = report
    for key in parents:
        holder = holder[int(key)] if key.isdigit() else holder[key]
    holder[last] = marker
    return json.dumps(report).encode().replace(f'"{marker}"'.encode(), raw)


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
@pytest.mark.parametrize("path", ["cpu.cores", "cpu.threads", "nics.0.speed_mbps", "spool_dropped"])
def test_integers_beyond_their_column_are_422_and_store_nothing(client, database, make_agent, reports, path, raw):
    agent = make_agent()
    body = _with_raw_value(reports.report(agent.agent_id, host_seed=13), path, raw)
    response = _raw_post(client, agent, body)
    assert response.status_code == 422, response.get_json()
    assert path in [f["field"] for f in response.get_json()["fields"]]
    assert _nothing_stored(database)


@pytest.mark.parametrize("raw", OUT_OF_RANGE + [b"-1", b"12.5"])
@pytest.mark.parametrize("hashed_canonically", [False, True])
def test_an_unchanged_report_with_an_out_of_range_spool_count_is_422(client, database, make_agent, reports, raw,
                                                                     hashed_canonically):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=14, spool_dropped=2)
    if hashed_canonically:  # a package named like a volatile key: the raw-byte fast path steps aside
        first["software"].append({"name": "spool_dropped", "source": "dpkg"})
    assert _post(client, agent, first).status_code == 201
    again = _with_raw_value({**first, "report_id": str(uuid.uuid4())}, "spool_dropped", raw)
    response = _raw_post(client, agent, again)
    assert response.status_code == 422, response.get_json()
    assert [f["field"] for f in response.get_json()["fields"]] == ["spool_dropped"]
    assert _count(database, ReportReceipt) == 1
    with database.session() as session:
        assert session.get(Agent, agent.agent_id).reports_dropped == 2


def test_spool_drop_counts_add_up_without_overflowing_the_column(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=15, spool_dropped=2**31 - 1)
    assert _post(client, agent, first).status_code == 201
    again = {**first, "report_id": str(uuid.uuid4()), "spool_dropped": 2**31 - 1}
    response = _post(client, agent, again)
    assert response.status_code == 201 and response.get_json()["status"] == "unchanged"
    with database.session() as session:
        assert session.get(Agent, agent.agent_id).reports_dropped == 2**31 - 1  # saturates at the int4 maximum


# Issue 16, defect 8: a report dated in the future would make every later one "historical".
FUTURE = "2099-01-01T00:00:00+00:00"


def _assert_future_refused(response, field):
    assert response.status_code == 422, response.get_json()
    problem = {f["field"]: f["message"] for f in response.get_json()["fields"]}[field]
    assert "2099-01-01T00:00:00" in problem and "collector's clock" in problem and "600 s" in problem


def test_a_report_from_the_future_is_422_and_does_not_freeze_the_asset(client, database, make_agent, reports):
    agent = make_agent()
    first = reports.report(agent.agent_id, host_seed=16, collected_at=(datetime.now(timezone.utc) - timedelta(hours=1)).isoformat())
    assert _post(client, agent, first).status_code == 201
    future = json.loads(json.dumps(first))
    future.update(report_id=str(uuid.uuid4()), collected_at=FUTURE)
    future["host"]["hostname"] = "from-the-future"
    _assert_future_refused(_post(client, agent, future), "collected_at")
    assert _count(database, Observation) == 1 and _count(database, ReportReceipt) == 1
    later = json.loads(json.dumps(first))
    later.update(report_id=str(uuid.uuid4()), collected_at=datetime.now(timezone.utc).isoformat())
    later["host"]["hostname"] = "renamed"
    assert _post(client, agent, later).get_json()["status"] == "stored"
    with database.session() as session:
        assert session.scalar(select(Asset.hostname)) == "renamed"


@pytest.mark.parametrize("first_report", [True, False])
def test_a_future_time_is_refused_on_the_first_and_the_unchanged_path(client, database, make_agent, reports, first_report):
    agent = make_agent()
    report = reports.report(agent.agent_id, host_seed=17)
    if not first_report:
        assert _post(client, agent, report).status_code == 201
    _assert_future_refused(_post(client, agent, {**report, "report_id": str(uuid.uuid4()), "collected_at": FUTURE}),
                           "collected_at")
    assert _count(database, ReportReceipt) == (0 if first_report else 1)
    with database.session() as session:
        observation = session.scalar(select(Observation))
        assert observation is None or observation.last_collected_at.year < 2099


def test_a_clock_a_little_ahead_is_within_the_allowed_skew(client, database, make_agent, reports):
    agent = make_agent()
    ahead = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    assert _post(client, agent, reports.report(agent.agent_id, collected_at=ahead)).status_code == 201
