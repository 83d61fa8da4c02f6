import json
import os
import sys

from agent.probes import usage
from agent.probes.usage import UsageProbe, running_executables
from common.schema import ExecutableUsage


class _Process:
    def __init__(self, exe):
        self.info = {"exe": exe}


def _processes(*paths):
    return lambda attrs: [_Process(path) for path in paths]


def _clock(*times):
    ticks = iter(times)
    return lambda: next(ticks)


def test_running_executables_skips_kernel_threads_denied_and_unreportable_paths():
    paths = running_executables(_processes(
        "/usr/bin/bash", "/usr/bin/bash", None, "", "/memfd:sealed-91173221a7ea",
        "/opt/" + "x" * 1100, "/home/amelie/caf\udce9", "/opt/Café/bin/café",
    )(["exe"]))
    assert paths == {"/usr/bin/bash", "/opt/Café/bin/café"}


def test_in_memory_state_keeps_earlier_samples():
    probe = UsageProbe(process_iter=_processes("/usr/bin/bash", "/usr/lib/firefox/firefox"), clock=_clock(1_700_000_000))
    probe.sample()
    probe._process_iter = _processes("/usr/bin/bash")
    probe._clock = _clock(1_700_003_600)
    assert probe.collect() == {"usage": [
        {"path": "/usr/bin/bash", "last_seen_running": "2023-11-14T00:00:00+00:00"},
        {"path": "/usr/lib/firefox/firefox", "last_seen_running": "2023-11-14T00:00:00+00:00"},
    ]}


def test_state_file_carries_samples_across_restarts(tmp_path):
    state = tmp_path / "usage.json"
    UsageProbe(state, _processes("/usr/bin/gimp"), _clock(1_700_000_000)).collect()
    assert json.loads(state.read_text()) == {"version": 1, "last_seen": {"/usr/bin/gimp": 1_700_000_000}}
    fragment = UsageProbe(state, _processes("/usr/bin/vim"), _clock(1_700_000_060)).collect()
    assert [entry["path"] for entry in fragment["usage"]] == ["/usr/bin/gimp", "/usr/bin/vim"]
    for entry in fragment["usage"]:
        ExecutableUsage.model_validate(entry)
    assert os.listdir(tmp_path) == ["usage.json"]  # no temporary file left behind


def test_state_is_bounded_and_drops_the_longest_unseen(tmp_path, monkeypatch):
    monkeypatch.setattr(usage, "MAX_ENTRIES", 3)
    state = tmp_path / "usage.json"
    state.write_text(json.dumps({"version": 1, "last_seen": {"/old": 100, "/older": 50, "/recent": 300}}))
    fragment = UsageProbe(state, _processes("/now"), _clock(400)).collect()
    assert [entry["path"] for entry in fragment["usage"]] == ["/now", "/old", "/recent"]
    assert set(json.loads(state.read_text())["last_seen"]) == {"/now", "/old", "/recent"}


def test_corrupt_state_is_reported_and_replaced(tmp_path):
    state = tmp_path / "usage.json"
    state.write_text('{"version": 1, "last_seen": {"/usr/bin/b')  # torn by a crash of an older writer
    fragment = UsageProbe(state, _processes("/usr/bin/bash"), _clock(1_700_000_000)).collect()
    assert [entry["path"] for entry in fragment["usage"]] == ["/usr/bin/bash"]
    assert fragment["probe_errors"][0]["probe"] == "usage"
    assert "unreadable, started afresh" in fragment["probe_errors"][0]["error"]
    assert json.loads(state.read_text())["last_seen"] == {"/usr/bin/bash": 1_700_000_000}


def test_failed_save_keeps_the_previous_state_and_is_reported(tmp_path, monkeypatch):
    state = tmp_path / "usage.json"
    state.write_text(json.dumps({"version": 1, "last_seen": {"/usr/bin/gimp": 1_700_000_000}}))

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(usage.os, "replace", full_disk)
    fragment = UsageProbe(state, _processes("/usr/bin/vim"), _clock(1_700_000_060)).collect()
    assert [entry["path"] for entry in fragment["usage"]] == ["/usr/bin/gimp", "/usr/bin/vim"]
    assert "not saved: [Errno 28] No space left on device" in fragment["probe_errors"][0]["error"]
    assert json.loads(state.read_text())["last_seen"] == {"/usr/bin/gimp": 1_700_000_000}
    assert os.listdir(tmp_path) == ["usage.json"]


def test_real_processes_include_this_test_run():
    fragment = UsageProbe().collect()
    assert os.path.realpath(sys.executable) in {entry["path"] for entry in fragment["usage"]}


def test_implausible_state_entries_are_dropped(tmp_path):
    state = tmp_path / "usage.json"
    state.write_text('{"version": 1, "last_seen": {"/ok": 100, "/inf": Infinity, "/far": 99999999999999, "/neg": -5,'
                     ' "/text": "yesterday"}}')
    fragment = UsageProbe(state, _processes(), _clock(200)).collect()
    assert fragment == {"usage": [{"path": "/ok", "last_seen_running": "1970-01-01T00:00:00+00:00"}]}


def test_samples_on_the_same_day_give_identical_reports_and_a_new_day_shows():
    probe = UsageProbe(process_iter=_processes("/usr/bin/bash"), clock=_clock(1_700_000_000, 1_700_003_600, 1_700_100_000))
    morning, later = probe.collect(), probe.collect()
    assert morning == later  # an unchanged machine sends an unchanged report
    assert probe.collect()["usage"][0]["last_seen_running"] == "2023-11-16T00:00:00+00:00"
