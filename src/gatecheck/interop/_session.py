"""``python -m gatecheck.interop`` (what ``nox -s interop`` runs): the real gateways, end to end.

The run is a visible list of small steps, each timed:

1. install each gateway at its pinned version (cached after the first time);
2. per gateway: start a fresh mock upstream, start the gateway over it, send one smoke
   request per surface (it must reach the mock), run the conformance suites against it
   with ``gatecheck run`` (a child process, as for any target), stop both;
3. print the figures and write them to ``<out>/interop-figures.json``.

A gateway whose target cannot be described yet is started and smoke-tested but its suites
are not run, with the reason said once: Portkey routes by request headers, and the target
model has no per-target headers yet (issue 16, part 2). Suite failures are the gateways'
findings, not this command's: its exit status is 1 only when a step could not be done
(an install, a start, a smoke request, a run that wrote no results).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gatecheck import HarnessError
from gatecheck.interop._install import install
from gatecheck.interop._smoke import smoke
from gatecheck.interop._specs import GATEWAYS, data_dir, default_cache_dir, gateway_spec
from gatecheck.interop._start import RunningGateway, start

__all__ = ["main", "suites_blocker"]

RUN_TIMEOUT_S = 1200.0  # one gateway's whole suite run


def suites_blocker(name: str) -> str | None:
    """Why the suites cannot run against ``name`` yet, or None when they can."""
    if name != "portkey":
        return None
    from gatecheck.targets import schema_path

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    if "headers" in schema["$defs"]["target"]["properties"]:
        return None
    return ("the target model cannot send Portkey's routing headers (x-portkey-provider, "
            "x-portkey-custom-host) yet: started and smoke-tested only")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gatecheck.interop", description=__doc__
                                     .splitlines()[0])
    parser.add_argument("--gateways", default=",".join(GATEWAYS),
                        help="comma-separated gateways (default: all)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="install cache (default: .gatecheck/interop)")
    parser.add_argument("--out", type=Path, default=Path("reports"),
                        help="where run directories go (default: reports)")
    parser.add_argument("--targets-file", type=Path, default=None,
                        help="the interop targets (default: interop/targets.toml)")
    parser.add_argument("--no-suites", action="store_true", help="install, start, smoke only")
    parser.add_argument("-k", dest="keyword", default=None, help="passed to gatecheck run")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = [n.strip() for n in args.gateways.split(",") if n.strip()]
    figures: dict[str, dict[str, Any]] = {}
    failed = False
    try:
        for name in names:
            gateway_spec(name)  # unknown names fail before anything is installed
        for name in names:
            got = install(name, args.cache)
            figures[name] = {"version": gateway_spec(name).version,
                             "install_s": round(got.seconds, 1), "cached": not got.fresh}
            _say(f"{name} {gateway_spec(name).version}: "
                 + (f"installed in {got.seconds:.1f} s" if got.fresh else "already installed"))
        for name in names:
            figures[name].update(_one(name, args))
            failed |= bool(figures[name].get("error"))
    except HarnessError as exc:
        _say(f"error: {exc}")
        failed = True
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "interop-figures.json").write_text(json.dumps(figures, indent=2) + "\n",
                                                   encoding="utf-8")
    for name, row in figures.items():
        _say(f"{name}: " + ", ".join(f"{k}={v}" for k, v in row.items()))
    return 1 if failed else 0


def _one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start mock and gateway, smoke it, run the suites, stop both: this gateway's figures."""
    from gatecheck.embedded import serve_in_thread
    from gatecheck.mock import create_app

    row: dict[str, Any] = {}
    logs = args.out / "interop-logs"
    with serve_in_thread(create_app(), quiet_aborts=True) as mock_url, \
            start(name, mock_url, cache_dir=args.cache or default_cache_dir(),
                  log_dir=logs) as gw:
        row.update(start_s=round(gw.startup_s, 1), pid=gw.pid, log=str(gw.log_path))
        _say(f"{name}: listening on {gw.base_url} (PID {gw.pid}), ready in {gw.startup_s:.1f} s")
        bad = [r for r in smoke(gw) if not r.ok]
        for result in bad:
            _say(f"{name}: smoke {result.surface}: status {result.status}, reached the mock: "
                 f"{result.reached_mock}: {result.excerpt[:200]}")
        if bad:
            row["error"] = "smoke request failed"
            return row
        blocker = None if args.no_suites else suites_blocker(name)
        if args.no_suites or blocker:
            _say(f"{name}: suites not run: {blocker or '--no-suites'}")
            return row
        row.update(_suites(gw, args))
    return row


def _suites(gw: RunningGateway, args: argparse.Namespace) -> dict[str, Any]:
    targets = args.targets_file or data_dir() / "targets.toml"
    argv = [sys.executable, "-m", "gatecheck", "run", "--targets-file", str(targets),
            "--target", gw.name, "--base-url", f"{gw.name}={gw.base_url}", "--out", str(args.out)]
    if args.keyword:
        argv += ["-k", args.keyword]
    _say(f"{gw.name}: gatecheck run --target {gw.name} --base-url {gw.name}={gw.base_url}")
    started = time.perf_counter()
    try:
        code = subprocess.run(argv, env={**os.environ, **gw.env}, check=False,
                              timeout=RUN_TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        return {"error": f"suites ran longer than {RUN_TIMEOUT_S:.0f} s"}
    took = time.perf_counter() - started
    row: dict[str, Any] = {"suites_s": round(took, 1), "run_exit": code}
    latest = args.out / "latest" / "results.jsonl"
    if code not in (0, 1) or not latest.is_file():
        row["error"] = f"gatecheck run exited {code} without results"
    else:
        outcomes = [json.loads(line)["outcome"] for line in latest.read_text().splitlines()
                    if line.strip()]
        row["outcomes"] = {o: outcomes.count(o) for o in sorted(set(outcomes))}
        row["run_dir"] = str((args.out / "latest").resolve())
    return row


def _say(line: str) -> None:
    print(f"interop: {line}", flush=True)
