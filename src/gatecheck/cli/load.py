"""`gatecheck load`: a Locust run against one target, written to reports/<run-id>/load/.

The run is a list of small steps: check the input -> select the target -> start it if it
is embedded (mock + reference proxy) -> run Locust in a child process -> redact everything
it wrote -> print the summary's headline figures -> report.md/html -> point
reports/latest at the run.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gatecheck import HarnessError, Surface, UsageError
from gatecheck.artefacts import point_latest, redact_tree
from gatecheck.embedded import start_for
from gatecheck.load import (
    SCENARIOS,
    LocustRun,
    locate_locustfile,
    new_run_dir,
    parse_duration,
    parse_processes,
    parse_rate,
    print_summary,
)
from gatecheck.options import add_target_options, parse_base_urls, resolve_target_names
from gatecheck.report import write_report
from gatecheck.targets import TargetConfig, load_targets

EMBEDDED_DIRECTIVE = "ttft=200 itl=20 tokens=50"  # a realistic stream from the mock


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser.add_argument)
    add = parser.add_argument
    add("--scenario", default="stream", choices=SCENARIOS,
        help="chat (non-stream), stream, ramp (user steps) or rate (open loop); default stream")
    add("--users", type=int, default=None, metavar="N",
        help="users (closed loop), top users (ramp), or the in-flight cap (rate); default 10")
    add("--spawn-rate", type=float, default=None, metavar="R",
        help="users started per second (default: all at once)")
    add("--rate", default=None, metavar="R", help="rate: arrivals per second (default 10)")
    add("--arrival", default="constant", choices=("constant", "poisson"),
        help="rate: arrival process (default constant)")
    add("--seed", type=int, default=0, help="rate: seed of the Poisson arrivals (default 0)")
    add("--overload", default="queue", choices=("queue", "drop"),
        help="rate: with no free user, send late and report the lag (queue) or skip (drop)")
    add("--steps", type=int, default=5, help="ramp: equal user steps (default 5)")
    add("--shape", default="step", choices=("step", "ramp"),
        help="ramp: user steps, or a straight line from 1 to --users (default step)")
    add("--duration", default="60s", metavar="D", help="run time, e.g. 30s, 2m (default 60s)")
    add("--warmup", default="0", metavar="D",
        help="left out of summary.json from the start, e.g. 5s (default 0; samples keep all)")
    add("--processes", default=None, metavar="N",
        help="Locust worker processes on this machine (-1: one per core)")
    add("--web", action="store_true",
        help="serve Locust's web UI on 127.0.0.1 instead of a headless run")
    add("--web-port", type=int, default=8089, help="web UI port (default 8089)")
    add("--surface", default="openai", choices=("openai", "anthropic"),
        help="wire surface (default openai)")
    add("--model", default=None, help="model or alias (default: the target's)")
    add("--directive", default=None, metavar="TEXT",
        help=f"mock directive in the prompt (default for embedded targets: "
             f"'{EMBEDDED_DIRECTIVE}'; '' for none)")
    add("--max-tokens", type=int, default=256, help="max_tokens per request (default 256)")
    add("--timeout", type=float, default=120.0, metavar="S",
        help="seconds one request may take in all, stream included (default 120)")
    add("--out", default="reports", metavar="DIR", help="where run directories go")


def _positive_int(value: int | None, flag: str, default: int) -> int:
    if value is None:
        return default
    if value < 1:
        raise UsageError(f"{flag} {value}: expected a whole number of at least 1")
    return value


def check_args(args: argparse.Namespace) -> dict[str, Any]:
    """Every input checked before anything starts; returns the derived numbers."""
    if args.scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {args.scenario!r} "
                         f"(expected one of {', '.join(SCENARIOS)})")
    duration = parse_duration(args.duration)
    warmup = 0.0 if args.warmup.strip() in ("0", "0s") else parse_duration(args.warmup)
    if warmup >= duration:
        raise UsageError(f"--warmup {args.warmup}: must be shorter than --duration")
    rate = parse_rate(args.rate) if args.rate is not None else 10.0
    if args.rate is not None and args.scenario != "rate":
        raise UsageError("--rate applies to --scenario rate only")
    default_users = min(1000, max(10, math.ceil(rate * 4))) if args.scenario == "rate" else 10
    users = _positive_int(args.users, "--users", default_users)
    spawn = args.spawn_rate if args.spawn_rate is not None else float(users)
    if not (math.isfinite(spawn) and spawn > 0):
        raise UsageError(f"--spawn-rate {args.spawn_rate}: expected a positive number")
    _positive_int(args.steps, "--steps", 5)
    _positive_int(args.max_tokens, "--max-tokens", 256)
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= 3600):
        raise UsageError(f"--timeout {args.timeout:g}: expected more than 0 and at most 3600 s")
    if not 1 <= args.web_port <= 65535:
        raise UsageError(f"--web-port {args.web_port}: expected a port from 1 to 65535")
    return {"duration": duration, "warmup": warmup, "rate": rate, "users": users,
            "spawn_rate": spawn,
            "processes": parse_processes(args.processes)}


def check_web_port(port: int, host: str = "127.0.0.1") -> None:
    """Refuse a web UI port that cannot be bound, in one line, before anything starts.

    Locust would otherwise die in its child process with a gevent traceback. The socket is
    closed again at once; SO_REUSEADDR as gevent's server sets it, so a port left in
    TIME_WAIT by an earlier run is not mistaken for a busy one.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--web-port {port}: cannot listen on {host}:{port} "
                             f"({exc.strerror or exc}); pick another port") from None


