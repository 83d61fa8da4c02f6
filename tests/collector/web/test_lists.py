"""Lists in the web UI: sorting every column both ways (numbers as numbers), page size, pages past
the last, saved filters (CRUD, per-user, CSRF, audited), "mine"/"unassigned", and the named counts
("without an agent", "not in the CMDB", open exceptions not acknowledged) agreeing across pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from collector.models import Asset, AuditLogEntry, Device, User
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch
from collector.models.saved_filters import SavedFilter
from tests.collector.web.conftest import PASSWORD, csrf_from

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
# Ids that sort differently as text ("10" < "100" < "9") than as numbers.
EXCEPTION_IDS = (9, 10, 100, 11, 2)


@pytest.fixture
def queue(database, users):
    """Five exceptions: kinds, statuses, CIs, summaries, assignees and opening times that all order
    differently, two assigned to the operator, one to the admin, two to nobody."""
    with database.write() as session:
        cis = [ConfigurationItem(asset_tag=tag, name=tag, status="deployed", ci_class="computer")
               for tag in ("lt-c", "lt-a", "lt-b")]
        session.add_all(cis)
        session.flush()
        specs = [  # id, kind, status, ci, summary, assignee, hours
            (9, "drift", "open", cis[0].id, "delta", users["operator"], 5),
            (10, "missing", "acknowledged", cis[1].id, "alpha", users["admin"], 1),
            (100, "unmanaged", "open", None, "echo", None, 3),
            (11, "conflict", "resolved", cis[2].id, "charlie", users["operator"], 4),
            (2, "duplicate", "open", None, "bravo", None, 2),
        ]
        for eid, kind, status, ci_id, summary, assignee, hours in specs:
            session.add(AuditException(id=eid, kind=kind, status=status, ci_id=ci_id, summary=summary,
                                       open_key=None if status == "resolved" else f"{kind}:{eid}",
                                       assignee_id=assignee, opened_at=T0 + timedelta(hours=hours),
                                       updated_at=T0, evidence={}))
    return {eid: spec for eid, *spec in specs}


def _exception_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/exceptions/(\d+)">\1</a></td>', html)]


def _expected(rows: dict, key, descending: bool) -> list[int]:
    """The order the page must show: by ``key`` (None largest), ties by id, both in one direction."""
    ordered = sorted(rows, key=lambda i: (key(i) is None, key(i) if key(i) is not None else 0, i))
    return ordered[::-1] if descending else ordered


def test_exceptions_sort_by_each_column_both_ways_with_numeric_ids(client, login, queue, users):
    login("auditor")
    names = {users["operator"]: "operator", users["admin"]: "admin"}
    tags = {1: "lt-c", 2: "lt-a", 3: "lt-b"}
    keys = {
        "id": lambda i: i,
        "kind": lambda i: queue[i][0],
        "status": lambda i: queue[i][1],
        "ci": lambda i: tags.get(queue[i][2]),
        "summary": lambda i: queue[i][3],
        "assignee": lambda i: names.get(queue[i][4]),
        "opened": lambda i: queue[i][5],
    }
    for name, key in keys.items():
        for descending in (False, True):
            sort = ("-" if descending else "") + name
            response = client.get(f"/exceptions?status=all&sort={sort}")
            assert response.status_code == 200, response.get_data(as_text=True)
            html = response.get_data(as_text=True)
            assert _exception_ids(html) == _expected(queue, key, descending), sort
            direction = "descending" if descending else "ascending"
            assert re.search(rf'<th scope="col" aria-sort="{direction}">\s*<a href="[^"]*sort={"" if descending else "-"}{name}\b',
                             html), f"{sort}: the active header says its direction and links the other way"
    assert _exception_ids(client.get("/exceptions?status=all&sort=id").get_data(as_text=True)) == [2, 9, 10, 11, 100]


def test_bad_sort_and_page_size_are_refused_with_the_allowed_values(client, login, queue):
    login("auditor")
    bad_sort = client.get("/exceptions?sort=evidence")
    assert bad_sort.status_code == 422 and "must be one of id, kind, status" in bad_sort.get_data(as_text=True)
    for size in ("7", "1000", "abc", "-25"):
        response = client.get(f"/exceptions?per_page={size}")
        assert response.status_code == 422 and "25, 50, 100, 200" in response.get_data(as_text=True), size
    assert client.get("/devices?sort=-nope").status_code == 422
    assert client.get("/assets?sort=location").status_code == 422
    assert client.get("/workflows?sort=secret").status_code == 422


def test_page_size_is_kept_in_sort_filter_and_page_links(client, login, database, users):
    with database.write() as session:
        session.execute(insert(Device), [{"mac": f"02:00:00:00:{n // 256:02x}:{n % 256:02x}",
                                          "ip": f"198.18.1.{n}", "found_by": ["arp"], "first_seen_at": T0,
                                          "last_seen_at": T0 + timedelta(minutes=n)} for n in range(1, 61)])
    login("auditor")
    html = client.get("/devices?per_page=25&sort=-last_seen").get_data(as_text=True)
    assert html.count('<tr><td') == 25
    assert "Page 1 of 3" in html
    next_link = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "per_page=25" in next_link and "sort=-last_seen" in next_link
    for link in re.findall(r'<th scope="col" aria-sort="[a-z]+">\s*<a href="([^"]+)"', html):
        assert "per_page=25" in link and "page=" not in link.replace("per_page=", "")
    assert re.search(r'<option value="25" selected>25</option>', html)
    assert '<input type="hidden" name="sort" value="-last_seen">' in html
    page3 = client.get(re.sub(r"(?<![_a-z])page=2", "page=3", next_link)).get_data(as_text=True)
    assert page3.count('<tr><td') == 10 and "Page 3 of 3" in page3
    bigger = client.get("/devices?per_page=100").get_data(as_text=True)
    assert bigger.count('<tr><td') == 60 and "Page 1 of" not in bigger


def test_a_page_past_the_last_redirects_to_the_last_page_and_says_so(client, login, database, users):
    with database.write() as session:
        session.execute(insert(Device), [{"mac": f"02:00:00:01:00:{n:02x}", "ip": f"198.18.2.{n}", "found_by": ["arp"],
                                          "first_seen_at": T0, "last_seen_at": T0} for n in range(1, 31)])
    login("auditor")
    response = client.get("/devices?per_page=25&page=999&q=198.18")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "page=2" in location and "beyond=999" in location and "per_page=25" in location and "q=198.18" in location
    html = client.get(location).get_data(as_text=True)
    assert "Page 2 of 2" in html and "Page 999" not in html
    assert "There is no page 999; this is the last page, 2." in html
    # An empty list has one (empty) page; invalid numbers are still a 400.
    assert "page=1" in client.get("/exceptions?page=5").headers["Location"]
    assert client.get("/exceptions?page=0").status_code == 422
    assert client.get("/exceptions?page=x").status_code == 422
    assert client.get("/exceptions?page=%C2%B2").status_code == 422  # "²" is a digit to str.isdigit
    assert client.get("/exceptions?per_page=%C2%B2%C2%B2").status_code == 422


def test_devices_sort_numeric_ids_and_every_column(client, login, database, users):
    rows = [  # id, ip, mac, vendor, type, model, serial, name, minutes
        (9, "198.18.0.3", "02:00:00:00:00:03", "cisco", "switch", "m-b", "s-c", "n-a", 2),
        (10, "198.18.0.1", "02:00:00:00:00:02", "hp", "printer", "m-c", None, "n-c", 3),
        (100, "198.18.0.2", "02:00:00:00:00:01", None, "phone", "m-a", "s-a", "n-b", 1),
    ]
    with database.write() as session:
        for did, ip, mac, vendor, kind, model, serial, name, minutes in rows:
            session.add(Device(id=did, ip=ip, mac=mac, vendor=vendor, device_type=kind, model=model, serial=serial,
                               sys_name=name, found_by=["snmp"], first_seen_at=T0,
                               last_seen_at=T0 + timedelta(minutes=minutes)))
    login("auditor")
    table = {r[0]: r for r in rows}
    columns = ("id", "ip", "mac", "vendor", "type", "model", "serial", "name", "last_seen")
    for index, name in enumerate(columns):
        for descending in (False, True):
            html = client.get(f"/devices?sort={'-' if descending else ''}{name}").get_data(as_text=True)
            shown = [int(i) for i in re.findall(r"<tr><td[^>]*>(?:<a [^>]*>)?(\d+)(?:</a>)?</td>", html)]
            assert shown == _expected(table, lambda i, k=index: table[i][k], descending), name


def test_assets_sort_by_each_column_both_ways_across_keyset_pages(client, login, database, users):
    with database.write() as session:
        for aid, host, serial, model, os_name, minutes in (
                (9, "host-b", "sn-3", "m-2", "debian", 5), (10, "host-a", None, "m-1", "ubuntu", 1),
                (100, "host-c", "sn-1", None, "alma", 3), (11, "host-d", "sn-2", "m-3", None, 2)):
            session.add(Asset(id=aid, hostname=host, serial=serial, model=model, os_name=os_name, first_seen_at=T0,
                              last_seen_at=T0 + timedelta(minutes=minutes), software_count=0))
    login("auditor")
    expected = {
        "id": [9, 10, 11, 100],
        "hostname": [10, 9, 100, 11],
        "serial": [10, 100, 11, 9],  # no serial sorts first (as "")
        "model": [100, 10, 9, 11],
        "os": [11, 100, 9, 10],
        "last_seen": [10, 11, 100, 9],
    }
    for name, order in expected.items():
        for descending in (False, True):
            url, seen = f"/assets?per_page=25&sort={'-' if descending else ''}{name}", []
            html = client.get(url).get_data(as_text=True)
            seen = [int(i) for i in re.findall(r"<tr>\s*<td>(\d+)</td>", html)]
            assert seen == (order[::-1] if descending else order), (name, descending)


def test_saved_filters_create_apply_replace_delete_audited(client, login, queue, database, users):
    csrf = login("operator")
    page = client.get("/exceptions?kind=drift&sort=-id&per_page=25&page=1").get_data(as_text=True)
    query = re.search(r'name="query" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    assert "kind=drift" in query
    response = client.post("/lists/exceptions/saved-filters",
                           data={"csrf_token": csrf, "name": "My <drift>", "query": query})
    assert response.status_code == 303
    assert "notice=filter_saved" in response.headers["Location"] and "kind=drift" in response.headers["Location"]
    html = client.get("/exceptions").get_data(as_text=True)
    assert "My &lt;drift&gt;" in html and "My <drift>" not in html
    link = re.search(r'<a href="(/exceptions\?[^"]+)">My &lt;drift&gt;</a>', html).group(1).replace("&amp;", "&")
    assert "page=" not in link.replace("per_page", "") and "kind=drift" in link and "sort=-id" in link
    assert _exception_ids(client.get(link).get_data(as_text=True)) == [9]
    # Saving the same name again replaces the query.
    client.post("/lists/exceptions/saved-filters", data={"csrf_token": csrf, "name": "My <drift>",
                                                         "query": "kind=unmanaged"})
    with database.session() as session:
        saved = session.scalars(select(SavedFilter)).all()
        assert [(s.list_name, s.name, s.query, s.user_id) for s in saved] == [
            ("exceptions", "My <drift>", "kind=unmanaged", users["operator"])]
        filter_id = saved[0].id
    deleted = client.post(f"/lists/saved-filters/{filter_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303 and "notice=filter_deleted" in deleted.headers["Location"]
    with database.session() as session:
        assert session.scalars(select(SavedFilter)).all() == []
        actions = [e.action for e in session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id))
                   if e.action.startswith("saved_filter")]
        assert actions == ["saved_filter_created", "saved_filter_replaced", "saved_filter_deleted"]


def test_saved_filters_refuse_bad_input_without_storing(client, login, database, users):
    csrf = login("auditor")  # auditors keep their own filters too
    for data, field in (({"name": "", "query": "kind=drift"}, "name"), ({"name": "x" * 101, "query": ""}, "name"),
                        ({"name": "ok", "query": "q=" + "a" * 2100}, "query")):
        response = client.post("/lists/exceptions/saved-filters", data={"csrf_token": csrf, **data})
        assert response.status_code == 422 and field in response.get_data(as_text=True), data
    assert client.post("/lists/nosuchlist/saved-filters", data={"csrf_token": csrf, "name": "a"}).status_code == 404
    assert client.post("/lists/assets/saved-filters", data={"name": "no token", "query": ""}).status_code == 400
    ok = client.post("/lists/assets/saved-filters", data={"csrf_token": csrf, "name": "all", "query": "page=3&sort=-id"})
    assert ok.status_code == 303
    with database.session() as session:
        assert [(s.name, s.query) for s in session.scalars(select(SavedFilter))] == [("all", "sort=-id")]


def test_saved_filters_belong_to_their_user_only(app, database, users, queue):
    (operator, operator_token), (admin, admin_token) = _signed_in(app, "operator"), _signed_in(app, "admin")
    tokens = {"operator": operator_token, "admin": admin_token}
    operator.post("/lists/devices/saved-filters", data={"csrf_token": tokens["operator"], "name": "printers",
                                                        "query": "type=printer"})
    admin.post("/lists/devices/saved-filters", data={"csrf_token": tokens["admin"], "name": "printers",
                                                     "query": "type=switch"})
    with database.session() as session:
        ids = {s.user_id: s.id for s in session.scalars(select(SavedFilter))}
    assert "type=printer" in operator.get("/devices").get_data(as_text=True)
    assert "type=printer" not in admin.get("/devices").get_data(as_text=True)
    # Another person's filter: 404, and it stays.
    assert admin.post(f"/lists/saved-filters/{ids[users['operator']]}/delete",
                      data={"csrf_token": tokens["admin"]}).status_code == 404
    with database.session() as session:
        assert session.scalar(select(SavedFilter).where(SavedFilter.user_id == users["operator"])) is not None


def _signed_in(app, role: str):
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": role, "password": PASSWORD,
                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    return client, csrf_from(client.get("/").get_data(as_text=True))


def test_mine_and_unassigned_on_the_exception_queue(app, client, login, queue):
    login("operator")
    mine = client.get("/exceptions?status=all&assignee=me&sort=id").get_data(as_text=True)
    assert _exception_ids(mine) == [9, 11]
    unassigned = client.get("/exceptions?status=all&assignee=none&sort=id").get_data(as_text=True)
    assert _exception_ids(unassigned) == [2, 100]
    assert client.get("/exceptions?assignee=nobody").status_code == 422
    admin, _ = _signed_in(app, "admin")
    assert _exception_ids(admin.get("/exceptions?status=all&assignee=me").get_data(as_text=True)) == [10]


def test_mine_and_unassigned_on_workflows_and_tasks(client, login, database, users):
    from collector.models import WorkflowInstance, WorkflowTask

    with database.write() as session:
        for wid, owner in ((9, users["operator"]), (10, None), (100, users["admin"])):
            session.add(WorkflowInstance(id=wid, template="t", template_hash="h", status="running",
                                         stage="initiation", created_at=T0, updated_at=T0 + timedelta(hours=wid)))
            session.flush()
            session.add(WorkflowTask(instance_id=wid, task="triage", name=f"task {wid}", stage="initiation",
                                     role="operator", ready_at=T0, owner_id=owner))
    login("operator")
    ids = lambda html: [int(i) for i in re.findall(r'<tr><td><a href="/workflows/(\d+)">\1</a>', html)]
    assert ids(client.get("/workflows?owner=me").get_data(as_text=True)) == [9]
    assert ids(client.get("/workflows?owner=none").get_data(as_text=True)) == [10]
    assert ids(client.get("/workflows?sort=id").get_data(as_text=True)) == [9, 10, 100]
    assert ids(client.get("/workflows?sort=-id").get_data(as_text=True)) == [100, 10, 9]
    assert client.get("/workflows?owner=someone").status_code == 422


def test_named_counts_agree_on_dashboard_reconciliation_and_devices(client, login, database, queue):
    with database.write() as session:
        asset = Asset(hostname="known", first_seen_at=T0, last_seen_at=T0, software_count=0)
        session.add(asset)
        session.flush()
        session.add_all([Device(mac="02:00:00:00:10:01", ip="198.18.3.1", asset_id=asset.id, found_by=["arp"]),
                         Device(mac="02:00:00:00:10:02", ip="198.18.3.2", found_by=["arp"]),
                         Device(mac="02:00:00:00:10:03", ip="198.18.3.3", found_by=["arp"])])
        session.flush()
        devices = session.scalars(select(Device.id).order_by(Device.id)).all()
        # The asset and one device are not in the CMDB; one device without an agent is matched to a CI.
        session.add_all([CiMatch(subject_type="asset", subject_id=asset.id, outcome="unmanaged", explanation="-"),
                         CiMatch(subject_type="device", subject_id=devices[1], outcome="unmanaged", explanation="-"),
                         CiMatch(subject_type="device", subject_id=devices[2], ci_id=1, outcome="matched",
                                 explanation="-")])
    login("auditor")
    dashboard = client.get("/").get_data(as_text=True)
    assert re.search(r"<dt>Devices without an agent</dt><dd><a id=\"kpi-without-agent\"[^>]*>2</a>", dashboard)
    assert re.search(r"<dt>Not in the CMDB</dt><dd><a id=\"kpi-not-in-cmdb\"[^>]*>2</a>", dashboard)
    # Open: 9, 10 (acknowledged), 100, 2; not acknowledged: 3.
    assert re.search(r"<dt>Open exceptions \(not acknowledged\)</dt><dd><a id=\"kpi-open\"[^>]*>3</a>", dashboard)
    assert "1 acknowledged" in dashboard
    report = client.get("/reconciliation").get_data(as_text=True)
    assert '<dd id="count-not-in-cmdb">2</dd>' in report
    assert re.search(r'<dd id="count-without-agent"><a [^>]*>2</a></dd>', report)
    assert '<dd id="count-open">3</dd>' in report and '<span id="count-acknowledged">1</span>' in report
    devices_page = client.get("/devices").get_data(as_text=True)
    assert "2 devices" in devices_page and "<h1>Devices without an agent</h1>" in devices_page
    open_page = client.get("/exceptions?status=open").get_data(as_text=True)
    assert "3 exceptions" in open_page
    assert "unmanaged (not in the CMDB)" in open_page
    from collector.reports.exports import exception_list_export, reconciliation_export

    with database.session() as session:
        report_notes = reconciliation_export(session, None, "test", T0).notes
        exception_notes = exception_list_export(session, None, "unresolved", "test", T0).notes
    assert report_notes["Not in the CMDB"] == "2" and report_notes["Devices without an agent"] == "2"
    assert exception_notes == {"Open exceptions (not acknowledged)": "3", "Open exceptions (acknowledged)": "1"}


def test_every_list_page_sorts_and_sizes(client, login, queue):
    login("admin")
    for url in ("/admin/agents?sort=-last_seen&per_page=25", "/admin/users?sort=-role", "/admin/suppressions?sort=owner",
                "/workflows/mine?sort=-due", "/reconciliation?sort=-updated&per_page=100",
                "/workflows?sort=need_by&per_page=200", "/sam/products?sort=-category&per_page=25",
                "/sam/entitlements?sort=-quantity&per_page=100", "/sam/titles?sort=name", "/sam/positions?sort=-balance",
                "/sam/renewals?sort=vendor", "/sam/reclaim?sort=device&per_page=25"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:500])
        html = response.get_data(as_text=True)
        assert 'aria-sort="' in html or "sam-no-run" in html, url


def test_users_sort_in_python_like_sql(client, login, users):
    login("admin")
    html = client.get("/admin/users?sort=-username").get_data(as_text=True)
    names = re.findall(r"<tr><td>(admin|operator|auditor)</td>", html)
    assert names == ["operator", "auditor", "admin"]
    html = client.get("/admin/users?sort=username").get_data(as_text=True)
    assert re.findall(r"<tr><td>(admin|operator|auditor)</td>", html) == ["admin", "auditor", "operator"]


def test_sam_products_sort_by_publisher_product_and_numeric_id(client, login, database, users):
    from collector.models.sam import SamProduct

    with database.write() as session:
        for pid, publisher, name in ((9, "beta", "zeta"), (10, "alpha", "omega"), (100, "gamma", "alpha")):
            session.add(SamProduct(id=pid, publisher=publisher, name=name, edition=""))
    login("auditor")
    shown = lambda url: [int(i) for i in re.findall(r'href="/sam/products/(\d+)"', client.get(url).get_data(as_text=True))]
    assert shown("/sam/products?sort=id") == [9, 10, 100]
    assert shown("/sam/products?sort=-id") == [100, 10, 9]
    assert shown("/sam/products") == [10, 9, 100]
    assert shown("/sam/products?sort=-product") == [9, 10, 100]
    assert client.get("/sam/products?sort=installs").status_code == 422


def test_saved_filter_delete_needs_the_csrf_token(client, login, database, users):
    csrf = login("operator")
    client.post("/lists/devices/saved-filters", data={"csrf_token": csrf, "name": "switches", "query": "type=switch"})
    with database.session() as session:
        filter_id = session.scalar(select(SavedFilter.id))
    assert client.post(f"/lists/saved-filters/{filter_id}/delete", data={}).status_code == 400
    assert client.post(f"/lists/saved-filters/{filter_id}/delete", data={"csrf_token": "x" * 43}).status_code == 400
    with database.session() as session:
        assert session.scalar(select(SavedFilter.id)) == filter_id


def test_queue_pages_sorted_by_ci_or_assignee_walk_every_row_once(database, queue):
    """The split walk (collector/queries/joined_order.py) across its boundary, at every page size."""
    from collector.queries.ordering import Sort
    from collector.workflows.triage import exception_queue

    with database.session() as session:
        for key in ("ci", "assignee"):
            for descending in (False, True):
                sort = Sort(key, descending)
                whole = [r["exception"].id for r in exception_queue(session, status="all", per_page=50, sort=sort).rows]
                assert sorted(whole) == sorted(EXCEPTION_IDS)
                for size in (1, 2, 3):
                    walked = []
                    for page in range(1, 7):
                        walked += [r["exception"].id for r in exception_queue(session, status="all", page=page,
                                                                               per_page=size, sort=sort).rows]
                    assert walked == whole, (key, descending, size)
