"""The run comparison's verdict: new failures, MUST rises, other targets, verdict flips."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from gatecheck.report import load_run
from gatecheck.report.compare import (
    _headline,
    compare,
    render_comparison_html,
    render_comparison_markdown,
)
from gatecheck.report.performance import LoadRun

DATA = Path(__file__).parent / "data" / "report"


@pytest.fixture
def run_a(tmp_path) -> Path:
    path = tmp_path / "20261121T101500Z-reference"
    shutil.copytree(DATA / "run_a", path)
    return path


def _as_target(records, name):
    return [{**r, "target": name, "target_url": "http://127.0.0.1:4000/v1",
             "test": r["test"].replace("[reference]", f"[{name}]")} for r in records]


def test_a_run_of_another_target_is_matched_by_check_and_flagged(run_a):
    records, meta, _ = load_run(run_a)
    other = _as_target(records, "litellm")
    # the other gateway fails every check that passed at MUST level
    other = [{**r, "outcome": "failed"} if r["level"] == "MUST" and r["outcome"] == "passed"
             else r for r in other]
    from gatecheck.report import RunMeta

    result = compare(records, other, meta, RunMeta.from_results(other))
    assert result.targets_differ
    assert result.unchanged > 0  # matched check by check, not all "new" + "removed"
    assert not result.of_kind("new", "removed")
    status, line = _headline(result)
    assert status == "regressed"
    must_before, must_after = result.must_failures()
    assert must_after > must_before
    assert f"MUST failures {must_before} -> {must_after}" in line
    md = render_comparison_markdown(result)
    assert "**Verdict:** REGRESSED" in md
    assert "> ⚠️ **Different targets.** The runs tested different targets (before: " \
           "reference; after: litellm)." in md
    html = render_comparison_html(result)
    assert '<div class="ev warn" role="alert"><b>Different targets.</b>' in html
    assert "<strong>REGRESSED</strong>" in html


def test_a_new_check_that_fails_at_must_or_should_is_a_regression(run_a):
    records, meta, _ = load_run(run_a)
    extra = {**records[0], "check_id": "NEW-1", "test": "suites/test_new.py::test_n[reference]"}
    for level, kind, status in (("MUST", "regressed", "regressed"),
                                ("SHOULD", "regressed", "regressed"),
                                ("MAY", "new", "same")):
        after = [*records, {**extra, "level": level, "outcome": "failed"}]
        result = compare(records, after, meta, meta)
        assert [c.kind for c in result.changes] == [kind]
        assert _headline(result)[0] == status
        assert not result.targets_differ
    passing = compare(records, [*records, {**extra, "outcome": "passed"}], meta, meta)
    assert [c.kind for c in passing.changes] == ["new"]
    assert "Different targets" not in render_comparison_markdown(passing)


def test_buffering_and_client_health_flips_are_listed(run_a):
    records, meta, load = load_run(run_a)
    assert load is not None
    summary = copy.deepcopy(load.summary)
    summary["buffering"] = {**summary["buffering"], "suspected": True}
    summary["client_health"] = {**summary["client_health"], "ok": False}
    after = LoadRun(summary, load.points)
    result = compare(records, records, meta, meta, load, after)
    assert [(f.name, f.before, f.after, f.verdict) for f in result.flips] == [
        ("buffering", "not suspected", "suspected", "worse"),
        ("load generator", "healthy", "suspect", "worse")]
    status, line = _headline(result)
    assert status == "regressed"  # buffering counts; the load generator is not the gateway
    assert "1 performance figures worse" in line
    assert "buffering not suspected -> suspected" in line
    md = render_comparison_markdown(result)
    assert "| buffering | not suspected | suspected | - | - | worse |" in md
    assert "| load generator | healthy | suspect | - | - | worse |" in md
    # only the load generator flipped: listed, not a regression
    summary["buffering"] = load.summary["buffering"]
    only_client = compare(records, records, meta, meta, load, LoadRun(summary, load.points))
    assert _headline(only_client)[0] == "same"
    assert "load generator" in render_comparison_html(only_client)


@pytest.mark.parametrize(("group", "key", "value", "said"), [
    ("run", "users", 8, "users 16 -> 8"),
    ("run", "scenario", "chat", "scenario ramp -> chat"),
    ("run", "directive", "ttft=10", "directive [[mock ttft=120 itl=20]] -> ttft=10"),
    ("run", "surface", "anthropic", "surface openai -> anthropic"),
    ("open_loop", "rate_per_s", 20.0, "rate none -> 20"),
])
def test_load_runs_of_different_workloads_are_not_called_regressed(
        run_a, group, key, value, said):
    records, meta, load = load_run(run_a)
    assert load is not None
    slower = copy.deepcopy(load.summary)
    slower.setdefault(group, {})[key] = value
    for figures in slower["latency_ms"].values():  # every latency doubled: a real regression
        for stat in ("p50", "p90", "p99", "p99.9"):  # ... between runs of one workload
            if isinstance(figures.get(stat), int | float):
                figures[stat] *= 2
    slower["buffering"] = {**slower["buffering"], "suspected": True}
    result = compare(records, records, meta, meta, load, LoadRun(slower, load.points))
    assert said in result.workload
    status, line = _headline(result)
    assert status == "same"
    assert "performance NOT COMPARED: the load runs ran different workloads (" in line
    assert said in line
    assert {d.verdict for d in (*result.latency, *result.throughput)} == {"not comparable"}
    md = render_comparison_markdown(result)
    assert "| not comparable |" in md
    # the same runs with one workload: the doubled latency is a regression again
    slower.setdefault(group, {})[key] = (load.summary.get(group) or {}).get(key)
    if group == "open_loop" and load.summary.get(group) is None:
        del slower[group]
    again = compare(records, records, meta, meta, load, LoadRun(slower, load.points))
    assert again.workload == ()
    assert _headline(again)[0] == "regressed"
