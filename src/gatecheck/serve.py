"""Serving an ASGI app in the foreground: what `gatecheck mock` and `gatecheck proxy` share.

One listening socket, uvicorn on uvloop + httptools, a "listening on" line once it accepts,
and a clean exit (status 0) on SIGINT/SIGTERM. (In-process servers for tests and the
embedded default are `gatecheck.embedded.serve_in_thread`.)
"""

from __future__ import annotations

import math
import socket
from collections.abc import Callable, Sequence
from typing import Any

from gatecheck._exceptions import HarnessError

__all__ = ["listen", "serve"]


def listen(host: str, port: int, *, reuse_port: bool = False) -> tuple[socket.socket, str]:
    """A bound TCP socket and the base URL it will serve; one clear error when it cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
    # and without it every response pays a 40 ms Nagle + delayed-ACK stall.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # one of several worker processes on the same port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise HarnessError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return sock, f"http://{shown}:{sock.getsockname()[1]}"


def serve(
    app: Any, *, name: str, sock: socket.socket, url: str, grace: float,
    proxy_headers: bool = True, on_signal: Callable[[], None] | None = None,
    notes: Sequence[str] = (),
) -> None:
    """Run uvicorn on ``sock`` until SIGINT/SIGTERM, then stop within ``grace`` seconds.

    ``on_signal`` runs first when a stop signal arrives (the proxy starts its drain there).
    """
    import asyncio
    import contextlib
    import signal
    import threading
    from collections.abc import Generator

    import uvicorn
    import uvloop

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            # uvicorn re-raises SIGTERM/SIGINT after its graceful stop, so the process would
            # die by the signal; a stop on request is exit status 0 instead.
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handle_exit = self.handle_exit

            def stop(sig: int, frame: Any) -> None:
                if on_signal is not None:
                    on_signal()
                handle_exit(sig, frame)

            sigs = (signal.SIGINT, signal.SIGTERM)
            old = {sig: signal.signal(sig, stop) for sig in sigs}
            try:
                yield
            finally:
                for sig, handler in old.items():
                    signal.signal(sig, handler)

    server = _Server(uvicorn.Config(
        app, loop="uvloop", http="httptools", lifespan="on", access_log=False,
        log_level="warning", timeout_graceful_shutdown=math.ceil(grace),
        proxy_headers=proxy_headers,
        server_header=False,
    ))

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started:
            print(f"gatecheck {name} listening on {url}", flush=True)
            for note in notes:
                print(f"gatecheck {name} {note}", flush=True)
        await task

    uvloop.run(main())
