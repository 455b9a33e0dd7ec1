"""Fixtures: the mock served by uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from gatecheck.mock import MockConfig, create_app


class ServedApp:
    """An ASGI app served by uvicorn in a daemon thread; ``url`` once started."""

    def __init__(self, app) -> None:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and without it every response pays a 40 ms Nagle + delayed-ACK stall.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                loop="asyncio",
                http="httptools",
                lifespan="off",
                access_log=False,
                log_level="critical",
                timeout_graceful_shutdown=1,
            )
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("mock did not start in 10 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="session")
def served() -> Iterator[ServedApp]:
    with ServedApp(create_app(MockConfig(max_hold_s=3.0))) as served:
        yield served


@pytest.fixture(scope="session")
def mock_url(served: ServedApp) -> str:
    return served.url


@pytest.fixture(scope="session")
def keyed_url() -> Iterator[str]:
    with ServedApp(create_app(MockConfig(api_keys=frozenset({"sk-mock-right"})))) as served:
        yield served.url
