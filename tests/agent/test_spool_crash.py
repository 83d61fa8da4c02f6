"""Battery test R2: SIGKILL the agent at random points of spooling 1,000 times; the spool is
never corrupt.

Each kill forks a child that spools reports in a loop into a small spool (so the oldest are
being dropped all the time) and SIGKILLs it a random few milliseconds after its first report; os.fork rather
than a new interpreter keeps 1,000 kills within seconds. After every batch the spool is
checked: every file is a complete readable report, a temporary file that cleanup removes,
or a drop marker; no report is present twice or half-present; and every report that made
it into the spool is either still there or counted exactly once as dropped.
"""

import gzip
import json
import os
import random
import select
import signal
import time
import uuid

from agent.atomic import TMP_SUFFIX
from agent.spool import DROPPED, SUFFIX, Spool

KILLS, BATCH = 1000, 50
MAX_REPORTS = 5
PER_CHILD = 100_000  # sequence numbers per child: child k spools k * PER_CHILD + 0, 1, 2, ...


def _spool_until_killed(directory: str, first: int, ready: int) -> None:
    """The child: spool reports numbered from ``first``, as fast as it can (never returns)."""
    try:
        spool = Spool(directory, max_reports=MAX_REPORTS)
        pad = random.Random(first).randbytes(3000).hex()  # a few KB that gzip cannot shrink to nothing
        for number in range(first, first + PER_CHILD):  # bounded; a kill comes long before the end
            spool.put({"report_id": str(uuid.UUID(int=number)), "pad": pad})
            if number == first:
                os.write(ready, b"r")  # one report is in: however slow the disk, every child adds one
    finally:
        os._exit(0)


def _put_seconds(directory) -> float:
    """How long one put takes on this disk (fsyncs dominate): kills are spread over a few puts."""
    spool = Spool(directory / "scratch", max_reports=MAX_REPORTS)
    started = time.perf_counter()
    for number in range(10):
        spool.put({"report_id": str(uuid.UUID(int=number)), "pad": "x" * 6000})
    return (time.perf_counter() - started) / 10


def _kill_one(directory, child_number: int, rng: random.Random, window_s: float) -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _spool_until_killed(str(directory), child_number * PER_CHILD, write_end)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)  # hang guard only
        assert ready, "the spooling child never started"
        time.sleep(rng.uniform(0, window_s))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"child ended with {status:#x}"
    finally:
        os.close(read_end)


def _number(name: str) -> int:
    return uuid.UUID(name.split(SUFFIX)[0].split("-", 1)[1]).int


def _check(directory, seen: dict[int, str]) -> int:
    """Check the spool after a batch; the drop markers are then consumed as a delivered report would.

    ``seen`` maps each report number ever found to how it was found ("spooled" or "dropped").
    Returns the temporary files cleanup removed.
    """
    names = os.listdir(directory)
    unknown = [n for n in names if not n.endswith((SUFFIX, SUFFIX + TMP_SUFFIX, DROPPED))]
    assert not unknown, f"unexpected files in the spool: {unknown}"
    spool = Spool(directory, max_reports=MAX_REPORTS)
    removed = spool.cleanup_temporary()
    assert not [n for n in os.listdir(directory) if n.endswith(TMP_SUFFIX)]
    pending = spool.pending()
    assert len(pending) <= MAX_REPORTS
    for entry in pending:
        document = json.loads(gzip.decompress(spool.read(entry)))  # complete, or this raises
        assert document["report_id"] == entry.report_id
    drops = spool.drops()
    assert isinstance(drops.count, int) and drops.count == len(drops.markers)  # one per report, none torn
    assert all(marker.stat().st_size == 0 for marker in drops.markers)  # cleanup finished any truncate
    found = {_number(e.path.name): "spooled" for e in pending}
    for marker in drops.markers:
        number = _number(marker.name)
        assert number not in found, f"report {number} both spooled and dropped"
        found[number] = "dropped"
    for number, how in found.items():
        # Reports go unseen -> spooled -> dropped; a report already counted as dropped never shows again.
        assert seen.get(number) != "dropped", f"report {number} dropped earlier is back ({how}): counted twice"
        seen[number] = how
    spool.forget(drops)  # as the next report carrying the count would
    return removed


def _assert_every_report_accounted_for(seen: dict[int, str]) -> None:
    """Per child, the reports seen are a gap-free run from its first number (only an unfinished last one is missing)."""
    by_child: dict[int, list[int]] = {}
    for number in seen:
        by_child.setdefault(number // PER_CHILD, []).append(number % PER_CHILD)
    for child, offsets in by_child.items():
        assert sorted(offsets) == list(range(len(offsets))), f"child {child}: a spooled report vanished uncounted"


def test_a_thousand_sigkills_while_spooling_never_corrupt_the_spool(tmp_path):
    directory = tmp_path / "spool"
    rng = random.Random(16)
    window_s = min(4 * _put_seconds(tmp_path), 0.05)  # up to about four puts per child
    seen: dict[int, str] = {}
    temporary_removed = 0
    for child in range(KILLS):
        _kill_one(directory, child, rng, window_s)
        if (child + 1) % BATCH == 0:
            temporary_removed += _check(directory, seen)
    _assert_every_report_accounted_for(seen)
    # The drop path was really exercised: every child spooled at least one report and the spool
    # keeps 5, so at least BATCH - MAX_REPORTS per batch were dropped (and counted, or the run above fails).
    assert sum(how == "dropped" for how in seen.values()) >= (KILLS // BATCH) * (BATCH - MAX_REPORTS)
    print(f"{len(seen)} reports spooled, {temporary_removed} interrupted writes cleaned up, window {window_s * 1e3:.1f} ms")
