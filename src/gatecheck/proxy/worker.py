"""An app factory for running the proxy in several processes (uvicorn/gunicorn workers).

One process runs one event loop on one core; for more, run several processes that share
state through the places built for sharing:

- keys and usage: the SQLite key store (WAL mode). A key created through one worker is
  seen by the others within a second (``KeyStore`` checks ``PRAGMA data_version`` at most
  once a second); usage is flushed as increments about once a second, so nothing is lost;
- rate limits: ``[rate-limits] backend = "redis"`` (one Lua script per request, atomic on
  the server), so a key's limit is one limit however many processes serve it. With the
  default in-process backend each worker would count on its own;
- breakers, retries and metrics stay per process (each worker learns a provider's health
  from its own traffic; scrape each worker, or run one worker per port).

Two ways to run them. ``gatecheck proxy --workers N --state-dir DIR`` (``supervisor``):
N gatecheck processes on one port (SO_REUSEPORT), each with the SIGTERM drain. Or
uvicorn's own supervisor with this factory (the configuration comes from the environment,
since uvicorn imports the factory in each worker)::

    export GATECHECK_ADMIN_KEY=gk-...            # required: the same key in every worker
    export GATECHECK_PROXY_CONFIG=proxy.toml     # or GATECHECK_PROXY_UPSTREAM=http://...
    export GATECHECK_PROXY_STATE_DIR=/var/lib/gatecheck   # where proxy.sqlite lives
    uvicorn --factory gatecheck.proxy.worker:create --workers 4 \\
        --loop uvloop --http httptools --port 8901 --no-access-log

The SIGTERM drain of ``gatecheck proxy --grace`` (health 503, streams cut with an error
event) needs its signal hook; under uvicorn's supervisor each worker gets uvicorn's own
graceful stop (no new connections, open ones waited for up to
``--timeout-graceful-shutdown``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gatecheck import ConfigError
from gatecheck.proxy.config import default_config, load_config
from gatecheck.proxy.keystore import KeyStore
from gatecheck.proxy.server import ProxyApp, create_app

__all__ = ["create"]


def create(env: Mapping[str, str] | None = None) -> ProxyApp:
    """The proxy for one worker process, configured from ``env`` (default os.environ)."""
    env = os.environ if env is None else env
    admin_key = env.get("GATECHECK_ADMIN_KEY")
    if not admin_key:
        # Each worker would invent its own key: the admin API would work on some requests only.
        raise ConfigError("GATECHECK_ADMIN_KEY must be set when running several workers")
    path = env.get("GATECHECK_PROXY_CONFIG")
    upstream = env.get("GATECHECK_PROXY_UPSTREAM")
    if path and upstream:
        raise ConfigError("set GATECHECK_PROXY_CONFIG or GATECHECK_PROXY_UPSTREAM, not both")
    config = load_config(path) if path else default_config(upstream or "http://127.0.0.1:8900")
    state_dir = Path(env.get("GATECHECK_PROXY_STATE_DIR") or config.state_dir)
    store = KeyStore(state_dir / "proxy.sqlite")
    return create_app(config, admin_key=admin_key, store=store, env=env)
