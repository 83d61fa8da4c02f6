"""Times in the reader's chosen zone: the setting, its validation, the pages and the exports.

A user in Europe/Paris sees the UTC instants of the database an hour (winter) or two (summer)
later, labelled CET/CEST, each inside ``<time datetime="…Z">``; the exports and the audit log's
stored times stay UTC whoever downloads them.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, stored", [("", None), ("UTC", None), (" Europe/Paris ", "Europe/Paris"),
                                           ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires")])
def test_check_time_zone_accepts_tz_database_names(value, stored):
    from collector.access.time_zones import check_time_zone

    assert check_time_zone(value) == stored


@pytest.mark.parametrize("value", ["CET", "Mars/Olympus_Mons", "../../etc/passwd", "/usr/share/zoneinfo/UTC",
                                   "europe/paris", "Europe/Paris\x00", "posix/Europe/Paris"])
def test_check_time_zone_refuses_anything_else(value):
    from collector.access.time_zones import check_time_zone
    from collector.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        check_time_zone(value)
    assert refused.value.fields[0].field == "time_zone"


def test_time_element_shifts_labels_and_keeps_the_utc_instant():
    from collector.web.times import time_element

    assert str(time_element(WINTER, "Europe/Paris")) == \
        '<time datetime="2026-01-15T12:00:00Z">2026-01-15 13:00 CET</time>'
    assert str(time_element(SUMMER, "Europe/Paris")) == \
        '<time datetime="2026-07-01T12:00:00Z">2026-07-01 14:00 CEST</time>'
    assert str(time_element(SUMMER, "America/New_York")).endswith(">2026-07-01 08:00 EDT</time>")
    # A zone without an abbreviation in the tz database shows its offset instead of nothing.
    assert str(time_element(WINTER, "America/Sao_Paulo")).endswith(">2026-01-15 09:00 -03</time>")
    assert str(time_element(WINTER)).endswith(">2026-01-15 12:00 UTC</time>")
    # Naive values only come from the UTC columns (SQLite); ISO strings from JSON details.
    assert time_element(WINTER.replace(tzinfo=None), "Europe/Paris") == time_element(WINTER, "Europe/Paris")
    assert time_element("2026-01-15T12:00:00+00:00", "Europe/Paris") == time_element(WINTER, "Europe/Paris")
    assert str(time_element(date(2026, 1, 2), "Asia/Tokyo")) == \
        '<time class="date" datetime="2026-01-02">2026-01-02</time>'
    assert str(time_element("2026-01-02", "Pacific/Kiritimati")) == \
        '<time class="date" datetime="2026-01-02">2026-01-02</time>'  # a day (need-by), not shifted
    assert str(time_element(None)) == "—"


def _fix_times(database, asset_id: int) -> None:
    from collector.models import Asset

    with database.write() as session:
        asset = session.get(Asset, asset_id)
        asset.first_seen_at, asset.last_seen_at = SUMMER, WINTER


def _zone_of(database, username: str) -> str | None:
    from collector.models import User

    with database.session() as session:
        return session.scalar(select(User.time_zone).where(User.username == username))


def test_a_user_in_paris_sees_local_times_and_exports_stay_utc(client, users, login, fleet, database):
    from collector.models import AuditLogEntry

    _fix_times(database, fleet.asset_id)
    token = login("operator")
    page = client.get(f"/assets/{fleet.asset_id}").get_data(as_text=True)
    assert '<time datetime="2026-01-15T12:00:00Z">2026-01-15 12:00 UTC</time>' in page  # the default

    settings = client.get("/settings").get_data(as_text=True)
    assert '<option selected>' not in settings and '<option value="UTC" selected>UTC</option>' in settings
    response = client.post("/settings/time-zone", data={"time_zone": "Europe/Paris", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/settings?saved=1")
    assert _zone_of(database, "operator") == "Europe/Paris"
    settings = client.get("/settings?saved=1").get_data(as_text=True)
    assert "Time zone saved." in settings and "<option selected>Europe/Paris</option>" in settings

    page = client.get(f"/assets/{fleet.asset_id}").get_data(as_text=True)
    assert '<time datetime="2026-01-15T12:00:00Z">2026-01-15 13:00 CET</time>' in page
    assert '<time datetime="2026-07-01T12:00:00Z">2026-07-01 14:00 CEST</time>' in page
    assert "2026-01-15 12:00 UTC" not in page
    assert "&lt;time" not in page  # never escaped into text (e.g. when concatenated in a template)
    assert re.search(r'agent <time datetime="[^"]+Z">[^<]+ (CET|CEST)</time>', page)  # an interface's source
    listing = client.get("/assets").get_data(as_text=True)
    assert '<time datetime="2026-01-15T12:00:00Z">2026-01-15 13:00 CET</time>' in listing

    # Exports are UTC whoever makes them: the same instant, unshifted, in the file.
    export = client.get("/exports/assets.csv")
    assert export.status_code == 200
    text = export.get_data(as_text=True).lstrip("\ufeff")
    assert "2026-01-15 12:00:00" in text and "2026-01-15 13:00" not in text
    generated = [row for row in csv.reader(io.StringIO(text)) if row and "Generated at" in row[0]]
    assert not generated or generated[0][1].endswith("UTC")
    with database.session() as session:
        entry = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "user_time_zone_set")).one()
    assert entry.actor == "operator" and entry.target == "operator"
    assert entry.detail == {"from": "UTC", "to": "Europe/Paris"}

    # The audit log page shows that entry's stored UTC instant in Paris time.
    audit = client.get("/audit").get_data(as_text=True)
    stamp = entry.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = re.search(rf'<time datetime="{stamp}">([^<]+)</time>', audit)
    assert shown and shown.group(1).endswith((" CET", " CEST"))


def test_a_refused_zone_keeps_the_form_and_stores_nothing(client, users, login, database):
    from collector.models import AuditLogEntry

    token = login("auditor")  # auditors set their own display zone too: it changes no record
    response = client.post("/settings/time-zone", data={"time_zone": "Europe/Atlantis", "csrf_token": token})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "Europe/Atlantis" in page and "Europe/Paris" in page
    assert _zone_of(database, "auditor") is None
    no_token = client.post("/settings/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert no_token.status_code == 400 and _zone_of(database, "auditor") is None
    assert client.post("/settings/time-zone", data={"time_zone": "Asia/Tokyo", "csrf_token": token}).status_code == 303
    assert _zone_of(database, "auditor") == "Asia/Tokyo"
    # Back to UTC stores NULL (the default), audited as such.
    assert client.post("/settings/time-zone", data={"time_zone": "UTC", "csrf_token": token}).status_code == 303
    assert _zone_of(database, "auditor") is None
    with database.session() as session:
        details = session.scalars(select(AuditLogEntry.detail).where(AuditLogEntry.action == "user_time_zone_set")
                                  .order_by(AuditLogEntry.id)).all()
    assert details == [{"from": "UTC", "to": "Asia/Tokyo"}, {"from": "Asia/Tokyo", "to": "UTC"}]


def test_admins_set_another_users_zone_and_others_may_not(client, users, login, database):
    token = login("admin")
    users_page = client.get("/admin/users").get_data(as_text=True)
    assert '<datalist id="time-zones">' in users_page and '<option value="Europe/Paris">' in users_page
    url = f"/admin/users/{users['operator']}/time-zone"
    assert client.post(url, data={"time_zone": "America/New_York", "csrf_token": token}).status_code == 303
    assert _zone_of(database, "operator") == "America/New_York"
    refused = client.post(url, data={"time_zone": "EST", "csrf_token": token})
    assert refused.status_code == 422 and "time_zone" in refused.get_data(as_text=True)
    assert _zone_of(database, "operator") == "America/New_York"
    missing = client.post("/admin/users/999999/time-zone", data={"time_zone": "UTC", "csrf_token": token})
    assert missing.status_code == 404

    client.post("/logout", data={"csrf_token": token})
    token = login("operator")
    assert client.post(f"/admin/users/{users['auditor']}/time-zone",
                       data={"time_zone": "Asia/Tokyo", "csrf_token": token}).status_code == 403
    assert _zone_of(database, "auditor") is None