def run(args: argparse.Namespace) -> int:
    # 1. input, then the target: bad input fails before anything starts
    numbers = check_args(args)
    names = resolve_target_names(args.gatecheck_target, os.environ)
    registry = load_targets(args.gatecheck_targets_file)
    registry = registry.with_base_urls(parse_base_urls(args.gatecheck_base_url))
    selected = registry.select(names)
    if len(selected) != 1:
        raise UsageError(f"load runs against one target; {len(selected)} selected "
                         f"({', '.join(t.name for t in selected)})")
    target = selected[0]
    if not target.has_surface(args.surface):
        raise UsageError(f"target {target.name!r} does not claim the {args.surface} surface")
    if not target.needs_start and target.missing_secret is not None:
        raise UsageError(f"set ${target.missing_secret} to run target {target.name!r}")
    model = args.model or target.models.for_surface(args.surface)
    if not model:
        raise UsageError(f"target {target.name!r} names no model for {args.surface}; "
                         "pass --model")
    directive = args.directive
    if directive is None:
        directive = EMBEDDED_DIRECTIVE if target.is_embedded else ""
    if args.web:
        check_web_port(args.web_port)
    # 2. where the run goes
    run_dir = new_run_dir(Path(args.out), target.name) / "load"
    run_dir.mkdir()
    locustfile = locate_locustfile(args.scenario)
    # 3. the target (started if embedded), then Locust
    with _started(target, args.surface) as (base_url, env):
        scheme = target.surfaces[args.surface].preferred_auth
        options = {"surface": args.surface, "model": model, "directive": directive,
                   "max-tokens": str(args.max_tokens), "label": target.name,
                   "auth": scheme if target.auth.env else "none",
                   "auth-env": target.auth.env or "", "auth-header": target.auth.header or "",
                   "warmup": f"{numbers['warmup']:g}", "timeout": f"{args.timeout:g}"}
        if args.scenario == "rate":
            options.update({"rate": f"{numbers['rate']:g}", "arrival": args.arrival,
                            "seed": str(args.seed), "overload": args.overload})
        if args.scenario == "ramp":
            options.update({"steps": str(args.steps), "shape": args.shape})
        launch = LocustRun(
            locustfile=locustfile, host=base_url, run_dir=run_dir, users=numbers["users"],
            spawn_rate=numbers["spawn_rate"], duration_s=None if args.web else numbers["duration"],
            processes=numbers["processes"], web_port=args.web_port, options=options, env=env,
        )
        print(f"gatecheck: load {args.scenario} against {target.name} ({base_url}, "
              f"{args.surface}, {model}): {numbers['users']} users"
              + ("" if args.web else f", {numbers['duration']:g} s"), flush=True)
        if args.web:
            print(f"gatecheck: Locust web UI on http://127.0.0.1:{args.web_port} "
                  "(Ctrl-C to stop and write the reports)", flush=True)
        code = launch.run()
    # 4. redact every file Locust and the users wrote (CSV, HTML, log, samples, summary)
    redact_tree(run_dir)
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise HarnessError(f"Locust exited {code} without writing {summary_path} "
                           f"(log: {run_dir / 'locust.log'})")

    ok = print_summary(summary_path)
    print(f"gatecheck: {summary_path} (Locust CSV/HTML beside it)")
    # 5. report.md and report.html for the run, from summary.json and samples.jsonl

    _, report = write_report(run_dir.parent)
    # 6. reports/latest -> this run, as `gatecheck run` does (the same function)
    latest = point_latest(Path(args.out), run_dir.parent)
    print(f"gatecheck: {report} (and report.html; also {latest / report.name})")
    return 0 if ok and code in (0, 130) else 1


@contextmanager
def _started(target: TargetConfig, surface: Surface) -> Iterator[tuple[str, dict[str, str]]]:
    """The target's API base URL and the env its users need, starting it if embedded."""
    if not target.needs_start:
        target.secret()  # registers the secret with the redactor before anything is written
        yield target.api_base_url(surface), {}
        return

    with start_for(target) as started:
        yield target.with_base_url(started.base_url).api_base_url(surface), dict(started.env)
