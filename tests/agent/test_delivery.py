"""Delivery against a scripted collector on loopback: status codes, Retry-After, backoff."""

import random
import uuid

import pytest

from agent.delivery import Backoff, KeyKeeper, deliver_spool
from agent.spool import Spool
from agent.state import AgentIdentity
from agent.transport import CollectorClient


def _spool_with(tmp_path, count):
    spool = Spool(tmp_path / "spool")
    for _ in range(count):
        spool.put({"report_id": str(uuid.uuid4())})
    return spool


class _Clock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def _keys(enrolled=None):
    return KeyKeeper(AgentIdentity("a1", "stkn_old"), lambda previous: enrolled.append(previous) or AgentIdentity("a1", "stkn_new"))


def test_full_jitter_stays_within_the_exponential_envelope():
    backoff = Backoff(base_s=1, cap_s=60, rng=random.Random(3))
    for attempt in range(1, 10):
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= min(60, 2**attempt) for d in delays)
        assert max(delays) > 0.5 * min(60, 2**attempt)  # really spread, not constant
    assert backoff.delay(3, retry_after=17) == 17


def test_busy_collector_is_retried_honouring_retry_after(tmp_path, scripted):
    server = scripted([429, 503, 201], retry_after=7)
    clock = _Clock()
    result = deliver_spool(_spool_with(tmp_path, 1), CollectorClient(server.url), _keys(), budget_s=60,
                           sleep=clock.sleep, clock=clock)
    assert (result.delivered, result.remaining, result.error) == (1, 0, None)
    assert clock.sleeps == [7, 7]


def test_out_of_budget_leaves_reports_spooled_in_order(tmp_path, scripted):
    server = scripted([503] * 20)
    clock = _Clock()
    spool = _spool_with(tmp_path, 3)
    first = spool.pending()[0].report_id
    result = deliver_spool(spool, CollectorClient(server.url), _keys(), budget_s=5,
                           backoff=Backoff(base_s=1, rng=random.Random(1)), sleep=clock.sleep, clock=clock)
    assert result.remaining == 3 and "503" in result.error
    assert spool.pending()[0].report_id == first
    assert sum(clock.sleeps) <= 5


def test_a_report_refused_for_good_is_moved_aside_and_the_rest_go(tmp_path, scripted):
    server = scripted([422])
    spool = _spool_with(tmp_path, 2)
    result = deliver_spool(spool, CollectorClient(server.url), _keys(), sleep=lambda s: None)
    assert (result.delivered, result.rejected, result.remaining) == (1, 1, 0)
    rejected = list((tmp_path / "spool" / "rejected").glob("*.json.gz"))
    assert len(rejected) == 1
    assert "422" in (rejected[0].parent / (rejected[0].name + ".reason")).read_text()


def test_401_renews_the_key_once_then_stops(tmp_path, scripted):
    server = scripted([401, 401, 401])
    enrolled = []
    result = deliver_spool(_spool_with(tmp_path, 2), CollectorClient(server.url), _keys(enrolled), sleep=lambda s: None)
    assert enrolled == [AgentIdentity("a1", "stkn_old")]  # exactly one re-enrolment, with the previous identity
    assert result.remaining == 2 and "401" in result.error
    assert [c for c in server.calls if c.startswith("/api/v1/inventory")] == [
        "/api/v1/inventory Bearer stkn_old", "/api/v1/inventory Bearer stkn_new"]


@pytest.mark.parametrize("damage", [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40, b"\x1f\x8b\x08\x00garbage"])
def test_a_corrupt_spool_file_is_moved_aside_and_the_rest_go(tmp_path, scripted, damage):
    server = scripted([])
    spool = _spool_with(tmp_path, 3)
    corrupt = spool.pending()[1].path
    corrupt.write_bytes(damage)  # a deflate stream zlib cannot read: zlib.error, not OSError
    result = deliver_spool(spool, CollectorClient(server.url), _keys(), sleep=lambda s: None)
    assert (result.delivered, result.rejected, result.remaining) == (2, 1, 0)
    assert (tmp_path / "spool" / "rejected" / corrupt.name).exists()
    assert "unreadable spool file" in (tmp_path / "spool" / "rejected" / (corrupt.name + ".reason")).read_text()


