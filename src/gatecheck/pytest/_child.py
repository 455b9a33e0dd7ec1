"""The suites' pytest as a child of ``gatecheck run``: its output relayed, its time bounded.

The child ends by itself soon after the run's deadline (its plugin makes the checks it
cannot start in time inconclusive, and stops the one running). Should it not (a check stuck
where no signal reaches it), it is interrupted a grace period later (SIGINT: pytest records
the checks in flight and writes its files), then killed, and the run is reported from the
whole records it left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from gatecheck.console import relay, say

__all__ = ["GRACE_S", "INTERRUPT_WAIT_S", "keep_whole_lines", "run_pytest"]

# Past the deadline, how long the child may take to record the checks it did not run and
# exit on its own (each is a skip, milliseconds) before it is stopped.
GRACE_S = 60.0
INTERRUPT_WAIT_S = 10.0  # from SIGINT (pytest records what is pending) to SIGKILL


def keep_whole_lines(path: Path) -> None:
    """Drop a record cut short by a killed writer (results.jsonl is one record a line)."""
    data = path.read_bytes() if path.is_file() else b""
    path.write_bytes(data[:data.rfind(b"\n") + 1])


def run_pytest(argv: list[str], env: dict[str, str], limit: float | None) -> tuple[int, bool]:
    """Run pytest as a child and relay its output, every line redacted and neutralised.

    A child process: pytest must import (and assert-rewrite) the suites and this package
    itself, and a run leaves nothing behind in the caller (servers, env, modules). Its
    output passes through here because a failure message can quote what a target sent:
    a gateway that echoes the request's headers would otherwise print the user's key.

    Past ``limit`` seconds the child is interrupted (SIGINT: pytest records the checks in
    flight), then killed; returns its exit code and whether it had to be stopped.
    """
    say("gatecheck: pytest " + " ".join(argv))
    child = subprocess.Popen([sys.executable, "-m", "pytest", *argv], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    overdue = threading.Event()

    def stop_overdue() -> None:
        overdue.set()
        _stop(child, signal.SIGINT)
        try:
            child.wait(INTERRUPT_WAIT_S)
        except subprocess.TimeoutExpired:
            _stop(child)

    timer = threading.Timer(limit, stop_overdue) if limit is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        assert child.stdout is not None
        relay(child.stdout)
        code = child.wait()
    finally:
        if timer is not None:
            timer.cancel()
        _stop(child)
        if child.stdout is not None:
            child.stdout.close()
    return code, overdue.is_set()


def _stop(child: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal the child's process group (pytest and any xdist workers) if it is still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)
