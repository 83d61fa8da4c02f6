"""The disk spool: atomic files, bounds, drop accounting, survival of SIGKILL."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from agent.spool import Spool, SpoolError

ROOT = Path(__file__).resolve().parents[2]


def _report(size: int = 10) -> dict:
    return {"report_id": str(uuid.uuid4()), "software": [{"name": f"p{i}", "source": "dpkg"} for i in range(size)]}


def test_reports_come_back_oldest_first_and_leave_only_when_removed(tmp_path):
    spool = Spool(tmp_path / "spool")
    reports = [_report() for _ in range(3)]
    for report in reports:
        spool.put(report)
    entries = spool.pending()
    assert [e.report_id for e in entries] == [r["report_id"] for r in reports]
    assert json.loads(gzip.decompress(spool.read(entries[0])))["report_id"] == reports[0]["report_id"]
    spool.remove(entries[0])
    assert spool.depth == 2
    assert all(os.stat(e.path).st_mode & 0o777 == 0o600 for e in spool.pending())


def test_count_bound_drops_the_oldest_and_counts_them_once(tmp_path):
    spool = Spool(tmp_path / "spool", max_reports=3)
    reports = [_report() for _ in range(5)]
    for report in reports:
        spool.put(report)
    assert [e.report_id for e in spool.pending()] == [r["report_id"] for r in reports[2:]]
    assert spool.take_dropped() == 2
    assert spool.take_dropped() == 0


def test_byte_bound_drops_the_oldest(tmp_path):
    one = len(gzip.compress(json.dumps(_report(200), separators=(",", ":")).encode(), 6, mtime=0))
    spool = Spool(tmp_path / "spool", max_bytes=int(one * 2.5))
    for _ in range(4):
        spool.put(_report(200))
    assert spool.depth == 2
    assert spool.dropped() == 2


def test_a_report_larger_than_the_whole_spool_is_refused_clearly(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=100)
    with pytest.raises(SpoolError, match="exceeds the spool limit"):
        spool.put(_report(100))


def test_unwritable_location_is_a_spool_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError, match="cannot write the spool"):
        Spool(blocker / "spool").put(_report())


WRITER = """
import sys, uuid
from agent.spool import Spool
spool = Spool(sys.argv[1], max_reports=10_000, max_bytes=1 << 30)
print("ready", flush=True)
for i in range(2000):  # ~1.5 ms each with fsync here: seconds of writing, killed within 0.5 s
    spool.put({"report_id": str(uuid.uuid4()), "pad": "x" * 40_000, "software": [{"name": str(j)} for j in range(500)]})
"""


@pytest.mark.parametrize("kill_after_s", [0.05, 0.15, 0.3, 0.5])
def test_sigkill_during_2000_writes_leaves_no_corrupt_report(tmp_path, kill_after_s):
    directory = tmp_path / "spool"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], cwd=ROOT, stdout=subprocess.PIPE)
    assert writer.stdout.readline().strip() == b"ready"
    time.sleep(kill_after_s)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    writer.stdout.close()
    spool = Spool(directory)
    spool.cleanup_temporary()
    entries = spool.pending()
    for entry in entries:
        document = json.loads(gzip.decompress(spool.read(entry)))
        assert document["report_id"] == entry.report_id
    assert not list(directory.glob("*.tmp"))
    assert len(entries) < 2000 or writer.returncode == 0  # it was really interrupted, or finished


def _damage(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if kind == "deflate":  # valid gzip header, garbage compressed stream: zlib.error
        path.write_bytes(data[:10] + b"\xff" * (len(data) - 10))
    elif kind == "crc":  # intact stream, wrong checksum: gzip.BadGzipFile
        path.write_bytes(data[:-8] + bytes(8))
    elif kind == "not-gzip":
        path.write_bytes(b"plain text, not gzip at all")
    else:  # truncated: EOFError
        path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind", ["deflate", "crc", "not-gzip", "truncated"])
def test_a_damaged_spool_file_is_one_clear_error_whatever_the_damage(tmp_path, kind):
    from agent.spool import SpoolCorrupt

    spool = Spool(tmp_path / "spool")
    entry = spool.put(_report())
    _damage(entry.path, kind)
    with pytest.raises(SpoolCorrupt, match="damaged spool file"):
        spool.read(entry)


def test_rejected_reports_are_bounded_keeping_the_newest_with_their_reasons(tmp_path, monkeypatch):
    import agent.spool as spool_module

    monkeypatch.setattr(spool_module, "REJECTED_KEEP", 3)
    spool = Spool(tmp_path / "spool")
    ids = []
    for n in range(5):
        entry = spool.put(_report(n))
        ids.append(entry.report_id)
        spool.reject(entry, f"refused {n}")
    rejected = tmp_path / "spool" / "rejected"
    kept = sorted(p.name for p in rejected.iterdir() if p.name.endswith(".json.gz"))
    assert spool.rejected == 3
    assert [name.split("-", 1)[1].removesuffix(".json.gz") for name in kept] == ids[2:]
    reasons = sorted((rejected / (name + ".reason")).read_text() for name in kept)
    assert reasons == ["refused 2\n", "refused 3\n", "refused 4\n"]
    assert len(list(rejected.iterdir())) == 6  # no orphaned .reason files
