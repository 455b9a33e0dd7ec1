"""How long rendering report.html takes, and how big it gets, as runs grow.

Usage: ``.venv/bin/python benchmarks/bench_report.py`` (a few seconds). Synthetic inputs:
N checks (every 10th failing, with a 4 KiB exchange) and a ramp load run of S samples
written to a temporary run directory, then ``gatecheck.report.write_report``: the
same path ``gatecheck run``/``load``/``report`` take (reading, redacting, rendering, writing).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from gatecheck.load import Sample, summarize, write_samples
from gatecheck.report import write_report

STARTED = 1795256100.0


def _records(n: int) -> list[dict]:
    body = "x" * 4000
    out = []
    for i in range(n):
        failed = i % 10 == 0
        out.append({
            "run_id": "20261121T101500Z-bench", "target": "bench",
            "target_url": "http://127.0.0.1:8080/v1", "check_id": f"W-{i}", "level": "MUST",
            "category": ("Completions", "Streaming", "Errors")[i % 3], "title": f"check {i}",
            "test": f"suites/test_x.py::test_{i}[bench]",
            "outcome": "failed" if failed else "passed", "duration_s": 0.01,
            "started_at": "2026-11-21T10:15:00.000Z", "profile": "sdk-compat",
            "message": "m" if failed else None, "expected": "e" if failed else None,
            "observed": "o" if failed else None, "warnings": [],
            "exchange": {"method": "POST", "url": "http://127.0.0.1:8080/v1/chat/completions",
                         "status": 500, "duration_ms": 1.0, "error": None, "stream": False,
                         "request_headers": [["content-type", "application/json"]],
                         "request_body": body, "response_headers": [], "response_body": body,
                         "curl": "curl -sS http://127.0.0.1:8080/v1/chat/completions"}
            if failed else None})
    return out


def _load(root: Path, n: int) -> None:
    rng = random.Random(1)
    samples = [Sample(t=STARTED + i * 600 / n, kind="stream", ok=True, status=200,
                      ttfb=5.0, ttft=100 + rng.random() * 50, itl=20.0, e2e=1000.0,
                      out_tokens=50, in_tokens=10, events=50, bursts=50, node="a")
               for i in range(n)]
    stages = [{"stage": k, "users": 4 * (k + 1), "start_s": 120.0 * k, "end_s": 120.0 * (k + 1)}
              for k in range(5)]
    summary = summarize(samples, run={"scenario": "ramp", "started": "2026-11-21T10:15:00Z"},
                        stages=stages, started=STARTED)
    (root / "load").mkdir(parents=True)
    write_samples(root / "load" / "samples.jsonl", samples)
    (root / "load" / "summary.json").write_text(json.dumps(summary))


def main() -> None:
    print("| checks | samples | render s | report.html KiB | peak MiB |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for checks, samples in ((100, 1_000), (1_000, 10_000), (1_000, 100_000)):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "20261121T101500Z-bench"
            root.mkdir()
            with (root / "results.jsonl").open("w") as f:
                f.writelines(json.dumps(r) + "\n" for r in _records(checks))
            _load(root, samples)
            start = time.perf_counter()
            write_report(root, ("html",))
            took = time.perf_counter() - start
            tracemalloc.start()  # a second pass for memory: tracing slows Python down
            write_report(root, ("html",))
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            size = (root / "report.html").stat().st_size / 1024
            print(f"| {checks:,} | {samples:,} | {took:.2f} | {size:,.0f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
