"""Devices without an agent: on the network, found by scanners, with no agent-reported asset
(the "without an agent" count, collector/reports/counts.py)."""

from __future__ import annotations

from flask import render_template, request

from collector.extensions import request_session
from collector.queries.devices import DEVICE_SORTS, list_devices
from collector.web import bp
from collector.web.listing import list_args, stay_in_range
from collector.web.params import choice
from collector.web.security import allow
from common.device_types import DEVICE_TYPES

__all__: list[str] = []


@bp.get("/devices")
@allow("auditor")
def devices():
    """``?show=nodes``: the discovered nodes (not registered, no exception by policy), with the reason;
    ``?type=``: one device type."""
    show = request.args.get("show", "unmanaged")
    if show not in ("unmanaged", "nodes", "suppressed"):
        show = "unmanaged"
    quieted = {"nodes": "policy", "suppressed": "suppression"}.get(show)
    search = (request.args.get("q") or "").strip()[:255] or None
    device_type = choice("type", DEVICE_TYPES)
    listing = list_args("devices", tuple(DEVICE_SORTS), "id")
    page = list_devices(request_session(), managed=False, page=listing.page, per_page=listing.per_page,
                        quieted=quieted, search=search, device_type=device_type, sort=listing.sort)
    stay_in_range(listing, page.total)
    return render_template("devices.html", page=page, listing=listing, show=show, q=search, types=DEVICE_TYPES,
                           device_type=device_type)
