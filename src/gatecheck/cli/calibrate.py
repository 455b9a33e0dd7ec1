"""`gatecheck calibrate`: how far to trust load figures on this machine.

Starts the mock upstream with a known latency model (no proxy in between), runs the stream
scenario against it, and prints measured against true for ttft, itl, e2e and the achieved
request rate. The differences are the load generator's own error on this machine, under
this load: subtract nothing from real runs, but do not read more precision into them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gatecheck import HarnessError, UsageError
from gatecheck.artefacts import redact_tree
from gatecheck.embedded import serve_in_thread
from gatecheck.load import (
    LocustRun,
    locate_locustfile,
    new_run_dir,
    parse_duration,
    parse_processes,
)
from gatecheck.mock import MockConfig, create_app


def configure(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--ttft-ms", type=float, default=200.0, help="the mock's time to first token (200)")
    add("--itl-ms", type=float, default=20.0, help="the mock's delay between tokens (20)")
    add("--tokens", type=int, default=50, help="tokens per reply (50)")
    add("--users", type=int, default=20, help="concurrent streams (20)")
    add("--duration", default="10s", metavar="D", help="run time (default 10s)")
    add("--warmup", default="2s", metavar="D",
        help="left out from the start: spawning every stream at once (default 2s)")
    add("--processes", default=None, metavar="N", help="Locust worker processes (-1: per core)")
    add("--out", default="reports", metavar="DIR", help="where the run directory goes")


def true_values(ttft_ms: float, itl_ms: float, tokens: int, users: int) -> dict[str, float]:
    """What a perfect client would measure against the mock's latency model."""
    e2e = ttft_ms + (tokens - 1) * itl_ms
    return {"ttft": ttft_ms, "itl": itl_ms, "e2e": e2e,
            "rate": users / (e2e / 1000.0) if e2e > 0 else float("nan")}


def _check(args: argparse.Namespace) -> tuple[float, float]:
    if args.ttft_ms <= 0 or args.itl_ms <= 0:
        raise UsageError("--ttft-ms and --itl-ms must be positive (the model being checked)")
    if args.tokens < 2 or args.tokens > 4096:
        raise UsageError(f"--tokens {args.tokens}: expected 2 to 4096 (itl needs two)")
    if args.users < 1 or args.users > 10_000:
        raise UsageError(f"--users {args.users}: expected 1 to 10000")
    duration = parse_duration(args.duration)
    warmup = 0.0 if args.warmup.strip() in ("0", "0s") else parse_duration(args.warmup)
    if warmup >= duration:
        raise UsageError(f"--warmup {args.warmup}: must be shorter than --duration")
    return duration, warmup


def format_table(truth: dict[str, float], summary: dict[str, Any]) -> list[str]:
    """measured vs true, one line per figure (the p50, its error, and the p99)."""
    lat = summary["latency_ms"]
    lines = [f"{'figure':<12}{'true':>10}{'p50':>10}{'error':>10}{'p90':>10}{'p99':>10}"]
    for name in ("ttft", "itl", "e2e"):
        d = lat[name]
        if not d["count"]:
            lines.append(f"{name + ' ms':<12}{truth[name]:>10.2f}{'n/a':>10}")
            continue
        err = (d["p50"] - truth[name]) / truth[name] * 100
        lines.append(f"{name + ' ms':<12}{truth[name]:>10.2f}{d['p50']:>10.2f}{err:>+9.2f}%"
                     f"{d['p90']:>10.2f}{d['p99']:>10.2f}")
    rate = summary["throughput"]["requests_per_s"]
    if rate:
        err = (rate - truth["rate"]) / truth["rate"] * 100
        lines.append(f"{'rate /s':<12}{truth['rate']:>10.2f}{rate:>10.2f}{err:>+9.2f}%"
                     "   (true: users / true e2e)")
    return lines


def run(args: argparse.Namespace) -> int:
    import orjson

    duration, warmup = _check(args)
    processes = parse_processes(args.processes)
    truth = true_values(args.ttft_ms, args.itl_ms, args.tokens, args.users)
    run_dir = new_run_dir(Path(args.out), "calibrate") / "load"
    run_dir.mkdir()
    mock = create_app(MockConfig(ttft_ms=args.ttft_ms, itl_ms=args.itl_ms, tokens=args.tokens))
    print(f"gatecheck calibrate: mock ttft {args.ttft_ms:g} ms, itl {args.itl_ms:g} ms, "
          f"{args.tokens} tokens; {args.users} streams for {duration:g} s, the first "
          f"{warmup:g} s left out", flush=True)
    with serve_in_thread(mock) as mock_url:
        launch = LocustRun(
            locustfile=locate_locustfile("stream"), host=f"{mock_url}/v1",
            run_dir=run_dir, users=args.users, spawn_rate=float(args.users),
            duration_s=duration, processes=processes,
            options={"model": "mock-chat", "max-tokens": str(max(256, args.tokens)),
                     "label": "calibrate", "warmup": f"{warmup:g}"},
        )
        code = launch.run()
    redact_tree(run_dir)  # no secret is involved here, but every artefact goes through it
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise HarnessError(f"Locust exited {code} without writing {summary_path}")
    summary = orjson.loads(summary_path.read_bytes())
    for line in format_table(truth, summary):
        print(line)
    for warning in summary["warnings"]:
        print(f"gatecheck: warning: {warning}")
    print(f"gatecheck: {summary_path}")
    return 0 if summary["requests"]["ok"] else 1
