"""`gatecheck mock`: flags, one clear line for bad input, a served process that stops cleanly."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import httpx
import pytest

from gatecheck.cli import main


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--fault", "explode"], "unknown fault"),
        (["--fault", "reset,after"], "key=value"),
        (["--fault-rate", "2"], "fault-rate"),
        (["--ttft-ms", "-5"], "ttft-ms"),
        (["--port", "70000"], "--port"),
        (["--api-key-env", "GATECHECK_TEST_SURELY_UNSET"], "GATECHECK_TEST_SURELY_UNSET"),
        (["--misbehave", "no-dne"], "did you mean 'no-done'"),
        (["--misbehave", "no-done", "--misbehave", "sse-ids,explode"], "'explode': unknown mode"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(capsys, argv, fragment):
    assert main(["mock", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert fragment in err[0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_a_signal_then_exits_0(sig):
    env = dict(os.environ, MOCK_KEY_FOR_TEST="sk-proc-key")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatecheck", "mock", "--port", "0",
         "--api-key-env", "MOCK_KEY_FOR_TEST", "--tokens", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)  # bounded wait for the URL line
        assert ready, "gatecheck mock printed nothing in 30 s"
        line = proc.stdout.readline()
        assert line.startswith("gatecheck mock listening on http://127.0.0.1:")
        url = line.split()[-1]
        body = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}]}
        assert httpx.post(url + "/v1/chat/completions", json=body, timeout=5).status_code == 401
        reply = httpx.post(
            url + "/v1/chat/completions", json=body, headers={"x-api-key": "sk-proc-key"}, timeout=5
        )
        assert reply.json()["usage"]["completion_tokens"] == 3
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()


def test_misbehave_modes_split_commas_and_repeats():
    from gatecheck.cli.mock import misbehave_modes

    assert misbehave_modes(["no-done, sse-ids", "no-done", "one-burst"]) == [
        "no-done", "sse-ids", "one-burst"]
    assert misbehave_modes([]) == []


def test_misbehave_breaks_the_served_answers():
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatecheck", "mock", "--port", "0", "--tokens", "2",
         "--misbehave", "no-done", "--misbehave", "sse-ids"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)  # bounded wait for the URL line
        assert ready, "gatecheck mock printed nothing in 30 s"
        url = proc.stdout.readline().split()[-1]
        assert proc.stdout.readline().strip() == "gatecheck mock misbehaving: no-done, sse-ids"
        body = {"model": "mock-chat", "stream": True,
                "messages": [{"role": "user", "content": "hi"}]}
        reply = httpx.post(url + "/v1/chat/completions", json=body, timeout=5)
        assert reply.status_code == 200
        assert "data: {" in reply.text
        assert "[DONE]" not in reply.text  # no-done
        assert "\nid: " in "\n" + reply.text  # sse-ids
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