def _attempt(spool, server, **kwargs):
    clock = _Clock()
    return deliver_spool(spool, CollectorClient(server.url), _keys(), sleep=clock.sleep, clock=clock,
                         backoff=Backoff(base_s=1, rng=random.Random(2)), **kwargs)


def test_a_report_the_collector_fails_on_never_blocks_the_others_and_is_rejected_after_n(tmp_path, scripted):
    poison = str(uuid.uuid4())
    server = scripted(fail={poison: 500})
    Spool(tmp_path / "spool").put({"report_id": poison})
    for attempt in range(1, 4):  # each attempt as a separate run: a new Spool, counts read from disk
        spool = Spool(tmp_path / "spool")
        spool.put({"report_id": str(uuid.uuid4())})
        result = _attempt(spool, server, max_failures=3)
        assert result.delivered == 1  # the report behind the bad one got through
        if attempt < 3:
            assert (result.failed, result.rejected, result.remaining) == (1, 0, 1)
            assert "500" in result.error and spool.failures(spool.pending()[0]) == attempt
    assert (result.failed, result.rejected, result.remaining) == (0, 1, 0)
    rejected = tmp_path / "spool" / "rejected"
    [moved] = rejected.glob("*.json.gz")
    assert poison in moved.name and spool.rejected == 1
    assert "failed on this report 3 times" in (rejected / (moved.name + ".reason")).read_text()
    assert server.received().count(poison) == 3  # one try per attempt, no retry storm
    assert not list((tmp_path / "spool").glob("*.failed"))


@pytest.mark.parametrize("status", [503, 429, 408, 502, 504, None])
def test_a_busy_or_absent_collector_never_counts_against_a_report(tmp_path, scripted, status):
    server = scripted([status or 500] * 1000, retry_after=1 if status in (429, 503) else None)
    spool = _spool_with(tmp_path, 2)
    url = server.url if status else "http://127.0.0.1:9"  # nothing listens on port 9
    for _ in range(8):
        clock = _Clock()
        result = deliver_spool(spool, CollectorClient(url), _keys(), budget_s=10, sleep=clock.sleep, clock=clock,
                               max_failures=2)
        assert (result.delivered, result.rejected, result.remaining) == (0, 0, 2)
    assert all(spool.failures(entry) == 0 for entry in spool.pending())
    assert not (tmp_path / "spool" / "rejected").exists()


def test_a_500_with_retry_after_is_busy_not_the_reports_fault(tmp_path, scripted):
    server = scripted([500, 500], retry_after=2)
    result = _attempt(_spool_with(tmp_path, 1), server, max_failures=1)
    assert (result.delivered, result.rejected, result.failed) == (1, 0, 0)


def test_a_collector_failing_on_everything_blames_no_report(tmp_path, scripted):
    server = scripted([500] * 1000)
    spool = _spool_with(tmp_path, 20)
    for _ in range(8):
        result = _attempt(spool, server, max_failures=2)
        assert (result.delivered, result.rejected, result.remaining) == (0, 0, 20)
        assert "not held against any" in result.error
    assert len(server.received()) == 16  # the oldest and the newest per attempt, nothing more
    assert all(spool.failures(entry) == 0 for entry in spool.pending())


def test_several_bad_reports_at_the_head_are_all_counted_once_the_newest_goes_through(tmp_path, scripted):
    spool = _spool_with(tmp_path, 5)
    ids = [entry.report_id for entry in spool.pending()]
    server = scripted(fail={report_id: 500 for report_id in ids[:3]})
    result = _attempt(spool, server)
    assert (result.delivered, result.failed, result.remaining) == (2, 3, 3)
    assert [spool.failures(entry) for entry in spool.pending()] == [1, 1, 1]
    assert server.received() == [ids[0], ids[4], ids[1], ids[2], ids[3]]  # the newest proved the collector works
