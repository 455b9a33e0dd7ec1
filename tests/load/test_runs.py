"""Short headless Locust runs of every scenario against the mock on loopback.

Correctness, not speed: each run lasts a few seconds and its figures are checked against
the mock's latency model with generous bounds (the machine is shared and noisy).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from gatecheck.cli import main

pytestmark = pytest.mark.load


def _load(tmp_path: Path, *argv: str) -> tuple[int, dict[str, Any], Path]:
    code = main(["load", *argv, "--out", str(tmp_path)])
    run_id = (tmp_path / "latest.txt").read_text(encoding="utf-8").strip()
    run_dir = tmp_path / run_id / "load"
    # latest points at the run, as after `gatecheck run`
    assert (tmp_path / "latest" / "load").resolve() == run_dir.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([run_id, "latest", "latest.txt"])
    summary = orjson.loads((run_dir / "summary.json").read_bytes())
    return code, summary, run_dir


def _locust_counts(run_dir: Path) -> dict[tuple[str, str], int]:
    # Locust's final statistics (its CSV is rewritten once a second and may miss the end).
    stats = orjson.loads((run_dir / "locust_stats.json").read_bytes())
    assert (run_dir / "locust_stats.csv").is_file()
    return {(e["method"], e["name"]): e["num_requests"] for e in stats}


def test_stream_against_the_embedded_default(tmp_path):
    # No --target: the reference proxy over the mock, started for the run.
    code, summary, run_dir = _load(tmp_path, "--duration", "2s", "--users", "4",
                                   "--directive", "ttft=50 itl=10 tokens=20")
    assert code == 0
    assert summary["run"]["label"] == "reference"
    assert summary["run"]["workload"] == "closed"
    assert summary["requests"]["failed"] == 0
    assert summary["requests"]["ok"] >= 4
    lat = summary["latency_ms"]
    assert 45 <= lat["ttft"]["p50"] <= 150
    assert 8 <= lat["itl"]["p50"] <= 20
    assert 220 <= lat["e2e"]["p50"] <= 600
    assert lat["ttfb"]["p50"] < lat["ttft"]["p50"]
    assert summary["tokens"]["output_tokens"]["p50"] == 20  # usage, include_usage forced on
    assert summary["tokens"]["content_events"]["p50"] == 20
    assert summary["tokens"]["usage_missing"] == 0
    assert summary["buffering"]["suspected"] is False
    assert set(summary["definitions"]) >= {"ttft", "itl", "e2e", "percentiles", "buffering"}
    counts = _locust_counts(run_dir)
    for name in ("ttft", "itl", "e2e"):
        assert counts[("LLM", name)] == summary["requests"]["ok"]
    assert (run_dir / "locust.html").is_file()
    assert len((run_dir / "samples.jsonl").read_text().splitlines()) == summary["requests"]["total"]


def test_chat_on_the_anthropic_surface(tmp_path):
    code, summary, _ = _load(tmp_path, "--target", "mock", "--scenario", "chat",
                             "--surface", "anthropic", "--duration", "2s", "--users", "3",
                             "--directive", "ttft=20 itl=5 tokens=10")
    assert code == 0
    assert summary["run"]["scenario"] == "chat"
    assert summary["requests"]["failed"] == 0
    assert 60 <= summary["latency_ms"]["e2e"]["p50"] <= 300  # 20 + 9 * 5 = 65 ms
    assert summary["latency_ms"]["ttft"]["count"] == 0  # no stream, no ttft
    assert summary["tokens"]["output_tokens"]["p50"] == 10


def test_ramp_with_two_worker_processes_merges_every_sample(tmp_path):
    code, summary, run_dir = _load(tmp_path, "--target", "mock", "--scenario", "ramp",
                                   "--processes", "2", "--users", "4", "--steps", "2",
                                   "--duration", "3s", "--directive", "ttft=20 itl=5 tokens=10")
    assert code == 0
    assert summary["run"]["load_processes"] == 2
    stages = summary["stages"]
    assert [s["users"] for s in stages] == [2, 4]
    assert all(s["requests"] > 0 for s in stages)
    # Locust's own count of e2e events, shipped in the same worker reports as the samples.
    assert _locust_counts(run_dir)[("LLM", "e2e")] == summary["requests"]["ok"]


def test_open_loop_rate_on_anthropic_streams(tmp_path):
    code, summary, _ = _load(tmp_path, "--target", "mock", "--scenario", "rate", "--rate", "20",
                             "--arrival", "poisson", "--surface", "anthropic",
                             "--duration", "2s", "--directive", "ttft=20 itl=5 tokens=10")
    assert code == 0
    loop = summary["open_loop"]
    assert loop["arrival"] == "poisson"
    assert 10 <= loop["sent"] <= 100  # about 20/s over ~1.5 s of schedule
    assert 5 <= loop["send_rate_per_s"] <= 80  # Poisson at 20/s over a short run
    lat = summary["latency_ms"]
    assert lat["schedule_lag"]["count"] == summary["requests"]["total"]
    assert lat["ttft_from_intended"]["p50"] >= lat["ttft"]["p50"] - 1.0
    assert summary["tokens"]["output_tokens"]["p50"] == 10  # Anthropic usage, merged


def test_fake_streaming_is_flagged_as_buffering(tmp_path):
    code, summary, _ = _load(tmp_path, "--target", "mock", "--duration", "2s", "--users", "3",
                             "--directive", "ttft=30 itl=5 tokens=20 fault=fake-stream")
    assert code == 0
    assert summary["buffering"]["suspected"] is True
    assert summary["buffering"]["buffered_fraction"] == 1.0
    assert any("buffering suspected" in w for w in summary["warnings"])


def test_unreachable_target_counts_errors_and_ends_on_time(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    code, summary, _ = _load(tmp_path, "--target", "mock", "--base-url",
                             f"mock=http://127.0.0.1:{port}/v1", "--duration", "2s")
    assert time.monotonic() - started < 30
    assert code == 1  # nothing measured
    assert summary["requests"]["ok"] == 0
    assert summary["requests"]["failed"] > 0
    assert any("Refused" in e for e in summary["requests"]["errors"])


def test_calibrate_prints_measured_against_true(tmp_path, capsys):
    code = main(["calibrate", "--ttft-ms", "30", "--itl-ms", "5", "--tokens", "10",
                 "--users", "3", "--duration", "3s", "--warmup", "1s", "--out", str(tmp_path)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0] + " " + line.split()[1]: line.split() for line in lines
            if line.startswith(("ttft ms", "itl ms", "e2e ms", "rate /s"))}
    assert set(rows) == {"ttft ms", "itl ms", "e2e ms", "rate /s"}
    assert float(rows["ttft ms"][2]) == 30.0  # the true value
    assert 28 <= float(rows["ttft ms"][3]) <= 90  # the measured p50, generous
    assert float(rows["e2e ms"][2]) == 30.0 + 9 * 5
