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
    # Locust's Aggregated row (the UI's requests/s) counts requests once, not once per row
    # (both rows from the one CSV: it is rewritten once a second, the JSON at the end)
    rows = {tuple(r[:2]): r for r in (line.split(",") for line in (
        run_dir / "locust_stats.csv").read_text().splitlines())}
    post, aggregated = rows[("POST", "/v1/chat/completions (stream)")], rows[("", "Aggregated")]
    assert (aggregated[2], aggregated[9]) == (post[2], post[9])  # requests, requests/s
    # the mock behind the proxy timed every request: the overhead covers all of them
    gateway = summary["overhead"]
    assert gateway["matched"] == summary["requests"]["ok"]
    assert gateway["unmatched"] == 0
    assert gateway["mock"]["ttft"]["p50"] >= 50  # the mock's own first token: its directive
    assert set(gateway) >= {"ttft", "itl", "e2e", "added", "floor_ms"}
    assert summary["run"]["mock_timings"]["lost"] == 0
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
    calibration = tmp_path / "calibration.json"
    code = main(["calibrate", "--ttft-ms", "30", "--itl-ms", "5", "--tokens", "10",
                 "--users", "3", "--duration", "3s", "--warmup", "1s", "--out", str(tmp_path),
                 "--calibration", str(calibration)])
    lines = capsys.readouterr().out.splitlines()
    assert code == _calibration_verdict(lines, "openai")
    record = orjson.loads(calibration.read_bytes())
    assert set(record["floor_ms"]) == {"ttft", "itl", "e2e"}
    assert record["users"] == 3
    rows = {line.split()[0] + " " + line.split()[1]: line.split() for line in lines
            if line.startswith(("ttft ms", "itl ms", "e2e ms", "rate /s"))}
    assert set(rows) == {"ttft ms", "itl ms", "e2e ms", "rate /s"}
    assert float(rows["ttft ms"][2]) == 30.0  # the true value
    assert 28 <= float(rows["ttft ms"][3]) <= 90  # the measured p50, generous
    assert float(rows["e2e ms"][2]) == 30.0 + 9 * 5


def _calibration_verdict(lines: list[str], surface: str) -> int:
    """The exit code calibrate's verdict lines call for (their verdicts are timing, never
    asserted; that each was judged and that the exit code follows them is not)."""
    accuracy = [line for line in lines if line.startswith("gatecheck: accuracy: ")]
    assert [line.split()[2] for line in accuracy] == ["ttft", "itl"]
    check = next(line for line in lines if "overhead self-check" in line)
    assert check.startswith("gatecheck: overhead self-check: added ttft p50 ")
    within = [" within ±" in line for line in accuracy] + ["(within 1 ms of 0)" in check]
    final = lines[-1]
    assert final.startswith(f"gatecheck: calibration on {surface}: ")
    assert final.endswith("passed") == all(within)
    return 0 if all(within) else 1


def test_calibrate_judges_the_responses_surface_against_the_model(tmp_path, capsys):
    calibration = tmp_path / "calibration.json"
    code = main(["calibrate", "--surface", "responses", "--ttft-ms", "30", "--itl-ms", "5",
                 "--tokens", "10", "--users", "3", "--duration", "3s", "--warmup", "1s",
                 "--out", str(tmp_path), "--calibration", str(calibration)])
    lines = capsys.readouterr().out.splitlines()
    assert code == _calibration_verdict(lines, "responses")
    bounds = {line.split()[2]: line.rsplit("±", 1)[1] for line in lines
              if line.startswith("gatecheck: accuracy: ")}
    assert bounds == {"ttft": "2.00 ms (1 % or 2 ms, the larger)",
                      "itl": "0.20 ms (1 % or 0.2 ms, the larger)"}
    rows = {line.split()[0]: line.split() for line in lines
            if line.startswith(("ttft ms", "itl ms", "e2e ms"))}
    assert [float(rows[k][2]) for k in ("ttft", "itl", "e2e")] == [30.0, 5.0, 75.0]
    run_id = next(p.name for p in tmp_path.iterdir() if p.name.endswith("-calibrate"))
    summary = orjson.loads((tmp_path / run_id / "load" / "summary.json").read_bytes())
    assert summary["run"]["surface"] == "responses"
    assert summary["requests"]["failed"] == 0
    assert summary["tokens"]["output_tokens"]["p50"] == 10  # Responses usage, not events
    assert orjson.loads(calibration.read_bytes())["surface"] == "responses"


def test_stream_on_the_responses_surface_against_the_embedded_default(tmp_path):
    code, summary, run_dir = _load(tmp_path, "--surface", "responses", "--duration", "2s",
                                   "--users", "3", "--directive", "ttft=30 itl=5 tokens=12")
    assert code == 0
    assert summary["run"]["label"] == "reference"
    assert summary["run"]["surface"] == "responses"
    assert summary["requests"]["failed"] == 0
    assert summary["requests"]["ok"] >= 3
    lat = summary["latency_ms"]
    assert 25 <= lat["ttft"]["p50"] <= 150  # the first response.output_text.delta
    assert 3 <= lat["itl"]["p50"] <= 15
    assert summary["tokens"]["output_tokens"]["p50"] == 12
    assert summary["tokens"]["content_events"]["p50"] == 12
    assert summary["tokens"]["usage_missing"] == 0
    gateway = summary["overhead"]  # the mock behind the proxy timed every request
    assert gateway["matched"] == summary["requests"]["ok"]
    assert gateway["unmatched"] == 0
    counts = _locust_counts(run_dir)
    assert counts[("LLM", "ttft")] == summary["requests"]["ok"]
    assert any(path.startswith("/v1/responses") for _, path in counts)


