"""The global search page and the search box in every signed-in page's header."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from collector.queries.search import QUERY_MAX
from tests.collector.web.conftest import CHROMIUM, ROLES


class _HeaderSearch(HTMLParser):
    """Collects the header's role=search form: its attributes, its inputs and the labels' targets."""

    def __init__(self) -> None:
        super().__init__()
        self.in_header = self.in_form = False
        self.form: dict | None = None
        self.inputs: list[dict] = []
        self.labels: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "header":
            self.in_header = True
        elif self.in_header and tag == "form" and attrs.get("role") == "search":
            self.in_form, self.form = True, attrs
        elif self.in_form and tag == "input":
            self.inputs.append(attrs)
        elif self.in_form and tag == "label":
            self.labels.append(attrs.get("for"))

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "header":
            self.in_header = False


def _header_search(html: str) -> _HeaderSearch:
    parser = _HeaderSearch()
    parser.feed(html)
    return parser


def _pages(app, fleet):
    values = {"asset_id": fleet.asset_id, "exception_id": fleet.exception_id, "ci_id": fleet.ci_id,
              "instance_id": fleet.workflow_id, "product_id": fleet.product_id, "task_id": "triage",
              "dataset": "assets", "fmt": "csv", "reference": "LT-0001", "tag": "LT-0001",
              "agent_id": "00000000-0000-0000-0000-000000000000"}
    files = ("web.static", "web.login", "web.export_file", "web.sam_elp_file", "web.sam_audit_pack_file")
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("web.") and "GET" in rule.methods and rule.endpoint not in files:
                yield url_for(rule.endpoint, **{name: values.get(name, 1) for name in rule.arguments})


def test_every_signed_in_page_has_the_search_form(app, client, users, fleet, login):
    login("admin")
    checked = 0
    for url in _pages(app, fleet):
        response = client.get(url)
        if response.status_code != 200:
            continue  # a page needing data this fleet lacks (a 404) shows the form too, checked below
        found = _header_search(response.get_data(as_text=True))
        assert found.form is not None, url
        assert (found.form["method"], found.form["action"]) == ("get", "/search"), url
        box = next(i for i in found.inputs if i.get("name") == "q")
        assert box["id"] in found.labels, url  # a labelled input
        checked += 1
    assert checked >= 20
    missing = client.get("/assets/999999")
    assert missing.status_code == 404 and _header_search(missing.get_data(as_text=True)).form is not None


def test_signed_out_pages_have_no_search_form_and_search_needs_a_login(client, users):
    assert _header_search(client.get("/login").get_data(as_text=True)).form is None
    response = client.get("/search?q=lt-0001")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_search(client, users, fleet, login, role):
    login(role)
    response = client.get("/search?q=lt-0001")
    assert response.status_code == 200
    assert "Configuration items (CMDB)" in response.get_data(as_text=True)


def test_results_link_to_each_records_page(app, client, users, fleet, database, login):
    from collector.models import Asset

    with database.session() as session:
        serial = session.get(Asset, fleet.asset_id).serial
    login("auditor")
    html = client.get(f"/search?q={serial.lower()}").get_data(as_text=True)
    assert f'href="/assets/{fleet.asset_id}"' in html
    ci = client.get("/search?q=lt-0001").get_data(as_text=True)
    assert "LT-0001" in ci and "Finance laptop" in ci
    if "web.ci" in app.view_functions:
        assert f'href="/cis/{fleet.ci_id}"' in ci
    else:  # until the CI page exists the hit is plain text with its id
        assert f"(#{fleet.ci_id})" in ci
    device = client.get("/search?q=00-11-22-33-44-55").get_data(as_text=True)
    assert "core-sw-1" in device and "exact" in device
    # the header box keeps the query, escaped
    assert 'value="00-11-22-33-44-55"' in device


def test_the_results_escape_what_agents_reported(client, users, fleet, login):
    login("auditor")
    html = client.get("/search?q=hyperlink").get_data(as_text=True)
    assert "Assets <span" in html  # the polyglot host name matched in the middle
    assert "<script>window.__xss" not in html and "<img src=x" not in html
    assert "&lt;img src=x" in html
    echoed = client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in echoed and "&lt;script&gt;alert(1)" in echoed


@pytest.mark.parametrize("query, message", [("x" * (QUERY_MAX + 1), f"at most {QUERY_MAX} characters"),
                                            ("fin%01lt", "control characters")])
def test_bad_queries_get_a_clear_4xx(client, users, login, query, message):
    login("auditor")
    response = client.get(f"/search?q={query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'id="search-q"' in html and 'aria-invalid="true"' in html


def test_a_nul_in_the_query_is_refused_before_the_search(client, users, login):
    """NUL is refused for every route before any view runs (collector/request_guards.py)."""
    login("auditor")
    response = client.get("/search?q=fin%00lt")
    assert response.status_code == 422 and "must not contain NUL characters" in response.get_data(as_text=True)


def test_empty_query_explains_what_can_be_searched(client, users, login):
    login("auditor")
    for url in ("/search", "/search?q=", "/search?q=+++"):
        response = client.get(url)
        assert response.status_code == 200
        assert "any\nnotation" in response.get_data(as_text=True) or "any notation" in response.get_data(as_text=True)


def test_nothing_found_says_so(client, users, fleet, login):
    login("auditor")
    html = client.get("/search?q=no-such-machine").get_data(as_text=True)
    assert "Nothing matched “no-such-machine”." in html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_search_from_the_header_to_the_record_in_a_browser(open_as, users, fleet, database, shots):
    pytest.importorskip("playwright.sync_api")
    from collector.models import Asset

    with database.session() as session:
        serial = session.get(Asset, fleet.asset_id).serial
    page = open_as("auditor")
    header = page.get_by_role("search", name="Everything", exact=True)
    header.get_by_role("searchbox").fill("00:11:22:33:44:66")
    header.get_by_role("searchbox").press("Enter")  # no script: the form submits itself
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.get_by_role("heading", name=re.compile("Discovered devices")).count() == 1
    assert page.get_by_role("status").inner_text() == "1 match for “00:11:22:33:44:66”: 1 device."
    header.get_by_role("searchbox").fill("fin-lt-1")
    header.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=fin-lt-1"))
    assert "LT-0001" in page.locator("main").inner_text()
    header.get_by_role("searchbox").fill("hyperlink")  # inside the hostile host name
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=hyperlink"))
    assert page.evaluate("window.__xss") is None and page.locator("[data-xss]").count() == 0
    header.get_by_role("searchbox").fill(serial.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q="))
    shots.take(page, "search-desktop.png", full_page=True)
    page.locator("#found-asset").locator("xpath=..").get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/assets/{fleet.asset_id}$"))
    phone = open_as("auditor", {"width": 390, "height": 844})
    phone.goto(f"/search?q={serial}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling page
    shots.take(phone, "search-phone.png", full_page=True)


def test_the_register_search_ignores_case_and_points_to_the_global_search(client, users, fleet, database, login):
    from collector.models import Asset

    with database.session() as session:
        serial = session.get(Asset, fleet.asset_id).serial
    login("auditor")
    for query in ("lt-0001", "LT-0001", serial.lower()):  # the CI's tag, any case; the serial, any case
        html = client.get(f"/assets?q={query}").get_data(as_text=True)
        assert f'href="/assets/{fleet.asset_id}"' in html, query
        assert "/search?q=" not in html.split("<main", 1)[1].split("</form>", 1)[1]  # found: no pointer
    switch = client.get("/assets?q=core-sw-1").get_data(as_text=True)  # a switch: no asset, a device and no CI
    assert "No assets match these filters." in switch
    assert 'href="/search?q=core-sw-1"' in switch
