"""Real receivers on loopback: an SMTP server (aiosmtpd) and a webhook endpoint (http.server).

Both listen on 127.0.0.1 only, record what they receive, and can be told to refuse: the
webhook receiver fails the next N requests with a chosen status, checks every signature
with the collector's own ``verify_signature``, and can go down and come back on its port.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import replace
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from collector.notify.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature

HOOK_SECRET = "whsec-test-0123456789abcdef"
SMTP_PASSWORD = "smtp-pass-5ecret-Zq9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookReceiver:
    """Records verified deliveries; ``fail_next(n, status)`` answers the next n with ``status``."""

    def __init__(self, secret: str = HOOK_SECRET) -> None:
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/stocktake?channel=ops"
        self.received: list[dict] = []  # verified bodies, parsed
        self.bad_signatures = 0
        self.requests = 0
        self.paths: list[str] = []
        self.delay_s = 0.0  # answer this much later (so that concurrent deliverers overlap)
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server = None
        self.start()

    def fail_next(self, count: int, status: int) -> None:
        with self._lock:
            self._failures += [status] * count

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay_s)
                self.send_response(receiver._handle(self.path, self.headers, body))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def _handle(self, path: str, headers, body: bytes) -> int:
        with self._lock:
            self.requests += 1
            self.paths.append(path)
            if self._failures:
                return self._failures.pop(0)
            if not verify_signature(self.secret, headers.get(TIMESTAMP_HEADER), body, headers.get(SIGNATURE_HEADER)):
                self.bad_signatures += 1
                return 401
            self.received.append(json.loads(body))
            return 204

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.stop()


class SmtpSink:
    """Keeps every message aiosmtpd accepts; ``refuse`` lists recipients answered 550."""

    def __init__(self) -> None:
        self.messages = []
        self.envelopes = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def _controller(sink, port, **kwargs):
    from aiosmtpd.controller import Controller

    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_server():
    """A plain SMTP server on loopback: (sink, port)."""
    sink, port = SmtpSink(), free_port()
    controller = _controller(sink, port)
    yield sink, port
    controller.stop()


@pytest.fixture
def smtp_tls_server(tmp_path):
    """An SMTP server that requires STARTTLS and AUTH (user "stocktake"): (sink, port, CA file)."""
    import ssl

    from aiosmtpd.smtp import AuthResult

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.login)
        ok = auth_data.login == b"stocktake" and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    sink, port = SmtpSink(), free_port()
    sink.logins = logins
    controller = _controller(sink, port, tls_context=context, require_starttls=True, authenticator=authenticator,
                             auth_require_tls=True)
    yield sink, port, str(cert)
    controller.stop()


@pytest.fixture
def notify_config(config, receiver, smtp_server):
    """The test config with the webhook "ops" (the receiver) and the plain SMTP server."""
    return replace(config, smtp_host="127.0.0.1", smtp_port=smtp_server[1], smtp_starttls=False,
                   mail_from="stocktake@example.org", webhook_urls=(("ops", receiver.url),),
                   webhook_secrets=(("ops", HOOK_SECRET),), notify_timeout_s=5).validate()
