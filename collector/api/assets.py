"""GET /api/v1/assets and /api/v1/assets/<id>: the asset register, read with an API token."""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_token
from collector.api.params import paging
from collector.api.serializers import asset_detail, asset_summary
from collector.extensions import request_session
from collector.queries.assets import AssetFilters, get_asset_detail, list_assets


@bp.get("/assets")
def assets_index():
    current_token("auditor")
    pages = paging()
    filters = AssetFilters(
        hostname=request.args.get("hostname") or None,
        serial=request.args.get("serial") or None,
        mac=request.args.get("mac") or None,
    )
    result = list_assets(request_session(), filters, pages.page, pages.per_page)
    return pages.envelope([asset_summary(asset) for asset in result.items], result.total)


@bp.get("/assets/<int:asset_id>")
def assets_show(asset_id: int):
    current_token("auditor")
    return asset_detail(get_asset_detail(request_session(), asset_id))
