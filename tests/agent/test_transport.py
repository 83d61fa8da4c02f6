"""The agent's transport against a collector that breaks off its answers (a worker killed
mid-response): a transport error, the report kept in the spool, never an exception that ends
the agent's delivery."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest

from agent.delivery import Backoff, KeyKeeper, deliver_spool
from agent.errors import TransportError
from agent.spool import Spool
from agent.state import AgentIdentity
from agent.transport import CollectorClient

# What a collector process can leave on the wire when it dies: a body shorter than its length,
# a status line cut in half, a 201 whose JSON stops in the middle.
BROKEN_ANSWERS = {
    "cut body": b"HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"status\": \"st",
    "cut status line": b"HTTP/1.1 20",
    "not json": b"HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"status\": \"st",
}


class BrokenCollector:
    """A loopback server that reads each request and answers ``answer`` then closes, ``count`` times."""

    def __init__(self, answer: bytes, count: int = 50) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, args=(answer, count), daemon=True)
        self.thread.start()

    def _serve(self, answer: bytes, count: int) -> None:
        for _ in range(count):
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(10)
                self._read_request(connection)
                self.requests += 1
                connection.sendall(answer)

    @staticmethod
    def _read_request(connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        while len(body) < length:
            body += connection.recv(65536)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(params=sorted(BROKEN_ANSWERS))
def broken(request):
    server = BrokenCollector(BROKEN_ANSWERS[request.param])
    yield server
    server.close()


def test_a_broken_off_answer_is_a_transport_error(broken):
    client = CollectorClient(broken.url, None, 5)
    with pytest.raises(TransportError, match="broke off its answer|not JSON"):
        client._post("/api/v1/inventory", b'{"report_id": "r"}', "stkn_key")
    assert broken.requests == 1


def test_delivery_keeps_the_report_spooled_and_returns(broken, tmp_path):
    spool = Spool(tmp_path / "spool")
    report_id = str(uuid.uuid4())
    spool.put({"report_id": report_id})
    keys = KeyKeeper(AgentIdentity("a1", "stkn_key"), lambda previous: AgentIdentity("a1", "stkn_key"))
    result = deliver_spool(spool, CollectorClient(broken.url, None, 5), keys, budget_s=2.0,
                           backoff=Backoff(base_s=0.01, cap_s=0.05), max_attempts=3)
    assert (result.delivered, result.rejected) == (0, 0) and result.error
    assert [entry.report_id for entry in spool.pending()] == [report_id]  # kept for the next cycle
    assert broken.requests >= 1
