"""`make demo`'s daily-work step (issue 14): the web UI used as an auditor would, over HTTP.

Signs in as the demo auditor, finds this machine and a scanned device by one search each
(host name in capitals, a MAC in Cisco's dotted notation), opens the CI and device pages the
hits link to, reads the exception queue sorted by kind, downloads the exception list as CSV
and checks its data hash against the audit entry the export wrote, and verifies the audit log's
hash chain. Everything goes to the demo collector on loopback; nothing is changed but the
export's own audit entry.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

__all__ = ["daily_work"]


class _Browser:
    """Just enough of a browser for the demo: cookies by hand (the session cookie is Secure,
    which urllib's cookie jar never sends over http://127.0.0.1 although browsers do)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:  # redirects and refusals alike
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), response.read()

    def page(self, path: str) -> str:
        status, _, body = self.request(path)
        if status != 200:
            raise SystemExit(f"demo: {path} answered {status}")
        return body.decode()

    def sign_in(self, username: str, password: str) -> None:
        login = self.page("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        status, headers, _ = self.request("/login", {"csrf_token": token, "next": "/", "username": username,
                                                    "password": password})
        if status != 303:
            raise SystemExit(f"demo: signing in as {username} answered {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _hits(page: str) -> list[tuple[str, str, str]]:
    """(link, title, matched on) of each search hit."""
    rows = re.findall(r'<tr><td[^>]*><a href="(/(?:assets|cis|devices)/\d+)">([^<]*)</a></td>\s*<td[^>]*>[^<]*</td>'
                      r'<td>([^<]*)</td>', page)
    return [(link, html.unescape(title), field) for link, title, field in rows]


def _title(page: str) -> str:
    return html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)).strip()


def _search(browser: _Browser, query: str, say: Callable[[str], None]) -> list[tuple[str, str, str]]:
    page = browser.page("/search?" + urllib.parse.urlencode({"q": query}))
    summary = re.search(r'<p class="summary" role="status">(.*?)</p>', page, re.S)
    found = _hits(page)
    say(f"  search {query!r}: {re.sub(r'<[^>]+>', '', summary.group(1)).split(':')[0].strip() if summary else 'nothing'}")
    for link, title, field in found[:4]:
        say(f"    {title} (matched on {field}) -> {browser.base}{link}")
    return found


def _dotted(mac: str) -> str:
    digits = re.sub(r"[^0-9a-f]", "", mac.lower())
    return ".".join(digits[i:i + 4] for i in range(0, 12, 4))


def _api(base: str, token: str, path: str) -> dict:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def daily_work(base: str, token: str, logins: list[tuple[str, str, str]], say: Callable[[str], None]) -> None:
    say()
    say("== Daily work in the web UI: one search, linked records, a sealed export (issue 14) ==")
    auditor = next(((u, p) for u, p, role in logins if role == "auditor"), None)
    if auditor is None:
        say("  no demo auditor could be set up; skipped")
        return
    browser = _Browser(base)
    browser.sign_in(*auditor)
    say(f"  signed in as {auditor[0]} (auditor, read-only)")

    hits = _search(browser, socket.gethostname().upper(), say)
    for link, _, _ in hits:
        if link.startswith("/cis/"):
            say(f"  CI page {link}: {_title(browser.page(link))!r}, with its sources, matches and history")
            break
    devices = _api(base, token, "/api/v1/devices?managed=false&per_page=50").get("items", [])
    with_mac = next((d for d in devices if d.get("mac")), None)
    if with_mac:
        device_hits = _search(browser, _dotted(with_mac["mac"]), say)
        device_link = next((link for link, _, _ in device_hits if link.startswith("/devices/")), None)
        if device_link:
            say(f"  device page {device_link}: {_title(browser.page(device_link))!r}")

    queue = browser.page("/exceptions?sort=kind&per_page=25")
    counted = re.search(r"(\d[\d,]*) exceptions?", re.sub(r"<[^>]+>", "", queue))
    say(f"  exception queue sorted by kind, 25 a page: {counted.group(0) if counted else 'shown'}")

    status, headers, body = browser.request("/exports/exceptions.csv?status=unresolved")
    if status != 200:
        raise SystemExit(f"demo: the exception export answered {status}")
    filename = re.search(r'filename="?([^";]+)', headers.get("Content-Disposition", ""))
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    data_hash = hashlib.sha256(body[3:] if body.startswith(b"\xef\xbb\xbf") else body).hexdigest()
    say(f"  export {filename.group(1) if filename else 'exceptions.csv'}: {len(rows) - 1} rows; first line is the header:")
    say(f"    {','.join(rows[0][:6])},…")
    # The streamed CSV is recorded once its last byte has left, so the entry may trail the download.
    entries, deadline = [], time.monotonic() + 10
    while not entries and time.monotonic() < deadline:
        entries = [e for e in _api(base, token, "/api/v1/audit?action=export&limit=5").get("items", [])
                   if filename and (e["detail"] or {}).get("file") == filename.group(1)]
        if not entries:
            time.sleep(0.2)
    recorded = (entries[0]["detail"] or {}).get("data_sha256") if entries else None
    say(f"  audit entry {entries[0]['id'] if entries else '?'} holds its data SHA-256 {recorded}; "
        f"recomputed from the file: {'the same' if recorded == data_hash else data_hash}")
    chain = _api(base, token, "/api/v1/audit/verify")
    say(f"  audit log: {chain['checked']} entries, chain {'intact' if chain['ok'] else 'BROKEN'}, "
        f"head entry {chain['head_id']} SHA-256 {chain['head_hash']}")
