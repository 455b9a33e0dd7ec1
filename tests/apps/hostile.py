"""A hostile test gateway: every route misbehaves one way, bounded in bytes and time.

Raw asyncio streams rather than an ASGI app: several modes need byte-level control that no
ASGI server allows (64 MiB of headers, headers dripped one byte at a time, a status line that
is not HTTP, a gzip body that expands to a GiB). Loopback only.

A server has one mode (see MODES): what its API routes do and what its health routes
(``/``, ``/health*``, ``/ready``, ``/live``) do; ``routes`` overrides single paths with a
behaviour (see BEHAVIOURS). Every response is bounded: at most ``size`` bytes of body (a lazily
generated one, never held in memory) and every connection at most ``max_seconds`` long, after
which the server drops it. Every request is recorded in ``hits`` (the last 1,000).

    with serve("gzip-bomb", max_seconds=10) as server:
        httpx.get(server.url + "/v1/models")

From the command line (one server per process, for benchmarks)::

    python -m tests.apps.hostile --mode stall --port 0

prints the URL on its first line (and, for ``redirect-off-origin``, the off-origin server's
URL on the second), then one ``hit`` line per request, and on SIGTERM a JSON summary.

The behaviours are in tests/apps/_hostile_behaviours.py, the bodies (and the gzip bomb) in
tests/apps/_hostile_bodies.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from tests.apps._hostile_behaviours import BEHAVIOURS, Options, Request
from tests.apps._hostile_bodies import gzip_bomb

__all__ = ["MODES", "Hit", "HostileServer", "Options", "gzip_bomb", "main", "serve"]

# API behaviour, health behaviour.
MODES: dict[str, tuple[str, str]] = {
    "ok": ("ok", "ok"),
    "echo-credentials": ("echo", "echo"),
    "huge-body": ("huge-body", "ok"),
    "gzip-bomb": ("gzip-bomb", "ok"),
    "redirect-off-origin": ("redirect-off", "ok"),
    "redirect-loop": ("redirect-loop", "ok"),
    "stall": ("no-headers", "ok"),
    "drip": ("drip", "ok"),
    "endless-sse": ("endless-sse", "ok"),
    "health-huge": ("ok", "huge-body"),
    "health-malformed": ("ok", "malformed"),
    "health-hang": ("ok", "no-headers"),
    "escapes": ("escapes", "ok"),
    "html": ("html", "html"),
    "unparseable-sse": ("unparseable-sse", "ok"),
    "huge-headers": ("huge-headers", "ok"),
    "not-found-first": ("not-found-first", "not-found-first"),
}
HEALTH_PATHS = ("/", "/ready", "/live", "/ping", "/healthz")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_HEAD_LIMIT = 64 << 10  # request head
_BODY_LIMIT = 1 << 20  # request body


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HostileServer:
    """One hostile gateway on a loopback port; start() in a loop, or serve() from a thread."""

    mode: str
    host: str = "127.0.0.1"
    port: int = 0
    options: Options = field(default_factory=Options)
    routes: Mapping[str, str] = field(default_factory=dict)
    hits: deque[Hit] = field(default_factory=lambda: deque(maxlen=1000))
    requests: int = 0
    on_hit: Callable[[Hit], None] | None = None
    _server: asyncio.Server | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; one of {', '.join(MODES)}")
        if self.host not in LOOPBACK:
            raise ValueError("the hostile gateway listens on loopback only")
        unknown = set(self.routes.values()) - set(BEHAVIOURS)
        if unknown:
            raise ValueError(f"unknown behaviour(s) {sorted(unknown)}")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port,
                                                  limit=_HEAD_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def behaviour(self, path: str) -> str:
        if path in self.routes:
            return self.routes[path]
        api, health = MODES[self.mode]
        return health if path in HEALTH_PATHS or path.startswith("/health") else api

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.options.max_seconds):
                while await self._one(reader, writer):
                    pass
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError, asyncio.CancelledError):
            pass  # the client left, the time is up, or the server is stopping
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is to be closed."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length > _BODY_LIMIT:
            raise ValueError("request body too large")
        body = await reader.readexactly(length) if length else b""
        request = Request(method, target, headers, body)
        self.requests += 1
        hit = Hit(method, request.path, headers)
        self.hits.append(hit)
        if self.on_hit is not None:
            self.on_hit(hit)
        handler = BEHAVIOURS[self.behaviour(request.path)]
        return await handler(self, request, reader, writer)

    # -- running it from synchronous code ----------------------------------------------------
    @contextlib.contextmanager
    def in_thread(self) -> Iterator[HostileServer]:
        """Run this server on its own event loop in a daemon thread while the block runs."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name=f"hostile-{self.mode}", daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("hostile server did not start")
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    async def _shutdown(self) -> None:
        await self.stop()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def serve(mode: str, *, routes: Mapping[str, str] | None = None,
          **options: object) -> Iterator[HostileServer]:
    """A hostile server in a thread; ``redirect-off-origin`` also starts its off-origin
    target (reachable as ``server.off_origin``, an "ok" server whose ``hits`` say whether
    anything followed the redirect)."""
    opts = Options(**options)  # type: ignore[arg-type]
    with contextlib.ExitStack() as stack:
        off = None
        if mode == "redirect-off-origin" or "redirect-off" in (routes or {}).values():
            off = stack.enter_context(HostileServer("ok", options=opts).in_thread())
            opts.off_origin_url = off.url
        server = stack.enter_context(
            HostileServer(mode, options=opts, routes=dict(routes or {})).in_thread())
        server.off_origin = off  # type: ignore[attr-defined]
        yield server


# -- command line -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.apps.hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", required=True, choices=sorted(MODES))
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--size", type=int, default=2 << 30, help="huge-body bytes")
    parser.add_argument("--no-content-length", action="store_true",
                        help="huge-body: no Content-Length, the body ends at close")
    parser.add_argument("--bomb-size", type=int, default=1 << 30, help="gzip-bomb expansion")
    parser.add_argument("--not-found", type=int, default=1_000_000)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    opts = Options(size=args.size, bomb_size=args.bomb_size, interval=args.interval,
                   not_found=args.not_found, max_seconds=args.max_seconds,
                   content_length=not args.no_content_length)
    return asyncio.run(_serve_forever(args.mode, args.host, args.port, opts))


async def _serve_forever(mode: str, host: str, port: int, opts: Options) -> int:
    def report(prefix: str) -> Callable[[Hit], None]:
        def hit(h: Hit) -> None:
            creds = sorted(k for k in h.headers if k in ("authorization", "x-api-key"))
            print(f"{prefix} {h.method} {h.path} {','.join(creds)}", flush=True)
        return hit

    off = None
    if mode == "redirect-off-origin":
        off = HostileServer("ok", host=host, options=opts, on_hit=report("off-origin-hit"))
        await off.start()
        opts.off_origin_url = off.url
    server = HostileServer(mode, host=host, port=port, options=opts, on_hit=report("hit"))
    await server.start()
    print(server.url, flush=True)
    if off is not None:
        print(off.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    if off is not None:
        await off.stop()
    print(json.dumps({"requests": server.requests,
                      "off_origin_requests": off.requests if off else 0}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
