"""Unmanaged devices: on the network, found by scanners, with no agent and no asset."""

from __future__ import annotations

from flask import render_template

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
    device_type = choice("type", DEVICE_TYPES)
    page = list_devices(request_session(), managed=False, page=page_number(), per_page=PER_PAGE,
                        device_type=device_type)
    return render_template("devices.html", page=page, pages=max(1, -(-page.total // PER_PAGE)), types=DEVICE_TYPES,
                           device_type=device_type)
