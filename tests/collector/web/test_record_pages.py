"""Record pages (CI, device), links between records both ways, exceptions named in a person's words
and evidence as register/observed tables, not Python reprs."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.collector.web.records_seed import PRINTER_IP, PRINTER_MAC, SWITCH_MAC, seed_records

REPRS = re.compile(r"\[&#39;(device|asset)&#39;|\['(device|asset)'|\{&#39;|\{'|\bNone\b|ip hint")


@pytest.fixture
def records(app, database, make_agent, fleet):
    return seed_records(app, database, make_agent, fleet)


def _main(html: str) -> str:
    return html.split('id="main"', 1)[1]


def test_ci_page_shows_register_attributes_matches_relationships_exceptions_workflows_history(
        client, users, login, fleet, records):
    login("auditor")
    response = client.get(f"/cis/{fleet.ci_id}")
    assert response.status_code == 200
    html = _main(response.get_data(as_text=True))
    assert "CI LT-0001" in html and "Finance laptop" in html
    # Attributes: the register's value, the authoritative one, its source and age.
    attributes = html.split('id="ci-attributes"', 1)[1].split("</table>", 1)[0]
    serial_row = re.search(r"<th scope=\"row\">serial</th>(.*?)</tr>", attributes, re.S).group(1)
    assert "SN00000003" in serial_row and "agent" in serial_row and "0 days" in serial_row
    location_row = re.search(r"<th scope=\"row\">location</th>(.*?)</tr>", attributes, re.S).group(1)
    assert "cmdb" in location_row and "register" in location_row
    # The match and why, linking the asset.
    matches = html.split('id="ci-matches"', 1)[1].split("</ul>", 1)[0]
    assert f'href="/assets/{fleet.asset_id}"' in matches and "vendor_serial" in matches
    # Relationships both ways: the VM runs on this CI, and links to its page.
    relationships = html.split('id="ci-relationships"', 1)[1].split("</table>", 1)[0]
    assert "runs on this CI" in relationships and f'href="/cis/{records.vm_ci_id}"' in relationships
    assert "build &lt;i&gt;vm&lt;/i&gt;" in relationships  # escaped
    assert f'href="/exceptions/{fleet.exception_id}"' in html
    assert f'href="/workflows/{fleet.workflow_id}"' in html
    history = html.split('id="ci-history"', 1)[1].split("</ol>", 1)[0]
    assert "Record imported from the register" in history and "exception opened" in history
    assert "data-xss" not in html.replace("data-xss=1&gt;", "")  # nothing hostile unescaped


def test_the_vm_ci_links_back_to_its_host(client, users, login, fleet, records):
    login("auditor")
    html = _main(client.get(f"/cis/{records.vm_ci_id}").get_data(as_text=True))
    relationships = html.split('id="ci-relationships"', 1)[1].split("</table>", 1)[0]
    assert "this CI runs on" in relationships and f'href="/cis/{fleet.ci_id}"' in relationships
    assert "No agent or scan has been matched" in html


def test_device_page_shows_interfaces_neighbours_port_scanner_and_links(client, users, login, fleet, records):
    login("auditor")
    switch = _main(client.get(f"/devices/{records.switch_id}").get_data(as_text=True))
    assert "Device edge-sw-2" in switch and SWITCH_MAC in switch and "198.18.0.2" in switch and "Cisco" in switch
    interfaces = switch.split('id="device-interfaces"', 1)[1].split("</table>", 1)[0]
    assert "Gi1/0/1" in interfaces and "Gi1/0/48" in interfaces and "10000 Mb/s" in interfaces
    neighbours = switch.split('id="device-neighbours"', 1)[1].split("</table>", 1)[0]
    assert f'href="/devices/{records.core_id}"' in neighbours and "core-sw-1" in neighbours
    assert "cisco WS-C3560G-48TS-E" in neighbours
    where = switch.split('id="device-where"', 1)[1].split("</dl>", 1)[0]
    assert "scanner-1" in where and "scan-lab-7" in where and "snmp" in where
    attached = switch.split('id="device-attached"', 1)[1].split("</table>", 1)[0]
    assert f'href="/devices/{records.printer_id}"' in attached and PRINTER_MAC in attached
    assert "1.3.6.1.4.1.9.1.1208" in switch  # SNMP facts

    printer = _main(client.get(f"/devices/{records.printer_id}").get_data(as_text=True))
    where = printer.split('id="device-where"', 1)[1].split("</dl>", 1)[0]
    assert "Gi1/0/1" in where and f'href="/devices/{records.switch_id}"' in where
    assert "HP" in printer and PRINTER_IP in printer
    assert f'href="/exceptions/{records.printer_exception_id}"' in printer


def test_asset_and_ci_link_both_ways_and_devices_link_to_their_pages(client, users, login, fleet, records, database):
    from collector.models import Device

    with database.write() as session:
        session.get(Device, records.core_id).asset_id = fleet.asset_id  # the asset seen by a scan
    login("auditor")
    asset = _main(client.get(f"/assets/{fleet.asset_id}").get_data(as_text=True))
    assert f'href="/cis/{fleet.ci_id}"' in asset
    devices = asset.split('id="asset-devices"', 1)[1].split("</ul>", 1)[0]
    assert f'href="/devices/{records.core_id}"' in devices
    ci = _main(client.get(f"/cis/{fleet.ci_id}").get_data(as_text=True))
    assert f'href="/assets/{fleet.asset_id}"' in ci
    core = _main(client.get(f"/devices/{records.core_id}").get_data(as_text=True))
    assert f'href="/assets/{fleet.asset_id}"' in core.split('id="device-links"', 1)[1].split("</dl>", 1)[0]


def test_lists_link_every_record_they_mention(client, users, login, fleet, records):
    login("auditor")
    devices = client.get("/devices").get_data(as_text=True)
    assert f'href="/devices/{records.printer_id}"' in devices
    assert f'href="/devices/{records.switch_id}"' in devices  # the printer's switch column
    report = client.get("/reconciliation").get_data(as_text=True)
    assert f'href="/devices/{records.printer_id}"' in report and f'href="/cis/{fleet.ci_id}"' in report
    workflows = client.get("/workflows").get_data(as_text=True)
    assert f'href="/cis/{fleet.ci_id}"' in workflows and f'href="/exceptions/{fleet.exception_id}"' in workflows
    dashboard = client.get("/").get_data(as_text=True)
    assert 'href="/exceptions?kind=unmanaged' in dashboard
    queue = client.get("/exceptions").get_data(as_text=True)
    assert f'href="/devices/{records.printer_id}"' in queue and f'href="/cis/{fleet.ci_id}"' in queue


def test_an_exception_names_its_device_by_ip_mac_vendor_and_port_never_by_row_id(client, users, login, records):
    login("auditor")
    queue = _main(client.get("/exceptions").get_data(as_text=True))
    row = re.search(rf'<tr><td><a href="/exceptions/{records.printer_exception_id}">.*?</tr>', queue, re.S).group(0)
    assert f"{PRINTER_IP} is on the network but in no CI" in row
    assert PRINTER_MAC in row and "HP" in row and "Gi1/0/1 on edge-sw-2" in row
    assert f"device {records.printer_id} (" not in row and "unnamed" not in row

    page = _main(client.get(f"/exceptions/{records.printer_exception_id}").get_data(as_text=True))
    assert f"unmanaged on {PRINTER_IP}" in page
    subject = page.split('id="exception-subject"', 1)[1].split("</dd>", 1)[0]
    assert f'href="/devices/{records.printer_id}"' in subject and PRINTER_MAC in subject and "edge-sw-2" in subject
    evidence = page.split('id="exception-evidence"', 1)[1].split("</section>", 1)[0]
    assert "<caption>Register / observed</caption>" in evidence
    assert re.search(r'<th scope="row">Record</th><td>no CI</td><td><a href="/devices/\d+">', evidence)
    assert re.search(r'<th scope="row">MAC</th><td>—</td><td>' + PRINTER_MAC, evidence)
    assert not REPRS.search(evidence), evidence


def test_drift_evidence_is_a_register_observed_table(client, users, login, fleet, records, database):
    from sqlalchemy import select

    from collector.models.reconcile import AuditException

    with database.session() as session:
        drift = session.scalar(select(AuditException).where(AuditException.kind == "drift",
                                                            AuditException.open_key.is_not(None)))
    login("auditor")
    page = _main(client.get(f"/exceptions/{drift.id}").get_data(as_text=True))
    headline = page.split('id="exception-headline">', 1)[1].split("</p>", 1)[0]
    assert headline == "LT-0001: the register differs from what was observed (hostname)"  # not "CI 1 (LT-0001)"
    evidence = page.split('id="exception-evidence"', 1)[1].split("</section>", 1)[0]
    header = re.search(r"<thead>(.*?)</thead>", evidence, re.S).group(1)
    assert [h for h in re.findall(r">([^<]+)</th>", header)] == ["Attribute", "Register", "Observed", "Source",
                                                                 "Observed in"]
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", evidence, re.S).group(1)
    assert "<td>hostname</td><td>fin-lt-1</td>" in row and "agent" in row and "agent report" in row
    assert not REPRS.search(evidence), evidence


def test_exception_subjects_are_described_for_exports(app, database, records, fleet):
    from sqlalchemy import select

    from collector.models.reconcile import AuditException
    from collector.queries.subjects import describe_exception_subjects

    with database.session() as session:
        exceptions = list(session.scalars(select(AuditException)))
        about = describe_exception_subjects(session, exceptions)
    printer = about[records.printer_exception_id]
    assert printer.text == f"{PRINTER_IP} (MAC {PRINTER_MAC}, vendor HP, port Gi1/0/1 on edge-sw-2)"
    drift = next(about[e.id] for e in exceptions if e.kind == "drift" and e.open_key)
    assert drift.ci.title == "LT-0001" and "Finance laptop" in drift.text


def test_a_deleted_subject_is_still_named(database, records):
    from collector.models import Device
    from collector.queries.subjects import describe_subjects

    with database.write() as session:
        session.delete(session.get(Device, records.printer_id))
    with database.session() as session:
        label = describe_subjects(session, [("device", records.printer_id)])[("device", records.printer_id)]
    assert not label.found and label.title == f"device {records.printer_id} (no longer recorded)"


def test_readable_details_never_print_python_reprs():
    from collector.web.readable import readable

    assert readable({"assignee": "ann", "ip_hint": None}) == "assignee: ann, ip hint: —"
    assert readable([{"attribute": "status", "cmdb": "retired"}, {"attribute": "host", "cmdb": "a"}]) \
        == "attribute: status, cmdb: retired; attribute: host, cmdb: a"
    assert readable(["a", "b"]) == "a, b" and readable(True) == "yes" and readable(None) == "—"
    assert readable(datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)) == "2026-01-02 03:04 UTC"


@pytest.mark.parametrize("role", ["auditor", "operator", "admin"])
def test_every_role_reads_record_pages(client, users, login, fleet, records, role):
    login(role)
    assert client.get(f"/cis/{fleet.ci_id}").status_code == 200
    assert client.get(f"/devices/{records.switch_id}").status_code == 200


def test_record_pages_need_a_session_and_answer_404_for_missing_ids(client, users, login, fleet, records):
    signed_out = client.get(f"/cis/{fleet.ci_id}")
    assert signed_out.status_code == 303 and "/login" in signed_out.headers["Location"]
    assert client.get(f"/devices/{records.switch_id}").status_code == 303
    login("auditor")
    for url in ("/cis/999999", "/devices/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found · Stocktake" in response.get_data(as_text=True)
    # Beyond a database id (collector/routing.py): no route, so no query at all.
    assert client.get("/cis/99999999999999999999").status_code == 404
    assert client.get("/cis/abc").status_code == 404
    assert client.post(f"/cis/{fleet.ci_id}").status_code in (400, 405)  # read-only pages


def test_the_register_links_each_asset_tag_to_its_ci(client, users, login, fleet, records):
    login("auditor")
    register = client.get("/assets").get_data(as_text=True)
    assert 'href="/cis/tag/LT-0001"' in register
    found = client.get("/cis/tag/LT-0001")
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/cis/{fleet.ci_id}")
    assert client.get("/cis/tag/NO-SUCH-TAG").status_code == 404
    assert client.get(f"/cis/tag/{fleet.ci_id}").status_code == 404  # a tag, not an id in disguise
    assert client.get("/cis/tag/" + "x" * 300).status_code == 404
