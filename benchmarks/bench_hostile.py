"""`gatecheck run` against each hostile gateway mode: wall time, peak memory, report, leaks.

    .venv/bin/python benchmarks/bench_hostile.py [--modes huge-body gzip-bomb ...] [--cap 360]

For each mode (tests/apps/hostile.py): start the hostile server in its own process, write a
targets file with one bearer-auth target ``hostile`` (API key and admin key from variables
holding fresh random canaries), run ``python -m gatecheck run --target hostile --base-url
hostile=URL/v1 --targets-file F --out TMP`` with a hard wall-time cap (the whole process
group is killed at the cap), and record: wall seconds, the peak summed RSS of gatecheck's
process tree (polled from /proc every 0.25 s), the largest single process (``ru_maxrss`` of
RUSAGE_CHILDREN in a wrapper process, which also catches a peak between two polls; not
available for a run killed at the cap), the exit status, whether a report.md was written,
how many times either canary appeared on the console and how many raw escape characters
(ESC, C1 CSI) reached it, how many requests the hostile server saw, and (for
redirect-off-origin) how many reached the off-origin server. Modes wait (at most 10 min)
for the load average to fall under 3 before they start. One mode at a time; nothing else should run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.apps.hostile import MODES  # noqa: E402

TELLING = ["huge-body", "gzip-bomb", "stall", "echo-credentials"]
SUMMARY = re.compile(r"gatecheck: \d+ checks[^\n]*")
PAGE = os.sysconf("SC_PAGE_SIZE")
# Runs the command and writes the largest ru_maxrss (KiB) of it and every descendant it
# waited for: catches a peak between two polls. Not written when the cap kills the group.
_WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN)"
            ".ru_maxrss)); sys.exit(code)")

TARGETS = """\
[[target]]
name = "hostile"
description = "tests/apps/hostile.py, one misbehaviour on every route"
base-url = "http://127.0.0.1:9/v1"
features = ["streaming", "tools", "stream-usage", "keys", "health", "models", "count-tokens"]

[target.auth]
scheme = "bearer"
env = "HOSTILE_API_KEY"
admin-env = "HOSTILE_ADMIN_KEY"

[target.surfaces.openai]
auth = ["bearer"]

[target.surfaces.anthropic]
auth = ["bearer"]

[target.models]
default = "hostile-model"

[target.quirks.health]
path = "/health"
requires-auth = false
"""


@dataclass
class Result:
    mode: str
    wall: float
    tree_mb: float
    single_mb: float
    status: str
    report: bool
    leaks: int
    escapes: int
    requests: int
    off_origin: int
    summary: str


def _tree(root: int) -> list[int]:
    """root and its descendants, from /proc/*/stat (ppid is field 4)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _wait_for_quiet(limit_s: float = 600) -> float:
    deadline = time.monotonic() + limit_s
    while (load := os.getloadavg()[0]) >= 3 and time.monotonic() < deadline:
        time.sleep(15)
    return load


def run_mode(mode: str, cap: float) -> Result:
    api_key = "sk-hostile-" + secrets.token_hex(16)
    admin_key = "gk-admin-" + secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="gatecheck-hostile-") as tmp:
        server_out = Path(tmp, "server.out")
        with server_out.open("w") as sink:
            server = subprocess.Popen(
                [sys.executable, "-m", "tests.apps.hostile", "--mode", mode, "--port", "0",
                 "--max-seconds", str(cap)], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            url = _first_line(server_out, server)
            targets = Path(tmp, "targets.toml")
            targets.write_text(TARGETS)
            env = {k: v for k, v in os.environ.items() if not k.startswith("GATECHECK_")}
            env.update(HOSTILE_API_KEY=api_key, HOSTILE_ADMIN_KEY=admin_key)
            console = Path(tmp, "console.txt")
            maxrss = Path(tmp, "maxrss")
            started = time.perf_counter()
            with console.open("w") as sink:
                proc = subprocess.Popen(
                    [sys.executable, "-c", _WRAPPER, str(maxrss),
                     sys.executable, "-m", "gatecheck", "run", "--target", "hostile",
                     "--targets-file", str(targets), "--base-url", f"hostile={url}/v1",
                     "--out", str(Path(tmp, "reports"))],
                    cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                    start_new_session=True)
                peak, status = 0, ""
                while proc.poll() is None:
                    peak = max(peak, sum(_rss(pid) for pid in _tree(proc.pid)))
                    if time.perf_counter() - started > cap:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait(30)
                        status = f"killed at {cap:.0f} s"
                        break
                    time.sleep(0.25)
            wall = time.perf_counter() - started
            single = int(maxrss.read_text()) / 1024 if maxrss.exists() else float("nan")
            status = status or f"exit {proc.returncode}"
            text = console.read_text(errors="replace")
            leaks = text.count(api_key) + text.count(admin_key)
            escapes = text.count("\x1b") + text.count("\x9b")  # raw ESC and C1 CSI
            report = any(Path(tmp, "reports").rglob("report.md"))
            match = SUMMARY.search(text)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
        counts = _server_counts(server_out)
        return Result(mode, wall, peak / 2**20, single, status, report, leaks, escapes,
                      counts.get("requests", -1), counts.get("off_origin_requests", 0),
                      match.group(0) if match else text.strip()[-160:].replace("\n", " / "))


def _first_line(path: Path, proc: subprocess.Popen[bytes], limit_s: float = 30) -> str:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines()
        if lines and lines[0].startswith("http://"):
            return lines[0].strip()
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"hostile server did not start: {path.read_text()[-500:]}")


def _server_counts(path: Path) -> dict[str, int]:
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return dict(json.loads(line))
    return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=sorted(MODES))
    parser.add_argument("--telling", action="store_true",
                        help=f"only the most telling modes: {' '.join(TELLING)}")
    parser.add_argument("--cap", type=float, default=360.0, help="wall seconds per mode")
    args = parser.parse_args()
    modes = TELLING if args.telling else args.modes
    print("| mode | wall (s) | peak RSS, tree (MB) | largest process (MB) | end | report | "
          "secrets on console | raw escapes on console | server requests | "
          "off-origin requests | summary |")
    print("| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |", flush=True)
    for mode in modes:
        load = _wait_for_quiet()
        r = run_mode(mode, min(max(args.cap, 10.0), 900.0))
        print(f"| {r.mode} | {r.wall:.0f} | {r.tree_mb:.0f} | {r.single_mb:.0f} | {r.status} | "
              f"{'yes' if r.report else 'NO'} | {r.leaks} | {r.escapes} | {r.requests} | "
              f"{r.off_origin} | "
              f"{r.summary} (load {load:.1f}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
