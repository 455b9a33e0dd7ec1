"""The embedded stack (gatecheck.embedded) and `gatecheck proxy` as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from gatecheck.embedded import serve_in_thread, start_embedded

from .conftest import ADMIN, bearer


def _refused(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return True
    return False


def test_start_embedded_serves_both_and_stops_both():
    with start_embedded(admin_key=ADMIN) as stack:
        assert stack.admin_key == ADMIN
        with httpx.Client(timeout=10) as c:
            assert c.get(f"{stack.mock_url}/v1/models").status_code == 200
            models = c.get(f"{stack.proxy_url}/v1/models", headers=bearer()).json()
            assert [m["id"] for m in models["data"]] == [
                "claude-3-5-haiku-latest", "gpt-4o-mini", "mock-chat"]
        assert stack.proxy.config.providers[0].base_url == stack.mock_url
    assert _refused(stack.proxy_url)
    assert _refused(stack.mock_url)


def test_start_embedded_generates_an_admin_key_when_none_is_given(monkeypatch):
    monkeypatch.delenv("GATECHECK_ADMIN_KEY", raising=False)
    with start_embedded() as stack, httpx.Client(base_url=stack.proxy_url, timeout=10) as c:
        assert stack.admin_key.startswith("gk-")
        assert c.get("/v1/keys", headers=bearer(stack.admin_key)).status_code == 200


def test_serve_in_thread_reports_a_server_that_cannot_start():
    async def app(scope, receive, send):  # fails its lifespan startup
        message = await receive()
        if message["type"] == "lifespan.startup":
            raise RuntimeError("no")

    from gatecheck import HarnessError

    with pytest.raises(HarnessError, match="did not start"), serve_in_thread(
        app, startup_timeout=5
    ):
        pass


def test_gatecheck_proxy_command_serves_and_stops_on_sigterm(openai_stack, tmp_path):
    env = {**os.environ, "GATECHECK_ADMIN_KEY": ADMIN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatecheck", "proxy", "--port", "0", "--upstream",
         openai_stack.mock_url, "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    with proc:
        _serve_and_stop(proc)
    assert (tmp_path / "proxy.sqlite").exists()


def _serve_and_stop(proc):
    try:
        line = proc.stdout.readline()  # bounded: the process prints it once listening
        assert line.startswith("gatecheck proxy listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        with httpx.Client(base_url=url, timeout=10) as c:
            assert c.get("/health/live").status_code == 200
            r = c.post("/v1/chat/completions", headers=bearer(), json={
                "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
            assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        err = proc.stderr.read()
        assert '"path":"/v1/chat/completions"' in err  # one JSON access-log line per request
        assert ADMIN not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
