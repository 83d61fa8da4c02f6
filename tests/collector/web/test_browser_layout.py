"""Layout in a real browser: every page at desktop and phone size, light and dark scheme.

Each page of the web UI (the route list of test_browser.py, read from Flask's URL map) is
opened at 1280×800 and 390×844 in both colour schemes and saved as a screenshot to
``STOCKTAKE_SCREENSHOTS`` when that names a folder. On each the test asserts:
the page never scrolls sideways (every table sits in a scroll wrapper), no MAC, IP, id, tag,
serial or time wraps onto a second line, no word breaks across lines (headers stacking letter
by letter, "unknow/n"), axe-core finds no violation of its form-label and colour-contrast rules, and
chart marks keep 3:1 against the chart behind them. On a phone the navigation is folded behind
"Menu" and opens from the keyboard. axe-core runs only in the test's browser (the
axe-playwright-python package bundles it); the product ships no script.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.collector.web.conftest import CHROMIUM, PASSWORD
from tests.collector.web.test_browser import _pages
from tests.collector.web.test_palette import contrast_ratio

pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")
pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
              pytest.mark.skipif(os.environ.get("STOCKTAKE_TEST_DB") == "postgresql",
                                 reason="layout does not depend on the database: run in the SQLite pass only (keeps CI under its time budget)")]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# axe-core rules: every form control has a label or name, and text contrast (WCAG 1.4.3).
AXE_RULES = ["label", "select-name", "input-button-name", "aria-input-field-name", "form-field-multiple-labels",
             "color-contrast"]
# What must never wrap inside: addresses, identifiers and times (style.css gives them nowrap).
TOKENS = "time, .mac, .ip, .ident, .tag, .serial, .version, code, td.num"
WRAPPERS = ".table-wrap, .table-scroll, .diagram-wrap"

# Measured in the page: text lines per element (distinct line tops of its text), words, overflow.
_MEASURE = r"""([tokens, wrappers]) => {
  const lines = (el) => {
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) tops.add(Math.round(r.top / 3));
    }
    return tops.size;
  };
  const lineHeight = (el) => {
    const s = getComputedStyle(el); const lh = parseFloat(s.lineHeight);
    return isNaN(lh) ? parseFloat(s.fontSize) * 1.45 : lh;
  };
  const visible = (el) => el.getClientRects().length > 0;
  const describe = (el) => el.tagName.toLowerCase()
                           + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
                           + ' "' + el.textContent.trim().slice(0, 40) + '"';
  const wrapped = [];
  for (const el of document.querySelectorAll(tokens)) {
    if (!visible(el) || !el.textContent.trim()) continue;
    const range = document.createRange(); range.selectNodeContents(el);
    const height = range.getBoundingClientRect().height;
    if (lines(el) > 1 || height > 1.6 * lineHeight(el)) wrapped.push(describe(el));
  }
  // A line break inside a token of up to 40 characters (MACs, IPv6 addresses, UUIDs, tags, header
  // words): between two letters or digits ("unknow/n", headers stacking letter by letter) or after
  // the dot or colon of an address ("127./0.0.1", "00:/11"). Breaks after a hyphen or slash in
  // free text are ordinary line breaking, not a broken token.
  const broken = [];
  const alnum = /[\p{L}\p{N}]/u, separator = /[.:]/, hex = /[0-9a-fA-F]/;
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node; node = texts.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('.visually-hidden, .skip, svg, option, script, style') || !visible(parent)) continue;
    for (const m of node.textContent.matchAll(/\S{2,}/g)) {
      if (m[0].length > 40) continue;  // longer than any address or id: may break to fit a phone
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (new Set(rects.map(r => Math.round(r.top / 3))).size < 2) continue;
      let previousTop = null;
      for (let i = 0; i < m[0].length; i++) {
        range.setStart(node, m.index + i); range.setEnd(node, m.index + i + 1);
        const r = range.getClientRects()[0];
        if (!r) continue;
        const top = Math.round(r.top / 3);
        if (previousTop !== null && top !== previousTop) {
          const before = m[0][i - 1], after = m[0][i];
          if ((alnum.test(before) && alnum.test(after)) || (separator.test(before) && hex.test(after)))
            broken.push(parent.tagName.toLowerCase() + ' "' + m[0].slice(0, i) + '/' + m[0].slice(i, i + 20) + '"');
        }
        previousTop = top;
      }
    }
  }
  const width = document.documentElement.clientWidth;
  const overflowing = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest(wrappers)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && getComputedStyle(el).position !== 'absolute') overflowing.push(describe(el));
  }
  const unwrapped = [...document.querySelectorAll('table')].filter(t => !t.closest(wrappers)).map(describe);
  return {scrollWidth: document.documentElement.scrollWidth, width, wrapped, broken, unwrapped,
          overflowing: overflowing.slice(0, 5)};
}"""

# Every chart mark (bars, lines, dots) with its painted colour and the background behind it.
_CHART_MARKS = """() => {
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = getComputedStyle(node).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) return c;
    }
    return getComputedStyle(document.documentElement).backgroundColor;
  };
  return [...document.querySelectorAll('svg rect.bar, svg .series, svg .dot')].map(el => {
    const s = getComputedStyle(el);
    const paint = el.tagName.toLowerCase() === 'polyline' ? s.stroke : s.fill;
    return {mark: el.getAttribute('class'), paint, behind: background(el.closest('figure') || el)};
  });
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    parts = [float(p) for p in re.findall(r"[\d.]+", css)[:3]]
    assert len(parts) == 3, css
    return parts[0], parts[1], parts[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two CSS rgb() colours, as the browser reports them."""
    return contrast_ratio(_rgb(a), _rgb(b))


def test_contrast_reads_computed_colours():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(47, 93, 98)", "rgba(255, 255, 255, 1)") == pytest.approx(7.34, abs=0.01)


@pytest.fixture
def open_scheme(browser, server):
    """A signed-in page at a viewport and colour scheme (contexts closed afterwards)."""
    contexts = []

    def open_(username: str, viewport: dict, scheme: str):
        context = browser.new_context(base_url=server[1], viewport=viewport, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/$"))
        return page

    yield open_
    for context in contexts:
        context.close()


def _set_zone(database, username: str, zone: str | None) -> None:
    from sqlalchemy import update

    from collector.models import User

    with database.write() as session:
        session.execute(update(User).where(User.username == username).values(time_zone=zone))


def _check_page(page, axe, label: str) -> tuple[list[str], int]:
    """Problems found on the open page, and how many chart marks were measured."""
    problems = []
    found = page.evaluate(_MEASURE, [TOKENS, WRAPPERS])
    if found["scrollWidth"] > found["width"]:
        problems.append(f"{label}: page scrolls sideways ({found['scrollWidth']} > {found['width']}): "
                        f"{found['overflowing']}")
    problems += [f"{label}: token wraps: {w}" for w in found["wrapped"]]
    problems += [f"{label}: table outside a scroll wrapper: {t}" for t in found["unwrapped"]]
    if "<time" in page.locator("body").inner_text():  # a <time> element escaped into text
        problems.append(f"{label}: time markup shown as text")
    problems += [f"{label}: token broken across lines: {b}" for b in found["broken"]]
    results = axe.run(page, options={"runOnly": {"type": "rule", "values": AXE_RULES}, "resultTypes": ["violations"]})
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            problems.append(f"{label}: axe {violation['id']}: {node['target']} {node.get('failureSummary', '')[:160]}")
    marks = page.evaluate(_CHART_MARKS)
    for mark in marks:
        ratio = contrast(mark["paint"], mark["behind"])
        if ratio < 3:
            problems.append(f"{label}: chart mark {mark['mark']} {mark['paint']} on {mark['behind']}: {ratio:.2f}:1")
    return problems, len(marks)


def _check_phone_menu(page, shots, shot: str) -> None:
    """Folded navigation: a small header, "Menu" opens from the keyboard, links then work."""
    nav = page.locator("nav[aria-label=Main]")
    header = page.locator("header.top").bounding_box()
    assert header["height"] < PHONE["height"] / 4, header
    assert not nav.is_visible()
    summary = page.locator("details.menu > summary")
    assert summary.is_visible() and summary.inner_text().strip().startswith("Menu")
    summary.focus()
    page.keyboard.press("Enter")
    assert nav.is_visible()
    assert page.locator("details.menu").get_attribute("open") is not None
    shots.take(page, shot)
    link = nav.get_by_role("link", name="Assets", exact=True)
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 24, box
    link.click()
    page.wait_for_url(re.compile(r"/assets$"))
    assert page.locator("h1").inner_text() == "Assets" and not nav.is_visible()


def _check_desktop_menu(page, shots, shot: str) -> None:
    assert page.locator("nav[aria-label=Main]").is_visible()
    assert not page.locator("details.menu > summary").is_visible()
    assert page.locator("nav[aria-label=Main] a", has_text="Assets").is_visible()
    shots.take(page, shot)


# Each page at each size, and each scheme: a token's wrapping depends on the width, not the
# colours, and both schemes' contrast is also checked for every colour pair (test_palette.py),
# so two runs cover all four without doubling the suite's longest browser test.
@pytest.mark.parametrize("size, scheme", [("desktop", "light"), ("phone", "dark")])
def test_every_page_lays_out_at_each_size_and_scheme(size, scheme, open_scheme, users, fleet, server, database,
                                                     shots):
    app, _ = server
    viewport = PHONE if size == "phone" else DESKTOP
    # Phones read in Paris here: the longer local-time labels ("CEST") must fit as well.
    _set_zone(database, "admin", "Europe/Paris" if size == "phone" else None)
    page = open_scheme("admin", viewport, scheme)
    (_check_phone_menu if size == "phone" else _check_desktop_menu)(page, shots, f"{size}-{scheme}-menu.png")
    axe = axe_playwright.Axe()
    problems, marks = [], 0
    for endpoint, url in _pages(app, fleet, users):
        response = page.goto(url)
        assert response.status in (200, 404), (url, response.status)  # 404: an id the fleet does not have
        name = f"{size}-{scheme}-{endpoint.removeprefix('web.')}.png"
        shots.take(page, name, full_page=True)
        found, counted = _check_page(page, axe, f"{url} ({size}, {scheme})")
        problems += found
        marks += counted
    assert not problems, "\n".join(problems)
    assert marks > 0  # the dashboard's bars at least were measured


def test_phone_times_show_the_users_zone(open_scheme, users, fleet, database):
    _set_zone(database, "operator", "Europe/Paris")
    page = open_scheme("operator", PHONE, "light")
    page.goto(f"/assets/{fleet.asset_id}")
    first = page.locator("main time").first
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first.get_attribute("datetime"))
    assert first.inner_text().endswith((" CET", " CEST"))
    page.goto("/settings")
    assert page.locator("#current-zone").inner_text() == "Europe/Paris"
    page.get_by_label("Show times in").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save time zone").click()
    assert page.get_by_role("status").inner_text() == "Time zone saved."
    page.goto(f"/assets/{fleet.asset_id}")
    assert page.locator("main time").first.inner_text().endswith(" JST")
