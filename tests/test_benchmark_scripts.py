"""The in-process micro-benchmarks still run against today's APIs (figures are not judged).

Benchmarks are not timed tests; this only keeps the scripts from rotting as the code under
them changes (a renamed argument once broke bench_translate.py silently).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", ["bench_sse.py", "bench_translate.py", "bench_client.py"])
def test_micro_benchmark_runs(script):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--seconds", "0.05"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "/s" in proc.stdout  # each prints a rate per case


def test_hostile_benchmark_parses_its_arguments():
    # bench_hostile.py runs whole `gatecheck run`s for minutes: only its command line is
    # checked here (its modes come from tests/apps/hostile.py, so a renamed mode fails).
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_hostile.py"), "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "gzip-bomb" in proc.stdout
