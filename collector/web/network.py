"""Unmanaged devices: on the network, found by scanners, with no agent and no asset."""

from __future__ import annotations

from flask import render_template, request

from collector.extensions import request_session
from collector.queries.devices import list_devices
from collector.web import bp
from collector.web.params import choice, page_number
from collector.web.security import allow
from common.device_types import DEVICE_TYPES

__all__: list[str] = []

PER_PAGE = 50


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
    page = list_devices(request_session(), managed=False, page=page_number(), per_page=PER_PAGE, quieted=quieted,
                        search=search, device_type=device_type)
    return render_template("devices.html", page=page, pages=max(1, -(-page.total // PER_PAGE)), show=show, q=search,
                           types=DEVICE_TYPES, device_type=device_type)
