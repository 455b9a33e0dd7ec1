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

import dataclasses
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn

from gatecheck import interop
from gatecheck._client import GatewayClient
from gatecheck._exceptions import HarnessError
from gatecheck._exchange import Auth, Timeouts
from gatecheck._redact import default_redactor
from gatecheck.mock import MockApp, MockConfig
from gatecheck.mock import create_app as create_mock
from gatecheck.options import base_url_env
from gatecheck.proxy import ProxyApp, ProxyConfig, create_app, default_config
from gatecheck.proxy.keystore import KeyStore, new_key
from gatecheck.targets import TargetConfig

__all__ = [
    "EmbeddedStack", "Started", "serve_in_thread", "start_embedded", "start_for", "start_targets",
]


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
            "openai" is the embedded default.
        proxy_config: a factory from the mock's URL to a proxy config, instead of the default.
        admin_key: the proxy's admin key; default: ``GATECHECK_ADMIN_KEY`` or a fresh key.
    """
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
    return dataclasses.replace(config, providers=(dataclasses.replace(provider, format=fmt),))


# -- embedded targets (``base-url = "embedded"`` in targets.toml) --------------------------
#
# ``reference`` is the reference proxy over the mock upstream, ``reference-anthropic`` the
# same proxy speaking Anthropic format to the mock (so both translation directions and the
# Anthropic passthrough are checked end to end); a run mints a chat key through the proxy's
# own ``POST /v1/keys`` (as a user would) and exports it, with the admin key, under the env
# var names the target's profile gives. ``mock`` is the mock alone.

_MINT_TIMEOUT_S = 10.0
# The mock under a real gateway paces its streams a little (ttft 40 ms, 10 ms a token): a
# buffering gateway and an incremental one then differ in what a client sees, and a fault
# "after 3 events" lands after the gateway's first byte, as it would with a real provider.
_PACED = MockConfig(ttft_ms=40.0, itl_ms=10.0)


@dataclass(frozen=True, slots=True)
class Started:
    """Where a started embedded target listens, and what the checks need exported."""

    base_url: str  # becomes the target's base-url (ends in /v1)
    mock_url: str | None  # the mock upstream's root, for the mock_log fixture
    env: dict[str, str] = field(default_factory=dict)  # env var name -> secret


@contextmanager
def start_for(target: TargetConfig) -> Iterator[Started]:
    """Start the servers an embedded target needs and stop them on exit.

    ``litellm`` and ``portkey`` are the real gateways (gatecheck.interop), installed at their
    pinned versions on first use and started over a mock of their own.
    """
    if target.embedded == "mock":
        with serve_in_thread(create_mock()) as mock_url:
            yield Started(base_url=f"{mock_url}/v1", mock_url=mock_url)
        return
    if target.embedded in ("litellm", "portkey"):
        interop.install(target.embedded)  # at once when already installed
        with serve_in_thread(create_mock(_PACED), quiet_aborts=True) as mock_url, \
                interop.start(target.embedded, mock_url) as gateway:
            yield Started(base_url=gateway.base_url, mock_url=mock_url, env=dict(gateway.env))
        return
    upstream: Literal["openai", "anthropic"] = (
        "anthropic" if target.embedded == "reference-anthropic" else "openai")
    with start_embedded(upstream_format=upstream) as stack:
        env: dict[str, str] = {}
        if target.auth.admin_env:
            env[target.auth.admin_env] = stack.admin_key
        if target.auth.env:
            env[target.auth.env] = _mint_chat_key(stack.proxy_url, stack.admin_key)
        redactor = default_redactor()
        for secret in env.values():
            redactor.add_secret(secret)
        yield Started(base_url=f"{stack.proxy_url}/v1", mock_url=stack.mock_url, env=env)


def mock_url_env(target: str) -> str:
    """GATECHECK_<NAME>_MOCK_URL: overrides target ``target``'s mock-url (a run sets it for
    the targets it starts, so its pytest processes find their mock)."""
    return f"GATECHECK_{target.upper().replace('-', '_')}_MOCK_URL"


def start_targets(targets: Iterable[TargetConfig], stack: ExitStack) -> dict[str, str]:
    """Start every target that has no URL yet (stopped when ``stack`` closes).

    Returns the environment a pytest process needs to find them: each target's
    ``GATECHECK_<NAME>_BASE_URL``, the mock it fronts, and the secrets its profile names
    (the chat key minted for the run, the admin key). ``gatecheck run`` calls this in its
    own process, so the servers and the checks run on different cores.
    """
    env: dict[str, str] = {}
    for target in targets:
        if not target.needs_start:
            continue
        started = stack.enter_context(start_for(target))
        env[base_url_env(target.name)] = started.base_url
        if started.mock_url:
            env[mock_url_env(target.name)] = started.mock_url
        env.update(started.env)
    return env


def _mint_chat_key(proxy_url: str, admin_key: str) -> str:
    timeouts = Timeouts(connect=_MINT_TIMEOUT_S, read=_MINT_TIMEOUT_S, total=_MINT_TIMEOUT_S)
    try:
        with GatewayClient(proxy_url, Auth("bearer", admin_key), timeouts=timeouts) as client:
            response = client.request(
                "POST", "/v1/keys", json={"name": "gatecheck run", "permissions": ["chat"]})
            body = response.json() if response.status in (200, 201) else None
    except (HarnessError, ValueError) as exc:
        raise HarnessError(f"embedded proxy: minting a chat key failed: {exc}") from None
    key = body.get("key") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key:
        raise HarnessError(f"embedded proxy: POST /v1/keys answered {response.status}")
    return key
