"""`gatecheck proxy`: serve the reference proxy until Ctrl-C or SIGTERM.

Server: uvicorn with uvloop and httptools. It is already a project dependency, its
httptools parser and uvloop loop are the fastest HTTP/1.1 stack available here for an ASGI
app, and the same server runs the mock, so both sides of a benchmark are measured alike.
granian (Rust) could be faster but would add a dependency and a second server to learn.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gatecheck import HarnessError, UsageError
from gatecheck.proxy import KeyStore, create_app, default_config, load_config
from gatecheck.proxy.keystore import new_key
from gatecheck.proxy.supervisor import supervise
from gatecheck.serve import listen, serve

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--config", metavar="PATH", help="proxy.toml (default: the embedded default)")
    add("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    add("--port", type=int, default=8901, help="port (default: 8901; 0 picks a free one)")
    add("--upstream", metavar="URL",
        help="base URL of the mock upstream for the embedded default "
             "(default: http://127.0.0.1:8900; not with --config)")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--state-dir", metavar="DIR",
                       help="where proxy.sqlite lives (default: config state-dir, .gatecheck)")
    state.add_argument("--in-memory", action="store_true",
                       help="keep keys and usage in memory only (lost at exit)")
    add("--quiet", action="store_true", help="no per-request log lines")
    add("--workers", type=int, default=1, metavar="N",
        help="run N proxy processes on the port (SO_REUSEPORT; needs --state-dir, and "
             "[rate-limits] backend = \"redis\" to share limits; default: 1)")
    add("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for workers
    add("--grace", type=float, default=10.0, metavar="SECONDS",
        help="on SIGTERM, let open streams run this long, then end them with an error "
             "event (default: 10)")


def build(args: argparse.Namespace) -> tuple[Any, str]:
    """The app and the admin key, from the parsed arguments (no server started)."""
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be between 0 and 65535")
    if not 0 <= args.grace < float("inf"):  # also refuses nan
        raise UsageError(f"--grace {args.grace:g}: must be 0 or more seconds")
    if args.config and args.upstream:
        raise UsageError("--upstream applies to the embedded default; set base-url in --config")
    if args.upstream and not args.upstream.startswith(("http://", "https://")):
        raise UsageError(f"--upstream {args.upstream}: must be an http:// or https:// URL")
    config = load_config(args.config) if args.config else default_config(
        args.upstream or "http://127.0.0.1:8900"
    )
    admin_key = os.environ.get(config.admin_key_env)
    if not admin_key:
        admin_key = new_key()
        # Printed once, to the terminal only; never written to the log.
        print(f"gatecheck proxy: {config.admin_key_env} is not set; admin key for this run: "
              f"{admin_key}", file=sys.stderr, flush=True)
    if args.in_memory:
        store = KeyStore(":memory:")
    else:
        state_dir = Path(args.state_dir or config.state_dir)
        try:
            store = KeyStore(state_dir / "proxy.sqlite")
        except Exception as exc:  # sqlite3.Error, OSError: an unusable state dir
            raise HarnessError(f"cannot open the key store in {state_dir}: {exc}") from None
    return create_app(config, admin_key=admin_key, store=store), admin_key


def run(args: argparse.Namespace) -> int:
    import logging

    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1")
    if args.workers > 1:
        if args.in_memory:
            raise UsageError("--workers needs a key store the workers share: use --state-dir, "
                             "not --in-memory")
        app, admin_key = build(args)  # checks the arguments; a new admin key is printed once
        app.store.close()
        return supervise(args, app.config, admin_key)
    app, _ = build(args)
    app.drain.grace = args.grace
    access = logging.getLogger("gatecheck.proxy.access")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))  # the line is already JSON
    access.addHandler(handler)
    access.setLevel(logging.WARNING if args.quiet else logging.INFO)
    access.propagate = False

    sock, url = listen(args.host, args.port, reuse_port=args.reuse_port)
    # on a stop signal: health 503 and the in-flight stream bound first (shutdown.py)
    serve(app, name="proxy", sock=sock, url=url, grace=args.grace + 5,
          on_signal=app.drain.begin_soon)
    return 0
