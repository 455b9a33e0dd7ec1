"""`gatecheck mock`: serve the mock upstream on loopback until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
from typing import Any

from gatecheck import UsageError
from gatecheck.config import did_you_mean
from gatecheck.mock import DirectiveError, MockConfig, create_app, parse_fault_spec
from gatecheck.mock.misbehave import MODES, wrap
from gatecheck.serve import listen, serve

__all__ = ["configure", "misbehave_modes", "run"]

# uvicorn logs this for every deliberate abort (faults reset and silence): not news here.
_ABORT_LINE = "ASGI callable returned without completing response."
# MockConfig field -> the flag that sets it, for error messages
_FLAGS = {
    "ttft_ms": "--ttft-ms", "itl_ms": "--itl-ms", "jitter_ms": "--jitter-ms",
    "max_hold_s": "--max-hold", "fault_rate": "--fault-rate", "log_size": "--log-size",
    "tokens": "--tokens",
}  # fmt: skip


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    add("--port", type=int, default=8900, help="port (default: 8900; 0 picks a free one)")
    add("--ttft-ms", type=float, metavar="MS", default=0.0, help="time to first token (default: 0)")
    add("--itl-ms", type=float, metavar="MS", default=0.0, help="delay between tokens (default: 0)")
    add("--tokens", type=int, metavar="N", default=16, help="reply length in tokens (default: 16)")
    add(
        "--jitter-ms", type=float, metavar="MS", default=0.0, help="+/- seeded jitter on each delay"
    )
    add("--seed", type=int, default=0, help="seed for jitter and fault draws (default: 0)")
    add(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="NAME[,key=value...], e.g. 429,retry_after=2 or reset,after=3 (repeatable)",
    )
    add(
        "--fault-rate",
        type=float,
        default=None,
        metavar="P",
        help="probability of a fault per request (default: 1 with --fault; alone: the chaos mix)",
    )
    add("--accept-any-model", action="store_true", help="answer any model name, not only mock-*")
    add("--list-all-models", action="store_true",
        help="list the fault presets (mock-429, mock-hang, ...) in GET /v1/models too "
             "(default: only the models that answer normally; ?all=true asks per request)")
    add(
        "--api-key-env",
        action="append",
        default=[],
        metavar="NAME",
        help="require the key held by this environment variable (repeatable)",
    )
    add(
        "--max-hold",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="longest a hang/silence/stall holds a connection (default: 120)",
    )
    add(
        "--log-size",
        type=int,
        metavar="N",
        default=1000,
        help="requests kept in /_mock/log (default: 1000)",
    )
    add(
        "--misbehave",
        action="append",
        default=[],
        metavar="MODE[,MODE...]",
        help="break the mock's answers in these ways (gatecheck.mock.misbehave.MODES; "
        "repeatable), e.g. no-done,no-usage-chunk",
    )


def misbehave_modes(values: list[str]) -> list[str]:
    """The modes named by --misbehave, in order; an unknown one is a one-line UsageError."""
    modes = [part.strip() for value in values for part in value.split(",") if part.strip()]
    for mode in modes:
        if mode not in MODES:
            raise UsageError(f"--misbehave {mode!r}: unknown mode{did_you_mean(mode, MODES)} "
                             f"({len(MODES)} modes: see gatecheck.mock.misbehave.MODES)")
    return list(dict.fromkeys(modes))


def _config(args: argparse.Namespace) -> Any:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be between 0 and 65535")
    try:
        faults = tuple(parse_fault_spec(spec) for spec in args.fault)
    except DirectiveError as exc:
        raise UsageError(f"--fault: {str(exc).removeprefix('mock directive: ')}") from None
    keys = []
    for name in args.api_key_env:
        value = os.environ.get(name)
        if not value:
            raise UsageError(f"--api-key-env {name}: the environment variable is not set")
        keys.append(value)
    try:
        return MockConfig(
            ttft_ms=args.ttft_ms,
            itl_ms=args.itl_ms,
            tokens=args.tokens,
            jitter_ms=args.jitter_ms,
            seed=args.seed,
            faults=faults,
            fault_rate=args.fault_rate,
            accept_any_model=args.accept_any_model,
            list_all_models=args.list_all_models,
            api_keys=frozenset(keys),
            max_hold_s=args.max_hold,
            log_size=args.log_size,
        )
    except ValueError as exc:
        message = str(exc)
        for field, flag in _FLAGS.items():
            message = message.replace(field, flag)
        raise UsageError(message) from None


def run(args: argparse.Namespace) -> int:
    import logging

    config = _config(args)
    modes = misbehave_modes(args.misbehave)
    sock, url = listen(args.host, args.port)
    # The mock's faults abort responses on purpose; uvicorn would log each as an error.
    logging.getLogger("uvicorn.error").addFilter(lambda record: record.getMessage() != _ABORT_LINE)
    app: Any = create_app(config)
    if modes:
        app = wrap(app, modes)
    # no X-Forwarded-* rewriting (nobody fronts the mock): less work per response
    serve(app, name="mock", sock=sock, url=url, grace=2, proxy_headers=False,
          notes=[f"misbehaving: {', '.join(modes)}"] if modes else ())
    return 0
