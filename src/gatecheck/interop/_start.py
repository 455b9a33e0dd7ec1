"""Starting an installed gateway on loopback over gatecheck's mock upstream.

``start(name, mock_url)`` is a context manager: it picks a free loopback port, starts the
gateway with a clean environment (only what it needs: a variable such as ``DATABASE_URL``
or ``HTTP_PROXY`` in the caller's environment would change what the gateway does), waits
until it answers, and yields a ``RunningGateway``; on exit it stops the gateway's process
group by PID, bounded.

What each gateway needs to start offline, on loopback, as its docs configure it:

- LiteLLM reads ``interop/litellm/config.yaml`` as is; the mock's address and both keys
  reach it as environment variables the config names (``os.environ/NAME``). The
  ``LITELLM_LOCAL_*`` switches keep it from fetching its model cost map, Anthropic beta
  header table, blog feed, auto-router presets and policy templates from the internet
  (verified: no connection but to loopback while the suites run).
- Portkey has no host option: ``interop/portkey/loopback.mjs`` (a ``node --import``
  preload) binds its listener to 127.0.0.1. It has no config file either: it routes each
  request by the ``x-portkey-provider`` and ``x-portkey-custom-host`` headers the client
  sends, which ``RunningGateway.headers`` gives per surface.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from gatecheck import (
    ClientTimeoutError,
    GatewayClient,
    HarnessError,
    TargetUnreachableError,
    Timeouts,
    default_redactor,
)
from gatecheck.artefacts import default_run_id
from gatecheck.interop._install import installed
from gatecheck.interop._process import free_port, spawn, stop_group, wait_ready
from gatecheck.interop._specs import data_dir, default_cache_dir, gateway_spec

__all__ = ["OFFLINE_ENV", "GatewayLaunch", "RunningGateway", "launch_for", "start"]

HOST = "127.0.0.1"
# LiteLLM's switches that replace a download at start (or on first use) by the copy bundled
# in the package (litellm/__init__.py, get_model_cost_map.py, anthropic_beta_headers_manager.py,
# get_blog_posts.py, proxy/public_endpoints/public_endpoints.py, policy_endpoints/endpoints.py).
OFFLINE_ENV: Mapping[str, str] = MappingProxyType({
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",  # a banner, not a call: quieter logs
})
# Passed through from the caller; everything else is left out on purpose (module docstring).
_PASS_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
UPSTREAM_KEY_ENV = "GATECHECK_UPSTREAM_KEY"
PORTKEY_HOST_ENV = "GATECHECK_PORTKEY_CUSTOM_HOST"


@dataclass(frozen=True, slots=True)
class GatewayLaunch:
    """Everything needed to start one gateway once: command, environment, readiness path."""

    argv: tuple[str, ...]
    env: Mapping[str, str]  # the gateway process's whole environment
    ready_path: str  # GET it: 200 means ready
    run_env: Mapping[str, str]  # what a conformance run against it needs exported
    secret_env: tuple[str, ...]  # the names in run_env that hold secrets
    headers: Mapping[str, Mapping[str, str]]  # per surface: headers every request carries


@dataclass(frozen=True, slots=True)
class RunningGateway:
    """A started gateway: where it listens and what a client must send it."""

    name: str
    version: str
    base_url: str  # http://127.0.0.1:PORT/v1 (what an OpenAI SDK takes)
    pid: int  # also its process group id
    log_path: Path
    mock_url: str
    startup_s: float
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: tuple[str, ...] = ()
    headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/v1")


def _base_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[name] for name in _PASS_ENV if name in environ}


def launch_for(name: str, command: tuple[str, ...], *, port: int, mock_url: str,
               environ: Mapping[str, str] | None = None) -> GatewayLaunch:
    """The launch of gateway ``name`` (installed entry point ``command``) on ``port``."""
    spec = gateway_spec(name)
    mock = mock_url.rstrip("/")
    base = _base_env(os.environ if environ is None else environ)
    if spec.name == "litellm":
        # LiteLLM wants master keys that start with "sk-"; a fresh one per start.
        master = "sk-gatecheck-" + secrets.token_urlsafe(18)
        # The provider key LiteLLM sends upstream: its own, never the client's.
        upstream = "sk-upstream-" + secrets.token_urlsafe(12)
        for secret in (master, upstream):
            default_redactor().add_secret(secret)
        env = {**base, **OFFLINE_ENV, MASTER_KEY_ENV: master, UPSTREAM_KEY_ENV: upstream,
               "GATECHECK_MOCK_OPENAI_BASE": f"{mock}/v1",
               "GATECHECK_MOCK_ANTHROPIC_BASE": mock}
        config = data_dir("litellm") / "config.yaml"
        return GatewayLaunch(
            argv=(*command, "--config", str(config), "--host", HOST, "--port", str(port),
                  "--num_workers", "1"),
            env=MappingProxyType(env), ready_path="/health/liveliness",
            run_env=MappingProxyType({MASTER_KEY_ENV: master}),
            secret_env=(MASTER_KEY_ENV,), headers=MappingProxyType({}))
    # portkey: no config of its own; each request names provider and upstream in headers
    route = {"x-portkey-custom-host": f"{mock}/v1"}
    headers = {"openai": {"x-portkey-provider": "openai", **route},
               "anthropic": {"x-portkey-provider": "anthropic", **route}}
    return GatewayLaunch(
        argv=(*command, f"--port={port}", "--headless"),
        env=MappingProxyType({**base, "GATECHECK_LISTEN_HOST": HOST}), ready_path="/",
        run_env=MappingProxyType({PORTKEY_HOST_ENV: f"{mock}/v1"}),
        secret_env=(), headers=MappingProxyType(headers))


@contextmanager
def start(name: str, mock_url: str, *, cache_dir: Path | None = None,
          log_dir: Path | None = None, startup_timeout: float = 90.0,
          stop_grace: float = 10.0) -> Iterator[RunningGateway]:
    """Start installed gateway ``name`` over the mock at ``mock_url``; stop it on exit.

    Args:
        mock_url: the mock upstream's root (``http://127.0.0.1:PORT``, no ``/v1``).
        log_dir: where the gateway's log goes (default ``<cache>/<name>/logs``).
        startup_timeout: how long it may take to answer its readiness path.
        stop_grace: how long SIGTERM has before the group is SIGKILLed.
    """
    spec = gateway_spec(name)
    found = installed(spec.name, cache_dir)
    if found is None:
        raise HarnessError(f"{spec.name} {spec.version} is not installed in "
                           f"{(cache_dir or default_cache_dir()) / spec.name}: run "
                           f"`nox -s interop` or gatecheck.interop.install({spec.name!r})")
    port = free_port(HOST)
    launch = launch_for(spec.name, found.command, port=port, mock_url=mock_url)
    log_path = (log_dir or found.root / "logs") / f"{default_run_id([spec.name])}-{port}.log"
    root = f"http://{HOST}:{port}"
    child = spawn(launch.argv, env=launch.env, log_path=log_path, cwd=found.root)
    try:
        took = wait_ready(child, lambda: _answers(root, launch.ready_path),
                          timeout=startup_timeout, what=f"{spec.name} {spec.version}",
                          log_path=log_path)
        yield RunningGateway(
            name=spec.name, version=spec.version, base_url=f"{root}/v1", pid=child.pid,
            log_path=log_path, mock_url=mock_url.rstrip("/"), startup_s=took,
            env=launch.run_env, secret_env=launch.secret_env, headers=launch.headers)
    finally:
        stop_group(child.pid, grace=stop_grace, child=child)


def _answers(root: str, path: str) -> bool:
    """Whether GET ``path`` answers 200 within a second (through gatecheck's one client)."""
    timeouts = Timeouts(connect=1.0, read=1.0, total=1.0)
    try:
        with GatewayClient(root, timeouts=timeouts) as client:
            return client.request("GET", path).status == 200
    except (TargetUnreachableError, ClientTimeoutError):
        return False
