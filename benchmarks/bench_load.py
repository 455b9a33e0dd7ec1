"""Load generator accuracy and capacity, through the real commands, on loopback.

    .venv/bin/python benchmarks/bench_load.py accuracy [--users 100] [--duration 30s]
    .venv/bin/python benchmarks/bench_load.py capacity [--users 50] [--duration 20s]
    .venv/bin/python benchmarks/bench_load.py guidellm [--duration 20s]
    .venv/bin/python benchmarks/bench_load.py overhead [--users 100] [--duration 20s]
    .venv/bin/python benchmarks/bench_load.py slo [--users 512] [--duration 3m]

accuracy: ``gatecheck calibrate`` (the mock at ttft 200 ms, itl 20 ms, 50 tokens, no proxy)
with 100 concurrent streams: reported ttft / itl / e2e p50 against the model's true values.
capacity: non-streamed requests/s that one Locust process (then two, ``--processes 2``)
drives against the zero-latency mock, with the load process's CPU.
guidellm: the open-loop run GuideLLM 0.8.1 was measured with on this machine (research notes:
server ttft 100 ms, itl 10 ms, 64 tokens, constant 100 requests/s, 20 s; GuideLLM reported
a ttft of 110 ms): ``gatecheck load --target mock --scenario rate`` with the same model.
overhead: ``gatecheck calibrate`` (the self-check: added ttft p50 within 1 ms of 0 on the
direct mock, and the floor), then the overhead of the mock itself and of the embedded
reference proxy at 1 and N streams (mock at ttft 100 ms, itl 10 ms, 64 tokens), the floor
subtracted.
slo: ``gatecheck load --scenario capacity`` against the embedded reference proxy with the
default SLO (overhead.ttft.p99 < 10 ms, error rate < 1 %), 10 s steps, within the time cap.

Each run is bounded by its duration plus a minute; the machine's load average is printed
beside every figure, since other work on a shared machine moves them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

GATECHECK = [sys.executable, "-m", "gatecheck"]


def _run(argv: list[str], out: Path, timeout: float) -> dict[str, Any]:
    print("$ gatecheck " + " ".join(argv), flush=True)
    done = subprocess.run([*GATECHECK, *argv, "--out", str(out)], capture_output=True,
                          text=True, timeout=timeout, check=False)
    print(done.stdout, end="")
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    (path,) = sorted(out.glob("*/load/summary.json"))[-1:]
    summary: dict[str, Any] = orjson.loads(path.read_bytes())
    return summary


def _loadavg() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def accuracy(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(_loadavg())
        _run(["calibrate", "--users", str(args.users), "--duration", args.duration,
              "--calibration", str(Path(tmp) / "calibration.json")], Path(tmp), timeout=600)
        print(_loadavg())


def capacity(args: argparse.Namespace) -> None:
    rows = []
    for processes in (None, 2):
        with tempfile.TemporaryDirectory() as tmp:
            before = _loadavg()
            argv = ["load", "--target", "mock", "--scenario", "chat", "--directive", "",
                    "--users", str(args.users), "--duration", args.duration]
            if processes:
                argv += ["--processes", str(processes)]
            summary = _run(argv, Path(tmp), timeout=600)
            cpu = [p["cpu_percent"]["p50"] for p in summary["client_health"]["processes"].values()]
            rows.append((processes or 1, summary["throughput"]["requests_per_s"],
                         summary["latency_ms"]["e2e"]["p50"], summary["requests"]["failed"],
                         "/".join(f"{c:.0f}" for c in cpu), before))
    print("\n| load processes | requests/s | e2e p50 ms | failed | load CPU % p50 | before |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]:,.0f} | {row[2]:.2f} | {row[3]} | {row[4]} | {row[5]} |")


def guidellm(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(_loadavg())
        summary = _run(["load", "--target", "mock", "--scenario", "rate", "--rate", "100",
                        "--directive", "ttft=100 itl=10 tokens=64", "--duration", args.duration,
                        "--warmup", "2s"], Path(tmp), timeout=600)
        lat = summary["latency_ms"]
        print(f"ttft p50 {lat['ttft']['p50']} ms (true 100), ttft from intended p50 "
              f"{lat['ttft_from_intended']['p50']} ms, itl p50 {lat['itl']['p50']} ms (true 10),"
              f" sent {summary['open_loop']['send_rate_per_s']} req/s (target 100), completed "
              f"{summary['throughput']['requests_per_s']} req/s")
        print(_loadavg())


MODEL = "ttft=100 itl=10 tokens=64"  # issue 15's side-by-side model


def overhead(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        calibration = str(Path(tmp) / "calibration.json")
        print(_loadavg())
        _run(["calibrate", "--users", "20", "--duration", args.duration, "--warmup", "2s",
              "--ttft-ms", "100", "--itl-ms", "10", "--tokens", "64", "--calibration",
              calibration], Path(tmp), timeout=600)
        rows = []
        for target, users in (("mock", args.users), ("reference", 1), ("reference", args.users)):
            before = _loadavg()
            summary = _run(["load", "--target", target, "--users", str(users), "--duration",
                            args.duration, "--warmup", "2s", "--directive", MODEL,
                            "--calibration", calibration], Path(tmp), timeout=600)
            own = summary["overhead"]
            rows.append((target, users, *(own[k][p] for k in ("ttft", "itl", "e2e")
                                          for p in ("p50", "p99")), own["matched"], before))
        print("\n| target | streams | overhead ttft p50 / p99 ms | itl p50 / p99 ms | "
              "e2e p50 / p99 ms | n | before |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]:.2f} / {r[3]:.2f} | {r[4]:.3f} / {r[5]:.3f} | "
                  f"{r[6]:.2f} / {r[7]:.2f} | {r[8]} | {r[9]} |")


def slo(args: argparse.Namespace) -> None:
    import time

    with tempfile.TemporaryDirectory() as tmp:
        print(_loadavg())
        started = time.monotonic()
        summary = _run(["load", "--target", "reference", "--scenario", "capacity",
                        "--users", str(args.users), "--duration", args.duration,
                        "--step-duration", "10s", "--directive", MODEL], Path(tmp),
                       timeout=900)
        wall = time.monotonic() - started
        capacity = summary["capacity"]
        print(f"\nwall {wall:.0f} s (cap {capacity['cap_s']:g} s); {capacity['result']}")
        print(_loadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=("accuracy", "capacity", "guidellm", "overhead", "slo"))
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--duration", default=None)
    args = parser.parse_args()
    if args.which == "accuracy":
        args.users, args.duration = args.users or 100, args.duration or "30s"
        accuracy(args)
    elif args.which == "guidellm":
        args.duration = args.duration or "20s"
        guidellm(args)
    elif args.which == "overhead":
        args.users, args.duration = args.users or 100, args.duration or "20s"
        overhead(args)
    elif args.which == "slo":
        args.users, args.duration = args.users or 512, args.duration or "3m"
        slo(args)
    else:
        args.users, args.duration = args.users or 50, args.duration or "20s"
        capacity(args)


if __name__ == "__main__":
    main()
