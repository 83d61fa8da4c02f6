"""/api/v1/cis: import (multipart and raw bodies, dry runs, 422 row lists), listing, detail, export, roles."""

import io
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.collector.cmdb.sheets import HOSTILE_SHEETS, with_sheet_xml, xlsx_bytes

SAMPLE = (Path(__file__).resolve().parents[3] / "scripts" / "sample-cmdb.csv").read_bytes()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _count(database) -> int:
    from collector.models.cmdb import ConfigurationItem

    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ConfigurationItem))


def _upload(client, headers, data: bytes, name="register.csv", query=""):
    return client.post(f"/api/v1/cis/import{query}", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.fixture
def operator(make_token):
    return make_token("operator")


@pytest.fixture
def imported(client, operator):
    response = _upload(client, operator, SAMPLE)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_multipart_import_stores_the_register(imported, database):
    assert (imported["imported"], imported["created"], imported["rows"]) == (True, 32, 32)
    assert imported["warnings"] == [{"row": 24, "column": "Serial Number",
                                     "message": "'To be filled by O.E.M.' is a placeholder, not a serial number; stored empty"}]
    assert _count(database) == 32


def test_dry_run_answers_the_preview_and_stores_nothing(client, operator, database):
    response = _upload(client, operator, SAMPLE, query="?dry_run=true")
    body = response.get_json()
    assert response.status_code == 200
    assert (body["dry_run"], body["imported"], body["created"], body["batch"]) == (True, False, 32, None)
    assert [(p["row"], p["action"], p["asset_tag"]) for p in body["preview"][:2]] == [(2, "create", "SRV-0001"),
                                                                                   (3, "create", "SRV-0002")]
    assert len(body["preview"]) == 20
    assert _count(database) == 0


def test_raw_csv_and_xlsx_bodies(client, operator, database):
    csv_response = client.post("/api/v1/cis/import", headers=operator, data=b"Asset Tag,Class\nLT-1,laptop\n",
                               content_type="text/csv; charset=utf-8")
    assert csv_response.status_code == 200, csv_response.get_json()
    xlsx = xlsx_bytes([["Asset Tag", "Class"], ["LT-1", "laptop"], ["LT-2", "desktop"]])
    xlsx_response = client.post("/api/v1/cis/import", headers=operator, data=xlsx, content_type=XLSX)
    assert (xlsx_response.get_json()["unchanged"], xlsx_response.get_json()["created"]) == (1, 1)
    assert _count(database) == 2


def test_a_bad_file_is_422_with_every_row_and_column_and_stores_nothing(client, operator, imported, database):
    bad = b"Asset Tag,Purchase Date,Notes\nSRV-0001,2024-02-30,fine\nLT-NEW,,=HYPERLINK(\"http://x\")\nSRV-0001,,\n"
    response = _upload(client, operator, bad)
    body = response.get_json()
    assert response.status_code == 422
    assert body["error"] == "3 problem(s) in the file; nothing was imported"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "Purchase Date"), (3, "Notes"), (4, "Asset Tag")]
    assert body["imported"] is False
    assert _count(database) == 32


@pytest.mark.parametrize("name", sorted(HOSTILE_SHEETS))
def test_a_malformed_or_hostile_xlsx_is_422_and_the_server_keeps_serving(client, operator, imported, database, name):
    response = _upload(client, operator, with_sheet_xml(HOSTILE_SHEETS[name]), name="register.xlsx")
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.get_json()["errors"]] == [(None, None)]
    assert "the workbook's XML" in response.get_json()["errors"][0]["message"]
    assert _count(database) == 32
    assert client.get("/api/v1/cis?per_page=1", headers=operator).status_code == 200


def test_non_utf8_upload_names_the_line(client, operator, database):
    response = _upload(client, operator, "Asset Tag,Location\nLT-1,Bür\n".encode("latin-1"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{
        "row": 2, "column": "Location",
        "message": "the file is not UTF-8: byte 0xFC on line 2 (byte 7 of the line) does not decode; "
                   "save the file as UTF-8 (in Excel: \"CSV UTF-8\") and import it again"}]
    assert _count(database) == 0


def test_mapping_parameter(client, operator, database):
    mapping = '{"columns": {"Inventory #": "asset_tag"}, "date_format": "%d.%m.%Y"}'
    response = client.post("/api/v1/cis/import", headers=operator, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"Inventory #,Purchase Date\nINV-1,24.12.2023\n"), "x.csv"),
                                 "mapping": mapping})
    assert response.status_code == 200, response.get_json()
    bad = client.post("/api/v1/cis/import?mapping=%7B%22columns%22%3A%7B%22X%22%3A%22nope%22%7D%7D", headers=operator,
                      data=b"Asset Tag\nLT-1\n", content_type="text/csv")
    assert bad.status_code == 422
    assert bad.get_json()["fields"][0]["field"] == "mapping.columns.X"
    assert _count(database) == 1


@pytest.mark.parametrize("role, status", [("auditor", 403), ("operator", 200), ("admin", 200)])
def test_import_needs_the_operator_role(client, make_token, database, role, status):
    response = client.post("/api/v1/cis/import", headers=make_token(role), data=b"Asset Tag\nLT-1\n", content_type="text/csv")
    assert response.status_code == status
    assert _count(database) == (0 if status == 403 else 1)