def _served_mock():
    from gatecheck.mock import MockConfig, create_app
    from tests.mock.conftest import ServedApp

    return ServedApp(create_app(MockConfig()))


def test_a_base_url_without_v1_stops_the_run_with_one_line(tmp_path, capsys):
    with _served_mock() as mock:  # http://host:port, not .../v1: every route is a 404
        started = time.monotonic()
        code, summary, _ = _load(tmp_path, "--target", "mock", "--base-url",
                                 f"mock={mock.url}", "--duration", "30s", "--users", "4")
    assert code == 1
    assert time.monotonic() - started < 25  # stopped, not run for its 30 s
    out = capsys.readouterr().out
    line = (f"gatecheck: error: stopped after the first 20 requests: every one answered 404 "
            f"to POST {mock.url}/chat/completions; the route does not exist there: is the "
            "base URL missing /v1?")
    assert line in out.splitlines()
    assert summary["run"]["stopped"] in line
    assert summary["requests"]["total"] < 2000  # not the hundred thousand of a full run


def test_a_hanging_target_says_what_happened(tmp_path, capsys):
    code, summary, _ = _load(tmp_path, "--target", "mock", "--duration", "2s", "--users", "3",
                             "--directive", "fault=hang hold_ms=30000")
    assert code == 1
    assert summary["requests"]["total"] == 0
    assert summary["requests"]["unfinished_at_stop"] == {"waiting_for_headers": 3}
    first = capsys.readouterr().out.splitlines()[1]
    assert first == ("gatecheck: no request finished: 3 were still waiting for the target (3 "
                     "without response headers) when the run stopped after 2 s; it accepted "
                     "the connections but never answered")


def test_capacity_search_ends_within_its_cap_and_names_a_load(tmp_path, capsys):
    started = time.monotonic()
    code, summary, _ = _load(tmp_path, "--target", "mock", "--scenario", "capacity",
                             "--users", "4", "--step-duration", "2s", "--duration", "30s",
                             "--directive", "ttft=20 itl=5 tokens=5",
                             "--slo", "ttft.p99<5s,error_rate<1%")
    assert time.monotonic() - started < 60
    assert code == 0
    capacity = summary["capacity"]
    assert capacity["slo"] == ["ttft.p99<5000ms", "error_rate<1%"]
    assert [s["users"] for s in capacity["steps"]] == [1, 2, 4]  # doubling to the ceiling
    assert all(s["met"] and s["ok"] > 0 for s in capacity["steps"])
    assert capacity["result"]["users"] == 4
    assert all(s["overhead_ms"]["ttft"]["count"] > 0 for s in capacity["steps"])
    out = capsys.readouterr().out
    assert "gatecheck: capacity at ttft.p99<5000ms and error_rate<1%: 4 concurrent users" in out


def test_web_with_a_duration_starts_and_stops_by_itself(tmp_path):
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, "-m", "gatecheck", "load", "--target", "mock", "--web",
            "--web-port", str(port), "--duration", "4s", "--users", "2",
            "--directive", "ttft=20 itl=5 tokens=5", "--out", str(tmp_path)]
    log = tmp_path / "output.txt"
    with log.open("wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    seen: list[dict] = []
    try:
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/stats/requests", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            seen.append(stats)
            time.sleep(0.5)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    output = log.read_text()
    assert code == 0, output
    assert "(the test starts now and stops at the duration)" in output
    running = [s for s in seen if s.get("state") == "running"]
    assert running, seen  # the UI was up while the test ran, started without a click
    assert max(s["user_count"] for s in running) == 2
    # the gatecheck tab's rows: the client's exact figures and, live, the target's overhead
    figures = {row["figure"] for s in seen for table in s.get("extended_stats", [])
               for row in table["data"]}
    assert {"ttft (client)", "overhead ttft (target's own)",
            "overhead itl (target's own)"} <= figures, figures
    run_id = (tmp_path / "latest.txt").read_text().strip()
    summary = orjson.loads((tmp_path / run_id / "load" / "summary.json").read_bytes())
    assert summary["requests"]["ok"] > 0
    assert summary["run"]["run_time_s"] == 4
    assert summary["run"]["users"] == 2


def test_the_hostile_gateway_cannot_pass_a_load_run(tmp_path, capsys):
    # tests/apps/hostile.py (issue 12): megabytes of headers, an API that never answers, a
    # route that is a 404: none passes, each says what happened in one line.
    from tests.apps.hostile import serve

    def run(mode: str, *argv: str) -> tuple[int, dict[str, Any], str]:
        with serve(mode, max_seconds=30) as server:
            code, summary, _ = _load(tmp_path / mode, "--target", "mock", "--base-url",
                                     f"mock={server.url}/v1", "--duration", "2s",
                                     "--users", "2", *argv)
        return code, summary, capsys.readouterr().out

    code, summary, _ = run("huge-headers", "--scenario", "chat")
    assert code == 1
    assert summary["requests"]["ok"] == 0
    assert any("response headers past 256 lines or 64 KiB" in e
               for e in summary["requests"]["errors"])
    code, summary, out = run("stall")
    assert code == 1
    assert summary["requests"]["unfinished_at_stop"] == {"waiting_for_headers": 2}
    assert "no request finished: 2 were still waiting for the target" in out
    code, summary, out = run("not-found-first", "--duration", "30s")
    assert code == 1
    assert "every one answered 404 to POST" in out
    assert summary["requests"]["total"] < 2000
