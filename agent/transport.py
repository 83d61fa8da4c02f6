"""Talking to the collector over HTTPS with the standard library only.

TLS certificates are verified by default (optionally against a CA bundle) and an
``https://`` URL never falls back to plain HTTP. Bodies are gzip-compressed.
"""

from __future__ import annotations

import gzip
import http.client
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from agent import __version__
from agent.errors import TransportError

__all__ = ["CollectorClient", "TransportError"]


@dataclass
class CollectorClient:
    base_url: str
    ca_bundle: str | None = None
    timeout_s: float = 30

    def enroll(self, secret: str, hostname: str, agent_id: str | None = None, platform: str | None = None,
               node_key: str | None = None) -> dict:
        body = {"enroll_secret": secret, "hostname": hostname, "agent_version": __version__}
        if agent_id:
            body["agent_id"] = agent_id
        if node_key:
            body["node_key"] = node_key
        if platform:
            body["platform"] = platform
        return self._post("/api/v1/enroll", json.dumps(body).encode(), None)

    def post_inventory(self, node_key: str, report: dict[str, Any] | bytes, compressed: bool = False) -> dict:
        """Upload a report (a dict, JSON bytes, or gzip bytes with ``compressed``)."""
        raw = report if isinstance(report, bytes) else json.dumps(report, separators=(",", ":")).encode()
        return self._post("/api/v1/inventory", raw, node_key, compressed)

    def post_discovery(self, node_key: str, report: dict[str, Any] | bytes, compressed: bool = False) -> dict:
        """Upload a scanner's DiscoveryReport (a dict, JSON bytes, or gzip bytes with ``compressed``)."""
        raw = report if isinstance(report, bytes) else json.dumps(report, separators=(",", ":")).encode()
        return self._post("/api/v1/discovery", raw, node_key, compressed)

    def checkin(self, node_key: str, status: dict[str, Any]) -> dict:
        """Report the agent's state; the answer carries its settings and tasks."""
        return self._post("/api/v1/checkin", json.dumps(status).encode(), node_key)

    def _post(self, path: str, raw: bytes, bearer: str | None, compressed: bool = False) -> dict:
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "User-Agent": f"stocktake-agent/{__version__}",
        }
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        body = raw if compressed else gzip.compress(raw, 6)
        request = urllib.request.Request(self.base_url.rstrip("/") + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s, context=self._tls_context()) as response:
                answer = response.read() or b"{}"
        except urllib.error.HTTPError as exc:
            raise TransportError(_error_message(exc), exc.code, _retry_after(exc)) from None
        except http.client.HTTPException as exc:
            # The collector's process died mid-answer (IncompleteRead, a bad status line): the
            # report may or may not be stored, so it stays spooled and its retry is "already stored".
            raise TransportError(f"collector at {self.base_url} broke off its answer: {type(exc).__name__}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise TransportError(f"TLS certificate of {self.base_url} refused: {reason.verify_message}") from None
            raise TransportError(f"cannot reach collector at {self.base_url}: {reason}") from None
        try:
            return json.loads(answer)
        except ValueError:
            raise TransportError(f"collector at {self.base_url} answered with something that is not JSON") from None

    def _tls_context(self) -> ssl.SSLContext | None:
        if not self.base_url.startswith("https://"):
            return None
        return ssl.create_default_context(cafile=self.ca_bundle or None)


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("error", "")
    except (ValueError, AttributeError, OSError):
        detail = ""
    return f"collector answered {exc.code}: {detail or exc.reason}"


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return float(value) if value else None
    except ValueError:
        return None