def test_import_without_a_token_is_401(client, database):
    response = client.post("/api/v1/cis/import", data=b"Asset Tag\nLT-1\n", content_type="text/csv")
    assert response.status_code == 401
    assert _count(database) == 0


@pytest.mark.parametrize("kwargs, status, message", [
    ({"data": b"Asset Tag\nLT-1\n", "content_type": "application/json"}, 415, "send text/csv or"),
    ({"data": {"other": (io.BytesIO(b"x"), "x.csv")}, "content_type": "multipart/form-data"}, 400,
     "a multipart upload needs the file in a part named 'file'"),
])
def test_unusable_uploads(client, operator, kwargs, status, message):
    response = client.post("/api/v1/cis/import", headers=operator, **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"].startswith(message)


def test_dry_run_parameter_is_checked(client, operator):
    response = client.post("/api/v1/cis/import?dry_run=yes", headers=operator, data=b"Asset Tag\nLT-1\n",
                           content_type="text/csv")
    assert response.status_code == 422
    assert response.get_json()["fields"] == [{"field": "dry_run", "message": "must be true or false"}]


def test_upload_over_the_configured_size_is_413(config, database, make_token):
    from collector.app import create_app

    app = create_app(replace(config, max_body_bytes=64))
    try:
        response = app.test_client().post("/api/v1/cis/import", headers=make_token("operator"),
                                          data=b"Asset Tag\n" + b"LT-1234567\n" * 10, content_type="text/csv")
    finally:
        app.extensions["stocktake"]["db"].dispose()
    assert response.status_code == 413
    assert response.get_json()["error"] == "the file exceeds 64 bytes"
    assert _count(database) == 0


def test_list_filters_and_pagination(client, make_token, imported):
    headers = make_token("auditor")
    page = client.get("/api/v1/cis?per_page=5&page=2", headers=headers).get_json()
    assert (page["total"], page["pages"], [c["asset_tag"] for c in page["items"]]) == (
        32, 7, ["VM-0003", "VM-0004", "VM-0005", "SW-0001", "SW-0002"])
    vms = client.get("/api/v1/cis?class=VM", headers=headers).get_json()
    assert vms["total"] == 5
    retired = client.get("/api/v1/cis?status=retired", headers=headers).get_json()
    assert [c["asset_tag"] for c in retired["items"]] == ["LT-0009"]
    alice = client.get("/api/v1/cis?q=ALICE", headers=headers).get_json()
    assert [c["asset_tag"] for c in alice["items"]] == ["LT-0001", "PH-0001"]
    assert client.get("/api/v1/cis?q=%25", headers=headers).get_json()["total"] == 0


@pytest.mark.parametrize("query, field", [("class=toaster", "class"), ("status=lost", "status"), ("per_page=0", "per_page")])
def test_invalid_list_parameters_are_422(client, make_token, query, field):
    response = client.get(f"/api/v1/cis?{query}", headers=make_token())
    assert response.status_code == 422
    assert response.get_json()["fields"][0]["field"] == field


def test_detail_shows_macs_and_relationships_both_ways(client, make_token, imported):
    headers = make_token("auditor")
    host_id = client.get("/api/v1/cis?q=SRV-0001", headers=headers).get_json()["items"][0]["id"]
    host = client.get(f"/api/v1/cis/{host_id}", headers=headers).get_json()
    assert host["macs"] == ["b0:7b:25:1a:00:01", "b0:7b:25:1a:00:02"]
    assert (host["cost"], host["purchase_date"], host["class"]) == ("14250.00", "2022-03-14", "server")
    assert [(r["kind"], r["asset_tag"], r["target"]) for r in host["relationships"]] == [
        ("connected_to", "SW-0001", "Te1/0/1")]
    assert [(r["kind"], r["asset_tag"]) for r in host["related_from"]] == [
        ("runs_on", "VM-0001"), ("runs_on", "VM-0002"), ("runs_on", "VM-0005")]
    assert client.get("/api/v1/cis/999999", headers=headers).status_code == 404


def test_export_csv_and_xlsx_for_auditors(client, make_token, imported, operator):
    headers = make_token("auditor")
    csv_response = client.get("/api/v1/cis/export?format=csv", headers=headers)
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert "attachment; filename=cmdb-" in csv_response.headers["Content-Disposition"]
    text = csv_response.get_data(as_text=True)
    assert text.startswith("\ufeffAsset Tag,Name,Class,Status,Serial Number")
    assert text.count("\r\n") == 33
    with client.get("/api/v1/cis/export?format=xlsx", headers=headers) as xlsx_response:  # closes the spool file
        assert (xlsx_response.status_code, xlsx_response.mimetype) == (200, XLSX)
        workbook = xlsx_response.get_data()
    again = client.post("/api/v1/cis/import?dry_run=true", headers=operator, data=workbook,
                        content_type=XLSX).get_json()
    assert (again["unchanged"], again["created"], again["updated"]) == (32, 0, 0)
    assert client.get("/api/v1/cis/export?format=pdf", headers=headers).status_code == 422
    assert client.get("/api/v1/cis/export").status_code == 401
