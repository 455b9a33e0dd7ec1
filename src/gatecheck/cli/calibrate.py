"""`gatecheck calibrate`: how far to trust load figures, and the overhead's floor, here.

Loads the mock alone (no gateway in between) with a known latency model on one streamed
surface and prints measured against true for ttft, itl, e2e and the request rate. Then its
checks, one line each, exit 1 when any fails: ttft and itl p50 within their bound of the
true value (1 % or 2 ms / 0.2 ms, the larger: ``gatecheck.load.ACCURACY``), and the
overhead self-check: with nothing between client and mock, the added ttft (client ttft -
the mock's own) must be within 1 ms of 0. Its medians are the load generator's floor,
written to .gatecheck/calibration.json and subtracted from later runs' overhead. A thin
layer over ``gatecheck.load.run_calibration``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gatecheck import UsageError
from gatecheck.load import (
    CALIBRATION_FILE,
    WIRES,
    LoadPlan,
    calibration_options,
    parse_warmup,
    run_calibration,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--ttft-ms", type=float, default=200.0, help="the mock's time to first token (200)")
    add("--itl-ms", type=float, default=20.0, help="the mock's delay between tokens (20)")
    add("--tokens", type=int, default=50, help="tokens per reply (50)")
    add("--surface", default="openai", choices=[w for w in WIRES if w != "embeddings"],
        help="the streamed wire to calibrate (default openai)")
    add("--users", type=int, default=20, help="concurrent streams (20)")
    add("--duration", default="10s", metavar="D", help="run time (default 10s)")
    add("--warmup", default="2s", metavar="D",
        help="left out from the start: spawning every stream at once (default 2s)")
    add("--processes", default=None, metavar="N", help="Locust worker processes (-1: per core)")
    add("--calibration", default=str(CALIBRATION_FILE), metavar="PATH",
        help=f"where the floor is written (default {CALIBRATION_FILE})")
    add("--out", default="reports", metavar="DIR", help="where the run directory goes")


def run(args: argparse.Namespace) -> int:
    if args.ttft_ms <= 0 or args.itl_ms <= 0:
        raise UsageError("--ttft-ms and --itl-ms must be positive (the model being checked)")
    if args.tokens < 2 or args.tokens > 4096:
        raise UsageError(f"--tokens {args.tokens}: expected 2 to 4096 (itl needs two)")
    if args.users < 1 or args.users > 10_000:
        raise UsageError(f"--users {args.users}: expected 1 to 10000")
    options = calibration_options(args.surface, tokens=args.tokens,
                                  warmup_s=parse_warmup(args.warmup))
    plan = LoadPlan.from_options({
        "gatecheck_target": ["mock"], "scenario": "stream", "users": args.users,
        "duration": args.duration, "processes": args.processes, "out": args.out,
        "label": options["label"], "gatecheck_surface": options["surface"],
        "gatecheck_model": options["model"], "gatecheck_max_tokens": int(options["max-tokens"]),
        "gatecheck_warmup": float(options["warmup"]),
        "gatecheck_directive": f"ttft={args.ttft_ms:g} itl={args.itl_ms:g} tokens={args.tokens}",
    }, {k: v for k, v in os.environ.items() if not k.startswith("GATECHECK_LOAD_")})
    _, passed = run_calibration(plan, ttft_ms=args.ttft_ms, itl_ms=args.itl_ms,
                                tokens=args.tokens, calibration=Path(args.calibration))
    return 0 if passed else 1
