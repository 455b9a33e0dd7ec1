"""The embedded default: the mock upstream and the reference proxy on free loopback ports.

``start_embedded()`` is what ``gatecheck run``, ``gatecheck load`` and the tests use when no
target is named::

    with start_embedded() as stack:
        client = openai.OpenAI(base_url=stack.proxy_url + "/v1", api_key=stack.admin_key)

Both servers are uvicorn (uvloop + httptools) in daemon threads of this process, bound to
127.0.0.1 port 0; startup waits at most ``startup_timeout`` seconds and shutdown is bounded
too. ``serve_in_thread`` serves any one ASGI app the same way.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from gatecheck._exceptions import HarnessError

if TYPE_CHECKING:
    from gatecheck.mock import MockApp, MockConfig
    from gatecheck.proxy import ProxyApp, ProxyConfig

__all__ = ["EmbeddedStack", "serve_in_thread", "start_embedded"]


@dataclass(frozen=True, slots=True)
class EmbeddedStack:
    """URLs (scheme://host:port, no ``/v1``) and handles of a running embedded stack."""

    proxy_url: str
    mock_url: str
    admin_key: str  # has every permission (chat and admin) on the proxy
    proxy: ProxyApp  # in-process handle: key store, config, upstream state
    mock: MockApp


class _QuietAborts(logging.Filter):
    """Drops uvicorn's "returned without completing response" line for one server thread.

    The mock aborts responses on purpose (its reset, cut and silence faults); uvicorn logs
    each as an error on the process-wide ``uvicorn.error`` logger. Only that server's thread
    is filtered, so the same line from the proxy (a real bug) still shows.
    """

    def __init__(self, thread_name: str) -> None:
        super().__init__()
        self.thread_name = thread_name

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == self.thread_name
                    and str(record.msg).startswith("ASGI callable returned without completing"))


@contextmanager
def serve_in_thread(
    app: Any, *, host: str = "127.0.0.1", startup_timeout: float = 10.0,
    quiet_aborts: bool = False,
) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a daemon thread; yields ``http://host:port``.

    ``quiet_aborts`` silences uvicorn's error line for responses the app aborts on purpose.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, loop="uvloop", http="httptools", lifespan="on", access_log=False,
        log_level="warning", log_config=None,  # never reconfigure the process's logging
        timeout_graceful_shutdown=2, server_header=False,
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # uvicorn exits (SystemExit) when startup fails
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    quiet = _QuietAborts(thread.name) if quiet_aborts else None
    if quiet is not None:
        logging.getLogger("uvicorn.error").addFilter(quiet)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            if quiet is not None:
                logging.getLogger("uvicorn.error").removeFilter(quiet)
            why = f": {failure[0]!r}" if failure else ""
            raise HarnessError(f"embedded server on {host}:{port} did not start{why}")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5.0)
        sock.close()
        if quiet is not None:
            logging.getLogger("uvicorn.error").removeFilter(quiet)


@contextmanager
def start_embedded(
    *,
    upstream_format: Literal["openai", "anthropic"] = "openai",
    mock_config: MockConfig | None = None,
    proxy_config: Callable[[str], ProxyConfig] | None = None,
    admin_key: str | None = None,
    startup_timeout: float = 10.0,
) -> Iterator[EmbeddedStack]:
    """Start the mock and the proxy (mock first), yield their URLs and the admin key, stop both.

    Args:
        upstream_format: the format the proxy speaks to the mock (the mock speaks both);
            "openai" is the embedded default of CONTRACT.md.
        proxy_config: a factory from the mock's URL to a proxy config, instead of the default.
        admin_key: the proxy's admin key; default: ``GATECHECK_ADMIN_KEY`` or a fresh key.
    """
    import os

    from gatecheck.mock import create_app as create_mock
    from gatecheck.proxy import create_app, default_config
    from gatecheck.proxy.keystore import KeyStore, new_key

    admin_key = admin_key or os.environ.get("GATECHECK_ADMIN_KEY") or new_key()
    mock = create_mock(mock_config)
    with serve_in_thread(mock, startup_timeout=startup_timeout, quiet_aborts=True) as mock_url:
        if proxy_config is not None:
            config = proxy_config(mock_url)
        else:
            config = default_config(mock_url)
            if upstream_format != "openai":
                provider = config.providers[0]
                config = _with_format(config, provider, upstream_format)
        proxy = create_app(config, admin_key=admin_key, store=KeyStore(":memory:"))
        with serve_in_thread(proxy, startup_timeout=startup_timeout) as proxy_url:
            yield EmbeddedStack(proxy_url, mock_url, admin_key, proxy, mock)


def _with_format(config: ProxyConfig, provider: Any, fmt: str) -> ProxyConfig:
    import dataclasses

    return dataclasses.replace(config, providers=(dataclasses.replace(provider, format=fmt),))
