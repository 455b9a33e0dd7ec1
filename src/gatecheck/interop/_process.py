"""A gateway as a child process: its own process group, a log file, a bounded wait for it
to answer, and a bounded stop of the whole group by PID.

Each gateway runs in a new session (``start_new_session``), so its PID is also its process
group id: stopping sends SIGTERM to that group only (the gateway and whatever it spawned),
waits, then SIGKILLs the group. Nothing is ever stopped by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from gatecheck import HarnessError, default_redactor

__all__ = ["free_port", "log_tail", "spawn", "stop_group", "wait_ready"]

POLL_S = 0.1


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the gateways take a port number, not a socket)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(argv: Sequence[str], *, env: Mapping[str, str], log_path: Path,
          cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new process group, stdout and stderr appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            return subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        except OSError as exc:
            raise HarnessError(f"cannot start {argv[0]}: {exc.strerror}") from None


def wait_ready(child: subprocess.Popen[bytes], ready: Callable[[], bool], *, timeout: float,
               what: str, log_path: Path) -> float:
    """Poll ``ready()`` until it is true; the seconds it took.

    A child that exits first, or a deadline that passes, is a HarnessError quoting the end
    of the log (redacted).
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        code = child.poll()
        if code is not None:
            raise HarnessError(f"{what} exited with status {code} before it answered; "
                               f"log {log_path}: {log_tail(log_path)}")
        if ready():
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise HarnessError(f"{what} did not answer within {timeout:.0f} s; "
                               f"log {log_path}: {log_tail(log_path)}")
        time.sleep(POLL_S)


def stop_group(pid: int, *, grace: float = 10.0, child: subprocess.Popen[bytes] | None = None
               ) -> bool:
    """SIGTERM process group ``pid``, wait up to ``grace`` s, then SIGKILL it.

    Returns True when the group ended on SIGTERM, False when it needed SIGKILL.
    """
    if not _signal_group(pid, signal.SIGTERM):
        _reap(child, 0.0)
        return True
    if _wait_group_gone(pid, grace, child):
        return True
    _signal_group(pid, signal.SIGKILL)
    _wait_group_gone(pid, 5.0, child)
    return False


def _signal_group(pid: int, sig: signal.Signals) -> bool:
    """Signal the group; False when it no longer exists."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    return True


def _wait_group_gone(pid: int, timeout: float, child: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        _reap(child, 0.0)  # the leader stays a zombie (and the group alive) until reaped
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)


def _reap(child: subprocess.Popen[bytes] | None, timeout: float) -> None:
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=timeout)


def log_tail(path: Path, lines: int = 8, limit: int = 1200) -> str:
    """The last lines of a log, redacted, on one line (for error messages)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    keep = [line.strip() for line in text.splitlines() if line.strip()]
    tail = " | ".join(keep[-lines:])[-limit:]
    return default_redactor().text(tail) if tail else "(empty)"
