"""The audit page in a real browser (Playwright, Debian's chromium): filtering by keyboard,
verifying the chain, downloading the filtered CSV, at desktop and phone sizes."""

from __future__ import annotations

import re

import pytest

from tests.collector.web.conftest import CHROMIUM
from tests.collector.web.test_audit_page import SEEDED, seeded  # noqa: F401 - the fixture

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

PHONE = {"width": 390, "height": 844}


def test_auditor_filters_verifies_and_exports_by_keyboard(open_as, users, seeded, shots):
    page = open_as("auditor")
    page.goto("/audit")
    page.fill("#f-actor", "bob")
    page.select_option("#f-object_type", "exception")
    page.fill("#f-object", "5")
    page.keyboard.press("Enter")  # submits the filter form: no script needed
    page.wait_for_url(re.compile(r"actor=bob"))
    rows = page.locator("tbody tr")
    assert rows.count() == 2 and "2 matching entries" in page.inner_text("p.summary[role=status]")
    assert rows.nth(0).locator("td").nth(4).inner_text() == "exception 5"
    assert rows.nth(0).locator("dt").first.inner_text() == "comment"
    shots.take(page, "audit-filtered.png", full_page=True)

    page.click("text=Verify the chain")
    result = page.inner_text("#chain-result")
    assert re.search(r"Chain intact: \d+ entries verified\. Head: entry \d+, SHA-256 [0-9a-f]{64}\.", result)
    assert "actor=bob" in page.url  # the filters stay while verifying

    with page.expect_download() as download:
        page.click("a:text-is('CSV')")
    saved = download.value.path().read_text(encoding="utf-8-sig")
    assert "exception_acknowledged" in saved and "exception_commented" in saved
    assert "exception 50" not in saved and "sam_rule_added" not in saved
    assert page.evaluate("window.__xss") is None


def test_audit_page_fits_a_phone(open_as, users, seeded, shots):
    page = open_as("auditor", PHONE)
    page.goto("/audit?from=2026-03-01&to=2026-03-31")
    assert page.locator("tbody tr").count() == len(SEEDED)
    # The table scrolls inside its wrapper; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shots.take(page, "audit-phone.png", full_page=True)
