"""Child processes: bounded readiness waits and stop-by-PID of the whole process group."""

from __future__ import annotations

import os
import sys
import time

import pytest

from gatecheck import HarnessError
from gatecheck.interop import stop_group
from gatecheck.interop._process import spawn, wait_ready

# A parent that starts a grandchild in its own group, prints the grandchild's PID, then waits.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring SIGTERM", flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0) until its parent reaps it
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def _first_line(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if "\n" in text:
            return text.splitlines()[0]
        time.sleep(0.02)
    raise AssertionError(f"{path} stayed empty")


def test_stop_ends_the_gateway_and_what_it_spawned(tmp_path):
    log = tmp_path / "parent.log"
    child = spawn([sys.executable, "-c", PARENT], env=dict(os.environ), log_path=log)
    grandchild = int(_first_line(log))
    assert _alive(child.pid)
    assert _alive(grandchild)
    assert os.getpgid(child.pid) == child.pid  # its own group: stopping it stops only it
    assert stop_group(child.pid, grace=5.0, child=child) is True
    assert child.poll() is not None
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(grandchild)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    log = tmp_path / "stubborn.log"
    child = spawn([sys.executable, "-c", STUBBORN], env=dict(os.environ), log_path=log)
    _first_line(log)  # the handler is installed
    assert stop_group(child.pid, grace=0.3, child=child) is False
    assert child.poll() is not None


def test_stopping_a_group_that_is_gone_is_quiet(tmp_path):
    child = spawn([sys.executable, "-c", "pass"], env=dict(os.environ),
                  log_path=tmp_path / "quick.log")
    child.wait(timeout=10)
    assert stop_group(child.pid, grace=0.1, child=child) is True


def test_a_child_that_exits_before_ready_is_an_error_quoting_its_log(tmp_path):
    log = tmp_path / "dies.log"
    code = "print('config error: no model_list'); raise SystemExit(3)"
    child = spawn([sys.executable, "-c", code], env=dict(os.environ), log_path=log)
    with pytest.raises(HarnessError, match=r"exited with status 3.*no model_list"):
        wait_ready(child, lambda: False, timeout=10, what="gw", log_path=log)


def test_a_child_that_never_answers_is_an_error_after_the_timeout(tmp_path):
    log = tmp_path / "slow.log"
    child = spawn([sys.executable, "-c", "import time; time.sleep(30)"], env=dict(os.environ),
                  log_path=log)
    try:
        with pytest.raises(HarnessError, match="did not answer within 0 s"):
            wait_ready(child, lambda: False, timeout=0.2, what="gw", log_path=log)
    finally:
        stop_group(child.pid, grace=1.0, child=child)


def test_ready_returns_once_the_probe_answers(tmp_path):
    child = spawn([sys.executable, "-c", "import time; time.sleep(30)"], env=dict(os.environ),
                  log_path=tmp_path / "ok.log")
    calls = []
    try:
        took = wait_ready(child, lambda: calls.append(1) or len(calls) >= 3, timeout=10,
                          what="gw", log_path=tmp_path / "ok.log")
    finally:
        stop_group(child.pid, grace=1.0, child=child)
    assert len(calls) == 3
    assert took >= 0
