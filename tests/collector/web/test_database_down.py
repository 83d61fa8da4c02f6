"""With the database unreachable, web pages answer a 503 page with Retry-After, as the API does, not a 500."""

from __future__ import annotations

import socket

import pytest


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is: nothing listens there


@pytest.fixture
def unreachable_app(tmp_path):
    from collector.app import create_app
    from collector.config import CollectorConfig

    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test?connect_timeout=2"
    app = create_app(CollectorConfig(data_dir=str(tmp_path / "var"), database_url=url, log_format="text",
                                     log_level="WARNING"))
    app.config["TESTING"] = True
    yield app
    app.extensions["stocktake"]["db"].dispose()


@pytest.mark.parametrize("path", ["/", "/assets"])
def test_pages_answer_503_with_retry_after_while_the_database_is_unreachable(unreachable_app, path):
    client = unreachable_app.test_client()
    client.set_cookie("stocktake_session", "x" * 43)  # a signed-in browser: looked up in the database
    response = client.get(path)
    assert response.status_code == 503, response.data[:300]
    assert int(response.headers["Retry-After"]) > 0
    assert b"not reachable" in response.data
