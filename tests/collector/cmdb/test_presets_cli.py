"""--preset on `stocktake-collector cmdb import` and `preset` on POST /api/v1/cis/import."""

from __future__ import annotations

import io

import pytest

from tests.collector.cmdb.foreign_exports import GLPI_COMPUTER_HEADERS, glpi_computers, snipeit_report, with_row


def test_dry_run_import_and_reimport_of_a_snipe_it_report(cmdb_cli, tmp_path, cmdb_state):
    path = tmp_path / "custom-assets-report-2026-12-06-093000.csv"
    path.write_bytes(snipeit_report(200).data)
    dry = cmdb_cli("import", str(path), "--preset", "snipeit", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == "dry run, nothing stored: would create 200, update 0, unchanged 0"
    assert "  warning: row 8, Category: no class for 'Label Printers'; stored as other" in dry.stdout
    assert cmdb_state() == ([], [], [])

    stored = cmdb_cli("import", str(path), "--preset", "snipeit")
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.startswith("imported 200 rows: create 200, update 0, unchanged 0 (batch ")
    again = cmdb_cli("import", str(path), "--preset", "snipeit")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("imported 200 rows: create 0, update 0, unchanged 200 (batch ")


def test_a_bad_glpi_export_exits_2_naming_each_row_and_column(cmdb_cli, tmp_path, cmdb_state):
    column = GLPI_COMPUTER_HEADERS.index
    text = with_row(glpi_computers(20).text, 6, {column("Status"): "Quarantined"}, ";")
    text = with_row(text, 9, {column("Inventory number"): "", column("Serial number"): ""}, ";")
    path = tmp_path / "glpi.csv"
    path.write_text(text, encoding="utf-8")
    result = cmdb_cli("import", str(path), "--preset", "glpi-computers")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "rejected: 2 problem(s); nothing was imported"
    assert lines[1].startswith("  row 6, Status: unknown status 'Quarantined'; use one of ordered, in_stock")
    assert lines[2] == "  row 9, Inventory number: needs an asset tag or a usable serial number"
    assert cmdb_state() == ([], [], [])


def test_an_unknown_preset_is_a_usage_error_listing_the_presets(cmdb_cli, tmp_path, cmdb_state):
    path = tmp_path / "x.csv"
    path.write_text("Asset Tag\nLT-1\n", encoding="utf-8")
    result = cmdb_cli("import", str(path), "--preset", "snipe-it")
    assert result.returncode == 2
    assert ("Invalid value for '--preset': 'snipe-it' is not one of 'snipeit', 'glpi-computers', 'glpi-network'."
            in result.stderr)
    assert cmdb_state() == ([], [], [])


def test_the_help_lists_every_registered_preset(cmdb_cli):
    from collector.cmdb.presets import PRESET_NAMES

    result = cmdb_cli("import", "--help")
    assert result.returncode == 0
    assert f"--preset [{'|'.join(PRESET_NAMES)}]" in result.stdout


def test_a_mapping_file_is_laid_over_the_preset(cmdb_cli, tmp_path, ci):
    mapping = tmp_path / "site.toml"
    mapping.write_text('[statuses]\n"Pending" = "ordered"\n', encoding="utf-8")
    path = tmp_path / "report.csv"
    path.write_bytes(snipeit_report(5).data)
    result = cmdb_cli("import", str(path), "--preset", "snipeit", "--mapping", str(mapping))
    assert result.returncode == 0, result.stderr
    assert ci("A-10002")[0].status == "ordered"  # "Pending (pending)"
    assert ci("A-10000")[0].status == "in_stock"


# --- API ----------------------------------------------------------------------------------

@pytest.fixture
def operator(make_token):
    return make_token("operator")


def test_api_import_with_a_preset_query_parameter(client, operator, database):
    export = glpi_computers(30)
    response = client.post("/api/v1/cis/import?preset=glpi-computers", headers=operator, data=export.data,
                           content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["imported"], body["created"]) == (True, 30)
    assert body["columns"]["Inventory number"] == "asset_tag"
    assert body["columns"]["Entity"] == "attribute"
    detail = client.get("/api/v1/cis?q=INV-20001", headers=operator).get_json()["items"][0]
    ci = client.get(f"/api/v1/cis/{detail['id']}", headers=operator).get_json()
    assert ci["attributes"]["Entity"] == "Root entity > Europe"
    assert (ci["status"], ci["class"]) == ("in_stock", "computer")  # "In stock", "Desktop"


def test_api_multipart_preset_field_and_dry_run(client, operator, database):
    response = client.post("/api/v1/cis/import?dry_run=true", headers=operator, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(snipeit_report(12).data), "report.csv"), "preset": "snipeit"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["dry_run"], body["created"], body["imported"]) == (True, 12, False)
    assert client.get("/api/v1/cis", headers=operator).get_json()["total"] == 0


def test_api_unknown_preset_is_422_naming_the_presets(client, operator, database):
    response = client.post("/api/v1/cis/import?preset=glpi", headers=operator, data=b"Asset Tag\nLT-1\n",
                           content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["fields"] == [
        {"field": "preset", "message": "unknown preset 'glpi'; use one of snipeit, glpi-computers, glpi-network"}]
    assert client.get("/api/v1/cis", headers=operator).get_json()["total"] == 0


def test_api_bad_rows_with_a_preset_are_422_with_every_row(client, operator, database):
    column = GLPI_COMPUTER_HEADERS.index
    text = with_row(glpi_computers(10).text, 3, {column("Status"): "Quarantined"}, ";")
    response = client.post("/api/v1/cis/import?preset=glpi-computers", headers=operator, data=text.encode(),
                           content_type="text/csv")
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.get_json()["errors"]] == [(3, "Status")]
    assert client.get("/api/v1/cis", headers=operator).get_json()["total"] == 0
