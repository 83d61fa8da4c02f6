"""The collector's Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask

from collector import admission, extensions, metrics, routing
from collector.config import CollectorConfig, load_config
from common.logs import configure_logging

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(config: CollectorConfig | None = None) -> Flask:
    """Build an app from ``config`` or from the TOML file and ``STOCKTAKE_*`` variables."""
    config = (config or load_config()).validate()
    configure_logging(config.log_level, config.log_format)
    app = Flask(__name__)
    # Flask refuses bodies whose Content-Length exceeds this before a view runs.
    app.config["MAX_CONTENT_LENGTH"] = config.max_wire_bytes
    app.json.sort_keys = False
    routing.init_app(app)
    extensions.init_app(app, config)
    metrics.init_app(app, config.metrics_token)
    admission.init_app(app, config.shed_queue_wait_ms, (config.shed_retry_after_min_s, config.shed_retry_after_max_s))

    from collector.api import bp as api_bp
    from collector.api.glpi import bp as glpi_bp
    from collector.api.ocs import bp as ocs_bp
    from collector.web import bp as web_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(ocs_bp)  # /ocsinventory: the OCS protocol, off /api/v1 (issue 15)
    app.register_blueprint(glpi_bp)  # /glpi: the GLPI agent's native protocol, off /api/v1 (issue 15)
    _warn_about_trusted_network(config)
    return app


def _warn_about_trusted_network(config: CollectorConfig) -> None:
    """Say loudly, at every start, that foreign agents are admitted without a secret (issue 15)."""
    if config.foreign_agents_trust_network:
        log.warning("foreign_agents_trust_network is on: OCS, FusionInventory and GLPI agent submissions WITHOUT "
                    "a site secret are admitted; any host that reaches this collector can report inventory",
                    extra={"event": "foreign_agents_unauthenticated", "setting": "foreign_agents_trust_network"})
