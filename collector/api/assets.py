"""GET /api/v1/assets and /api/v1/assets/<id>: the asset register, read with an API token."""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_token
from collector.api.params import DEFAULT_PER_PAGE, positive_int
from collector.api.serializers import asset_detail, asset_summary
from collector.extensions import get_config, request_session
from collector.queries.assets import AssetFilters, get_asset_detail, list_assets


@bp.get("/assets")
def assets_index():
    current_token("auditor")
    per_page = positive_int("per_page", DEFAULT_PER_PAGE, get_config().page_size_max)
    page = positive_int("page", 1, 10_000_000)
    filters = AssetFilters(
        hostname=request.args.get("hostname") or None,
        serial=request.args.get("serial") or None,
        mac=request.args.get("mac") or None,
    )
    result = list_assets(request_session(), filters, page, per_page)
    return {
        "items": [asset_summary(asset) for asset in result.items],
        "page": result.page,
        "per_page": result.per_page,
        "total": result.total,
        "pages": (result.total + per_page - 1) // per_page,
    }


@bp.get("/assets/<int:asset_id>")
def assets_show(asset_id: int):
    current_token("auditor")
    return asset_detail(get_asset_detail(request_session(), asset_id))
