"""Stand-ins for the agent's delivery tests: a scripted collector on loopback, a fast probe."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HostProbe:
    """A fast stand-in for the real probes (the cycle machinery is what is under test)."""

    name = "host"

    def supported(self):
        return True

    def collect(self):
        return {"host": {"hostname": "stub-host"}}


class ScriptedCollector:
    """Answers reports with the scripted statuses in order, then 201.

    ``fail`` maps a report id to the status the collector always answers for it (a report it
    cannot store); ``reports`` keeps every report body received, by path.
    """

    def __init__(self, statuses, retry_after=None, fail=None):
        self.statuses = list(statuses)
        self.retry_after = retry_after
        self.fail = dict(fail or {})
        self.calls: list[str] = []
        self.reports: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.calls.append(f"{self.path} {self.headers.get('Authorization', '')}")
                if self.path == "/api/v1/enroll":
                    return self._answer(201, {"agent_id": "a1", "node_key": "stkn_new"})
                try:
                    body = json.loads(gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw)
                except ValueError:
                    body = {}
                outer.reports.append((self.path, body))
                if self.path == "/api/v1/checkin":
                    return self._answer(200, {"settings": {}, "tasks": []})
                status = outer.fail.get(body.get("report_id")) or (outer.statuses.pop(0) if outer.statuses else 201)
                headers = {"Retry-After": str(outer.retry_after)} if outer.retry_after is not None and status >= 400 else {}
                self._answer(status, {"status": "stored"} if status < 300 else {"error": f"scripted {status}"}, headers)

            def _answer(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path="/api/v1/inventory") -> list[str]:
        """Report ids posted to ``path``, in order (refused ones too)."""
        return [body.get("report_id") for p, body in self.reports if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
