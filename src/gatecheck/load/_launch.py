"""Runs Locust as a child process for `gatecheck load` and `gatecheck calibrate`.

A child, not this process: Locust's import monkey-patches the whole interpreter for gevent,
which would turn the embedded mock and proxy (uvicorn in threads of this process) into
greenlets; and a child keeps the load generator off the servers' interpreter lock, so the
client measures the target rather than its own contention with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gatecheck import HarnessError, UsageError
from gatecheck.load._options import locust_duration

__all__ = ["SCENARIOS", "LocustRun", "locate_locustfile"]

SCENARIOS = ("chat", "stream", "ramp", "rate", "capacity")
STARTUP_GRACE_S = 60.0  # process start, worker connection, final reports
WEB_AUTOQUIT_S = 5  # a timed web run: the UI stays up this long after the end


@contextmanager
def _forward_sigterm(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """While Locust runs, a SIGTERM to gatecheck stops Locust (which writes its reports)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def locate_locustfile(scenario: str, cwd: Path | None = None) -> Path:
    """locustfiles/<scenario>.py here, else the one shipped with gatecheck."""
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r} (expected one of {', '.join(SCENARIOS)})")
    shipped = Path(str(resources.files("gatecheck.load").joinpath("locustfiles")))
    for root in ((cwd or Path.cwd()) / "locustfiles", shipped):
        candidate = root / f"{scenario}.py"
        if candidate.is_file():
            return candidate
    raise HarnessError(f"locustfiles/{scenario}.py is missing here and from the installed "
                       "gatecheck; reinstall it")


@dataclass
class LocustRun:
    """One Locust command line and the environment it runs in.

    Headless with a duration; ``web`` serves Locust's UI on 127.0.0.1 instead: with a
    duration the test starts at once with the given users and quits WEB_AUTOQUIT_S after
    the duration (``--autostart --autoquit``), without one a person starts and stops it.
    """

    locustfile: Path
    host: str
    run_dir: Path
    users: int
    spawn_rate: float
    duration_s: float | None  # None: the web UI, run until the person stops it
    processes: int | None = None
    web_port: int = 8089
    options: dict[str, str] = field(default_factory=dict)  # --gatecheck-* values
    env: dict[str, str] = field(default_factory=dict)  # secrets, by the names options give
    web: bool = False

    @property
    def with_web_ui(self) -> bool:
        return self.web or self.duration_s is None  # without a duration only a person ends it

    def argv(self) -> list[str]:
        run_dir = self.run_dir.resolve()
        argv = [sys.executable, "-m", "locust", "-f", str(self.locustfile.resolve()),
                "--host", self.host,
                "-u", str(self.users), "-r", f"{self.spawn_rate:g}",
                "--csv", str(run_dir / "locust"), "--html", str(run_dir / "locust.html"),
                "--json-file", str(run_dir / "locust_stats"),
                "--exit-code-on-error", "0", "--stop-timeout", "0",
                "--gatecheck-out", str(run_dir)]
        if self.with_web_ui:
            argv += ["--web-host", "127.0.0.1", "--web-port", str(self.web_port)]
            if self.duration_s is not None:
                argv += ["--autostart", "--autoquit", str(WEB_AUTOQUIT_S),
                         "-t", locust_duration(self.duration_s)]
        else:
            assert self.duration_s is not None
            argv += ["--headless", "--only-summary", "-t", locust_duration(self.duration_s)]
        if self.processes is not None:
            # Local workers talk to the master on loopback, on a free port: never Locust's
            # default *:5557, which another run (or another user) may hold.
            port = str(_free_port())
            argv += ["--processes", str(self.processes), "--master-bind-host", "127.0.0.1",
                     "--master-bind-port", port, "--master-host", "127.0.0.1",
                     "--master-port", port]
        for name, value in self.options.items():
            argv += [f"--gatecheck-{name}", value]
        return argv

    def run(self) -> int:
        """Run Locust to its end (headless: bounded by the duration plus a grace period)."""
        argv = self.argv()
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        timeout = None
        if self.duration_s is not None:
            timeout = self.duration_s + STARTUP_GRACE_S + (WEB_AUTOQUIT_S if self.web else 0)
        # cwd: the run directory, so a locust.conf or [tool.locust] of the caller's project
        # cannot change the run behind the command line's back.
        with open(self.run_dir / "locust.log", "wb") as log:
            output = None if self.with_web_ui else log  # the web UI: the terminal's
            # Its own process group: --processes forks workers, and one that outlives a
            # crashed master must not keep running; the group is killed once Locust is done.
            child = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT
                                     if output else None, cwd=self.run_dir,
                                     start_new_session=True)
            try:
                with _forward_sigterm(child):
                    return self._wait(child, timeout)
            finally:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)

    def _wait(self, child: subprocess.Popen[bytes], timeout: float | None) -> int:
        try:
            return child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGTERM)  # Locust writes its reports on SIGTERM
            _reap(child, 15)
            raise HarnessError(f"Locust ran past {timeout:.0f} s; stopped "
                               f"(log: {self.run_dir / 'locust.log'})") from None
        except KeyboardInterrupt:
            # Ctrl-C reached only this process group: pass it on (Locust writes its reports).
            child.send_signal(signal.SIGINT)
            _reap(child, 30)
            return 130


def _reap(child: subprocess.Popen[bytes], grace: float) -> None:
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=15)
