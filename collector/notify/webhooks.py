"""Signed webhooks: POST a JSON body that the receiver can prove came from us, and when.

The scheme is the one Stripe and Slack use. Each webhook has its own secret (config
``webhook_secrets``). Every request carries::

    X-Stocktake-Timestamp: <Unix time in seconds>
    X-Stocktake-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A receiver recomputes the HMAC over the timestamp, a full stop and the raw body bytes,
compares it in constant time with every ``v1=`` value in the header (several appear,
comma-separated, while a secret is rotated), and refuses timestamps more than five
minutes from its clock so that a captured request cannot be replayed later.
``verify_signature`` does exactly this. The body's ``id`` is the same on every retry of
one notification: receivers deduplicate on it (delivery is at least once).

URLs come only from the admin's configuration, never from request input. Redirects are
not followed and no proxy variables are honoured (``http.client``, not urllib), so a
request goes to the configured host and nowhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import time
from urllib.parse import urlsplit

from collector.notify.errors import DeliveryError

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "post_webhook", "sign", "verify_signature", "webhook_body"]

TIMESTAMP_HEADER = "X-Stocktake-Timestamp"
SIGNATURE_HEADER = "X-Stocktake-Signature"
SCHEME = "v1"
# 408 Request Timeout and 429 Too Many Requests say "later"; any other 4xx says the request
# itself is wrong, and sending it again cannot succeed (RFC 9110 section 15.5).
_RETRYABLE_4XX = (408, 429)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def verify_signature(secret: str, timestamp: str | int, body: bytes, header: str, tolerance_s: int = 300,
                     now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` at ``timestamp`` with ``secret``, within ``tolerance_s``.

    For receivers: pass the two headers as received and the raw body bytes (before any
    JSON parsing, which would change them).
    """
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance_s:
        return False
    expected = sign(secret, stamp, body).encode()
    candidates = [part.strip().encode() for part in (header or "").split(",")]
    # Compare against every candidate, without stopping at the first match.
    return sum(hmac.compare_digest(expected, candidate) for candidate in candidates) > 0


def webhook_body(notification_id: int, subject: str, text: str, data: dict, created_at: str) -> bytes:
    """The JSON document one notification posts (compact, keys sorted: the same bytes each retry)."""
    document = {"id": notification_id, "subject": subject, "text": text, "data": data, "created_at": created_at}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def post_webhook(name: str, url: str, secret: str, body: bytes, timeout_s: float, now: float | None = None) -> int:
    """POST ``body`` signed to the webhook ``name``; return the 2xx status or raise DeliveryError."""
    stamp = int(time.time() if now is None else now)
    headers = {"Content-Type": "application/json", "User-Agent": "stocktake-collector",
               TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(secret, stamp, body)}
    parts = urlsplit(url)
    connection = _connection(parts, timeout_s)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, TLS, garbled reply
        raise DeliveryError(f"webhook {name}: {type(exc).__name__}: {_first_line(exc)}") from None
    finally:
        connection.close()
    if 200 <= status < 300:
        return status
    permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
    raise DeliveryError(f"webhook {name}: HTTP {status}", permanent=permanent)


def _connection(parts, timeout_s: float) -> http.client.HTTPConnection:
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout_s,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]
