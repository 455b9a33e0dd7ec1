"""Several proxy processes sharing the SQLite key store and, through Redis, rate limits."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatecheck import ConfigError
from gatecheck.embedded import serve_in_thread
from gatecheck.mock import create_app as create_mock
from gatecheck.proxy import KeyStore, create_app, parse_config
from gatecheck.proxy.worker import create
from tests.proxy.redis_server import redis_url_fixture  # noqa: F401  (the redis_url fixture)

ADMIN = "gk-admin-workers-0123456789abcdef0123456"
AUTH = {"authorization": f"Bearer {ADMIN}"}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_mock()) as url:
        yield url


def config(mock_url: str, redis: str) -> dict[str, Any]:
    return {
        "provider": [{"name": "mock", "format": "openai", "base-url": mock_url,
                      "models": ["mock-chat"]}],
        "rate-limits": {"backend": "redis", "redis-url": redis},
    }


def chat(client: httpx.Client, key: str) -> int:
    r = client.post("/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                    json={"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}]})
    return r.status_code


def wait_for(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


@pytest.mark.redis
def test_two_instances_share_keys_usage_and_limits(tmp_path: Path, mock_url: str,
                                                   redis_url: str) -> None:
    cfg = parse_config(config(mock_url, redis_url))
    db = tmp_path / "proxy.sqlite"
    a = create_app(cfg, admin_key=ADMIN, store=KeyStore(db))
    b = create_app(cfg, admin_key=ADMIN, store=KeyStore(db))
    with serve_in_thread(a) as url_a, serve_in_thread(b) as url_b, \
            httpx.Client(base_url=url_a, timeout=10) as ca, \
            httpx.Client(base_url=url_b, timeout=10) as cb:
        created = ca.post("/v1/keys", headers=AUTH,
                          json={"name": "shared", "rate_limits": {"requests_per_minute": 5}})
        key = created.json()["key"]
        wait_for(lambda: chat(cb, "gk-probe-never-valid") == 401 and
                 cb.get("/v1/models", headers={"authorization": f"Bearer {key}"})
                 .status_code == 200)
        statuses = [chat(ca if i % 2 else cb, key) for i in range(12)]
        assert statuses.count(200) == 5  # one limit across both instances
        assert statuses.count(429) == 7

        def usage() -> int:
            r = cb.get("/v1/usage", headers=AUTH, params={"key_id": created.json()["id"]})
            return int(r.json()["data"][0]["requests"])

        wait_for(lambda: usage() == 12)  # each instance flushes its increments


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.redis
@pytest.mark.slow  # two worker processes start (a few seconds)
def test_uvicorn_workers(tmp_path: Path, mock_url: str, redis_url: str) -> None:
    toml = tmp_path / "proxy.toml"
    toml.write_text(
        f'[[provider]]\nname = "mock"\nformat = "openai"\nbase-url = "{mock_url}"\n'
        f'models = ["mock-chat"]\n[rate-limits]\nbackend = "redis"\nredis-url = "{redis_url}"\n'
    )
    port = _free_port()
    env = {**os.environ, "GATECHECK_ADMIN_KEY": ADMIN, "GATECHECK_PROXY_CONFIG": str(toml),
           "GATECHECK_PROXY_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gatecheck.proxy.worker:create",
         "--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
         "--log-level", "warning", "--timeout-graceful-shutdown", "3"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(url + "/health/live", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=20)
        created = httpx.post(url + "/v1/keys", headers=AUTH, timeout=5,
                             json={"name": "w", "rate_limits": {"requests_per_minute": 6}})
        key = created.json()["key"]
        time.sleep(1.2)  # the other worker reloads its key index within a second

        def one(_: int) -> int:
            with httpx.Client(base_url=url, timeout=10) as c:  # a fresh connection each
                return chat(c, key)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(16)))
        assert statuses.count(200) == 6
        assert statuses.count(429) == 10
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_worker_factory_needs_a_shared_admin_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GATECHECK_ADMIN_KEY"):
        create({"GATECHECK_PROXY_STATE_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="not both"):
        create({"GATECHECK_ADMIN_KEY": ADMIN, "GATECHECK_PROXY_CONFIG": "x.toml",
                "GATECHECK_PROXY_UPSTREAM": "http://127.0.0.1:1"})
    app = create({"GATECHECK_ADMIN_KEY": ADMIN, "GATECHECK_PROXY_STATE_DIR": str(tmp_path)})
    assert (tmp_path / "proxy.sqlite").exists()
    app.store.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.redis
@pytest.mark.slow  # two worker processes start and drain
def test_gatecheck_proxy_workers(tmp_path: Path, mock_url: str, redis_url: str) -> None:
    toml = tmp_path / "proxy.toml"
    toml.write_text(
        f'[[provider]]\nname = "mock"\nformat = "openai"\nbase-url = "{mock_url}"\n'
        f'models = ["mock-chat"]\n[rate-limits]\nbackend = "redis"\nredis-url = "{redis_url}"\n'
    )
    env = {**os.environ, "GATECHECK_ADMIN_KEY": ADMIN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatecheck", "proxy", "--workers", "2", "--config", str(toml),
         "--state-dir", str(tmp_path / "state"), "--port", "0", "--quiet", "--grace", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "(2 workers)" in line, line
        url = line.split(" on ", 1)[1].split()[0]
        assert len(_children(proc.pid)) == 2
        created = httpx.post(url + "/v1/keys", headers=AUTH, timeout=5,
                             json={"name": "w", "rate_limits": {"requests_per_minute": 6}})
        key = created.json()["key"]
        time.sleep(1.2)  # the other worker reloads its key index within a second

        def one(_: int) -> int:
            with httpx.Client(base_url=url, timeout=10) as c:  # a fresh connection each
                return chat(c, key)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(16)))
        assert statuses.count(200) == 6
        assert statuses.count(429) == 10
        # SIGTERM to the supervisor: each worker drains; a long stream is cut with an event
        body = {"model": "mock-chat", "stream": True,
                "messages": [{"role": "user", "content": "[[mock tokens=400 itl=50]]"}]}
        with httpx.Client(base_url=url, timeout=15) as c, \
                c.stream("POST", "/v1/chat/completions", json=body, headers=AUTH) as r:
            lines = r.iter_lines()
            next(lines)
            proc.send_signal(signal.SIGTERM)
            rest = [x for x in lines if x.startswith("data: ")]
        assert "shutting down" in rest[-1]
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


def test_workers_refuse_an_in_memory_store() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "gatecheck", "proxy", "--workers", "2", "--in-memory"],
        capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 2
    assert "--state-dir" in r.stderr
