"""`gatecheck proxy --workers N`: N proxy processes on one port, started and stopped together.

Each worker is a whole ``gatecheck proxy`` process (its own event loop on its own core)
that binds the port with ``SO_REUSEPORT``, so the kernel spreads new connections across
them. Unlike uvicorn's ``--workers`` supervisor (see ``worker`` for that route), every
worker keeps gatecheck's own signal handling: SIGTERM/SIGINT to the supervisor is passed
to each worker, which drains (health 503, streams get ``--grace``, then an error event) and
exits; the supervisor exits 0 once all did. If a worker dies on its own, the others are
stopped and the exit status is 1.

What workers share: the SQLite key store of ``--state-dir`` (so ``--in-memory`` is
refused), the admin key (generated once here when ``GATECHECK_ADMIN_KEY`` is unset), and
rate limits only with ``[rate-limits] backend = "redis"``; otherwise each worker counts
its own (a note says so at start).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from gatecheck import HarnessError, UsageError
from gatecheck.proxy.config import ProxyConfig

__all__ = ["supervise"]

STARTUP_TIMEOUT_S = 30.0


def _child_argv(args: argparse.Namespace, port: int) -> list[str]:
    argv = [sys.executable, "-m", "gatecheck", "proxy", "--host", args.host,
            "--port", str(port), "--reuse-port", "--grace", str(args.grace)]
    for flag, value in (("--config", args.config), ("--upstream", args.upstream),
                        ("--state-dir", args.state_dir)):
        if value:
            argv += [flag, value]
    if args.quiet:
        argv.append("--quiet")
    return argv


def _die_with_parent() -> None:
    """In the worker, before exec: SIGTERM when the supervisor dies, even by SIGKILL
    (Linux prctl PR_SET_PDEATHSIG), so no orphan keeps serving the port."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _reserve(host: str, port: int) -> socket.socket:
    """Bind (not listen) with SO_REUSEPORT: fixes the port, workers bind it too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise HarnessError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def supervise(args: argparse.Namespace, config: ProxyConfig, admin_key: str) -> int:
    """Run ``args.workers`` workers until SIGTERM/SIGINT; ``args`` are checked already."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise UsageError("--workers needs SO_REUSEPORT (Linux, BSD, macOS)")
    env = {**os.environ, config.admin_key_env: admin_key}  # one admin key for all
    if config.rate_limits.backend != "redis":
        print("gatecheck proxy: rate limits are counted per worker (set [rate-limits] "
              'backend = "redis" to share them)', file=sys.stderr, flush=True)
    reservation = _reserve(args.host, args.port)
    port = reservation.getsockname()[1]
    workers: list[subprocess.Popen[str]] = []
    stopping = False

    def stop(sig: int = signal.SIGTERM, frame: Any = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(args.workers):
            workers.append(subprocess.Popen(_child_argv(args, port), env=env,
                                            stdout=subprocess.PIPE, text=True,
                                            preexec_fn=_die_with_parent))
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()  # the worker's "listening on" line, or EOF
            if "listening on" not in line or time.monotonic() > deadline:
                stop()
                raise HarnessError("a proxy worker did not start (see its error above)")
        reservation.close()
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"gatecheck proxy listening on http://{host}:{port} ({args.workers} workers)",
              flush=True)
        while True:
            codes = [w.poll() for w in workers]
            if all(c is not None for c in codes):
                return 0 if stopping and all(c == 0 for c in codes) else 1
            if not stopping and any(c is not None for c in codes):
                print("gatecheck proxy: a worker exited; stopping the others", file=sys.stderr)
                stop()
            time.sleep(0.1)
    finally:
        reservation.close()
        for s, handler in old.items():
            signal.signal(s, handler)
        for worker in workers:
            try:
                worker.wait(timeout=args.grace + 10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
            if worker.stdout is not None and not worker.stdout.closed:
                worker.stdout.close()
