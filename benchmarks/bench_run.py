"""Time the whole embedded `gatecheck run`: server start, every suite, reports, shutdown.

    .venv/bin/python benchmarks/bench_run.py [--workers 0 2] [--repeat 1]

Each run is a fresh `python -m gatecheck run --workers N` in a child process with its
reports in a temporary directory, timed from spawn to exit (wall clock). Bounded: at most
5 repeats of at most 4 worker settings, each run killed after 300 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300
SUMMARY = re.compile(r"gatecheck: (\d+) checks: (\d+) passed, (\d+) failed")


def one_run(workers: str) -> tuple[float, str, int]:
    """Wall seconds, the summary line, and the exit status of one embedded run."""
    with tempfile.TemporaryDirectory(prefix="gatecheck-bench-") as out:
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "gatecheck", "run", "--workers", workers, "--out", out],
            cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
        )
        wall = time.perf_counter() - started
    match = SUMMARY.search(proc.stdout)
    return wall, match.group(0) if match else proc.stdout[-300:], proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", nargs="+", default=["0", "2"], metavar="N")
    parser.add_argument("--repeat", type=int, default=1, choices=range(1, 6))
    args = parser.parse_args()
    if len(args.workers) > 4:
        parser.error("at most 4 worker settings")
    print("| workers | runs | median wall (s) | min (s) | result |")
    print("| --- | ---: | ---: | ---: | --- |")
    for workers in args.workers:
        walls, summary, status = [], "", 0
        for _ in range(args.repeat):
            wall, summary, status = one_run(workers)
            walls.append(wall)
        print(f"| {workers} | {len(walls)} | {statistics.median(walls):.1f} | "
              f"{min(walls):.1f} | {summary} (exit {status}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
