"""CommittedIds (collector/db.py): ids kept only when their transaction commits, bounded, clearable."""

from types import SimpleNamespace

from collector.db import CommittedIds


def _session():
    return SimpleNamespace(info={})


def test_ids_are_kept_on_commit_and_dropped_on_rollback():
    known, committed, rolled_back = CommittedIds(), _session(), _session()
    known.learn(committed, {"a": 1})
    known.learn(rolled_back, {"b": 2})
    known._committed(committed)
    CommittedIds._rolled_back(rolled_back)
    known._committed(rolled_back)  # nothing pending any more
    assert (known.get("a"), known.get("b")) == (1, None)


def test_it_empties_rather_than_grow_past_its_bound():
    known = CommittedIds(max_entries=3)
    for batch in ({"a": 1, "b": 2}, {"c": 3}, {"d": 4}):
        session = _session()
        known.learn(session, batch)
        known._committed(session)
    assert [known.get(key) for key in "abcd"] == [None, None, None, 4]


def test_clear_all_forgets_every_instance():
    first, second = CommittedIds(), CommittedIds()
    for known in (first, second):
        session = _session()
        known.learn(session, {"x": 9})
        known._committed(session)
    CommittedIds.clear_all()
    assert first.get("x") is None and second.get("x") is None
