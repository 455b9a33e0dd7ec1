"""CPU per request of gatecheck's ChatUser against Locust's FastHttpUser, same mock, same load.

    .venv/bin/python benchmarks/bench_users.py [--users 50] [--seconds 15]

Starts ``gatecheck mock`` (zero latency) in a child process, then runs each locustfile
headless twice, for ``--seconds`` and for a third of it, in another child, and reads that
child's CPU time from ``getrusage(RUSAGE_CHILDREN)`` and its request count from Locust's
final JSON statistics. The difference between the two runs is the marginal CPU per request,
without Locust's start-up (about a second of imports).
CPU per request is what decides how much load one process can drive; requests/s on a
shared two-core machine mostly measures the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "gatecheck ChatUser (geventhttpclient + sample + 2 events)": ROOT / "locustfiles/chat.py",
    "Locust FastHttpUser (1 event)": ROOT / "benchmarks/fasthttp_baseline.py",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(locustfile: Path, port: int, users: int, seconds: int) -> tuple[int, float]:
    """(requests, CPU seconds) of one headless Locust run."""
    host = f"http://127.0.0.1:{port}" + ("/v1" if locustfile.name == "chat.py" else "")
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "stats"
        before = _children_cpu()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
             "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host,
             "--only-summary", "--json-file", str(stats), "--loglevel", "ERROR"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
            timeout=seconds + 60, check=False)
        cpu = _children_cpu() - before
        entries = orjson.loads(stats.with_suffix(".json").read_bytes())
        return max(e["num_requests"] for e in entries if e["method"] != "LLM"), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    port = _free_port()
    mock = subprocess.Popen([sys.executable, "-m", "gatecheck", "mock", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        print(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
        print("| user | requests/s | marginal CPU µs per request | CPU % of a core |")
        print("| --- | ---: | ---: | ---: |")
        for name, locustfile in CASES.items():
            short = _run(locustfile, port, args.users, max(2, args.seconds // 3))
            full = _run(locustfile, port, args.users, args.seconds)
            requests, cpu = full[0] - short[0], full[1] - short[1]
            seconds = args.seconds - max(2, args.seconds // 3)
            print(f"| {name} | {full[0] / args.seconds:,.0f} | "
                  f"{cpu / requests * 1e6:.0f} | {cpu / seconds * 100:.0f} |")
    finally:
        mock.terminate()
        mock.wait(timeout=15)


if __name__ == "__main__":
    main()
