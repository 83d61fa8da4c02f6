import os
from pathlib import Path

import pytest

from agent.probes.software.snap import SnapSource, parse_snap_list

FIXTURES = Path(__file__).parents[2] / "fixtures" / "linux"


def test_snap_list_strips_publisher_badges_and_local_dashes():
    snaps = parse_snap_list((FIXTURES / "snap-list.txt").read_text(encoding="utf-8"))
    by_name = {s["name"]: s for s in snaps}
    assert len(snaps) == 10
    assert by_name["acme-tool"] == {"name": "acme-tool", "version": "1.4.0", "source": "snap"}  # local: publisher "-"
    assert by_name["firefox"] == {"name": "firefox", "version": "127.0.2-1", "publisher": "mozilla", "source": "snap"}
    assert by_name["discord"]["publisher"] == "snapcrafters"  # starred "*"
    assert by_name["zoom-client"]["publisher"] == "ogra"  # unverified, no badge


def test_snap_install_date_comes_from_the_revision_lookup():
    dates = {("lxd", "28463"): "2024-05-02T10:00:00+00:00"}
    snaps = parse_snap_list((FIXTURES / "snap-list.txt").read_text(encoding="utf-8"), lambda n, r: dates.get((n, r)))
    assert [s for s in snaps if "install_date" in s] == [
        {"name": "lxd", "version": "5.21.1-d46c406", "publisher": "canonical", "source": "snap",
         "install_date": "2024-05-02T10:00:00+00:00"},
    ]


def test_snap_empty_cell_does_not_shift_the_columns():
    text = ("Name     Version  Rev  Tracking       Publisher    Notes\n"
            "broken            12   latest/stable  acme**       broken\n")
    assert parse_snap_list(text) == [{"name": "broken", "publisher": "acme", "source": "snap"}]


def test_snap_nothing_installed_is_an_empty_list():
    assert parse_snap_list("") == []


@pytest.mark.parametrize(("text", "message"), [
    ("Nom  Version  Rév  Suivi  Éditeur  Notes\n", "line 1: expected the header"),
    ("Name  Version  Rev  Tracking  Publisher  Notes\nfirefox 127.0.2-1 4451 latest/stable mozilla** -\n",
     "line 2: columns do not line up"),
])
def test_snap_unexpected_table_raises(text, message):
    with pytest.raises(ValueError, match=message):
        parse_snap_list(text)


def test_snap_revision_date_is_the_squashfs_mtime(tmp_path):
    (tmp_path / "lxd_28463.snap").write_bytes(b"hsqs")
    os.utime(tmp_path / "lxd_28463.snap", (1714644000, 1714644000))
    source = SnapSource(snaps_dir=tmp_path)
    assert source._install_time("lxd", "28463") == "2024-05-02T10:00:00+00:00"
    assert source._install_time("lxd", "28000") is None
