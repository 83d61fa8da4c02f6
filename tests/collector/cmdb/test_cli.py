"""stocktake-collector cmdb import / export, run as a user would (subprocess, real database)."""

from pathlib import Path


SAMPLE = Path(__file__).resolve().parents[3] / "scripts" / "sample-cmdb.csv"


def test_dry_run_then_import_then_export_round_trip(cmdb_cli, tmp_path, cmdb_state):
    dry = cmdb_cli("import", str(SAMPLE), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == "dry run, nothing stored: would create 32, update 0, unchanged 0"
    assert "  warning: row 24, Serial Number: 'To be filled by O.E.M.' is a placeholder" in dry.stdout
    assert "  row 2: create SRV-0001" in dry.stdout
    assert cmdb_state() == ([], [], [])

    stored = cmdb_cli("import", str(SAMPLE))
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.startswith("imported 32 rows: create 32, update 0, unchanged 0 (batch ")

    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"out.{fmt}"
        exported = cmdb_cli("export", "--format", fmt, "-o", str(target))
        assert exported.returncode == 0, exported.stderr
        again = cmdb_cli("import", str(target), "--dry-run")
        assert again.stdout.splitlines()[0] == "dry run, nothing stored: would create 0, update 0, unchanged 32"


def test_a_bad_file_prints_every_problem_and_exits_2(cmdb_cli, tmp_path, cmdb_state):
    bad = tmp_path / "bad.csv"
    bad.write_text("Asset Tag,Purchase Date,Colour\nLT-1,31/12/2024,red\nLT-1,,\n", encoding="utf-8")
    result = cmdb_cli("import", str(bad))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "rejected: 3 problem(s); nothing was imported",
        '  row 1, Colour: unknown column; rename it to a known header, or map it to a field or to "ignore" in the mapping',
        "  row 2, Purchase Date: not a date: '31/12/2024'; write YYYY-MM-DD (or set date_format in the mapping)",
        "  row 3, Asset Tag: duplicate asset tag 'LT-1' (also on row 2)",
    ]
    assert cmdb_state() == ([], [], [])


def test_a_hostile_xlsx_exits_2_naming_the_problem_without_a_traceback(cmdb_cli, tmp_path, cmdb_state):
    from tests.collector.cmdb.sheets import HOSTILE_SHEETS, with_sheet_xml

    for name, xml in sorted(HOSTILE_SHEETS.items()):
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(with_sheet_xml(xml))
        result = cmdb_cli("import", str(path))
        assert result.returncode == 2, (name, result.stderr)
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == "rejected: 1 problem(s); nothing was imported", result.stderr
        assert lines[1].startswith("  file: the workbook's XML "), result.stderr
    assert cmdb_state() == ([], [], [])


def test_mapping_file(cmdb_cli, tmp_path, ci):
    mapping = tmp_path / "site.toml"
    mapping.write_text('date_format = "%d/%m/%Y"\n[columns]\n"Colour" = "ignore"\n', encoding="utf-8")
    register = tmp_path / "register.csv"
    register.write_text("Asset Tag,Purchase Date,Colour\nLT-1,31/12/2024,red\n", encoding="utf-8")
    result = cmdb_cli("import", str(register), "--mapping", str(mapping))
    assert result.returncode == 0, result.stderr
    assert str(ci("LT-1")[0].purchase_date) == "2024-12-31"
    broken = tmp_path / "broken.toml"
    broken.write_text('[columns]\n"Colour" = "paint"\n', encoding="utf-8")
    refused = cmdb_cli("import", str(register), "--mapping", str(broken))
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: invalid column mapping\n  broken.toml.columns.Colour: 'paint' is not one of")


def test_unknown_extension_needs_format(cmdb_cli, tmp_path):
    register = tmp_path / "register.txt"
    register.write_text("Asset Tag\nLT-1\n", encoding="utf-8")
    assert cmdb_cli("import", str(register)).returncode == 2
    assert cmdb_cli("import", str(register), "--format", "csv").returncode == 0
