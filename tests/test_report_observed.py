"""What the checks saw: observations reach results, and the report shows them measured.

Unit side: `gatecheck.report._observed` turns records into the model list, token table,
timed-request percentiles and one example exchange per category. End to end: a run on the
embedded reference writes the observations of MOD-1, TOK-* and PERF-1 to results.jsonl and
both reports show them.
"""

from __future__ import annotations

import json

import pytest

from gatecheck.checks import collect_observations, observe
from gatecheck.cli import main
from gatecheck.report._observed import MODELS_SHOWN, observed
from gatecheck.report._view import _check


def _record(check_id, outcome="passed", observations=None, exchange=None, n=1):
    return _check({"check_id": check_id, "outcome": outcome, "target": "t", "level": "MUST",
                   "title": "x", "category": "Models",
                   "test": f"suites/test_x.py::test_{check_id.lower()}_{n}[t]",
                   "observations": observations or {}, "exchange": exchange}, f"check-{n}")


def _exchange(status, body, *, size=None, truncated=False):
    return {"method": "POST", "url": "http://127.0.0.1:1/v1/chat/completions",
            "status": status, "duration_ms": 3.0, "request_body": '{"model":"m"}',
            "response_body": body, "response_bytes": size or len(body),
            "response_truncated": truncated, "request_headers": [], "response_headers": []}


def test_observe_records_only_inside_a_check_and_the_last_value_wins():
    observe("ignored", 1)  # outside a run: nothing, and no error
    with collect_observations() as seen:
        observe("models", ["a"])
        observe("models", ["a", "b"])
    observe("after", 2)
    assert seen == {"models": ["a", "b"]}


def test_percentiles_interpolate_and_a_missing_time_is_not_zero():
    rows = [{"stream": False, "status": 200, "e2e_ms": float(v), "ttfb_ms": float(v) / 2}
            for v in (10, 20, 30, 40, 50)]
    rows += [{"stream": True, "status": 200, "e2e_ms": 5.0, "ttft_ms": None},
             {"stream": True, "status": 502, "e2e_ms": 7.0, "ttft_ms": 3.0}]
    seen = observed([_record("PERF-1", observations={
        "timings": {"surface": "openai", "requests": rows}})])
    plain, stream = seen.timings
    assert (plain.kind, plain.count, plain.succeeded) == ("plain", 5, 5)
    assert plain.e2e == ("30.0", "46.0", "50.0")  # p90 between 40 and 50 at 0.6
    assert plain.first == ("15.0", "23.0", "25.0")
    assert plain.first_name == "ttfb"
    assert (stream.count, stream.succeeded, stream.first_name) == (2, 1, "ttft")
    assert stream.first == ("3.0", "3.0", "3.0")  # the None is left out, not counted as 0


def test_model_lists_are_cut_with_the_count_said():
    ids = [f"m{i}" for i in range(200)]
    seen = observed([_record("MOD-1", observations={"models": {"ids": ids, "count": 1000}})])
    (listing,) = seen.models
    assert len(listing.ids) == MODELS_SHOWN
    assert listing.left_out == 1000 - MODELS_SHOWN


def test_token_rows_follow_sources_and_dash_what_the_wire_lacks():
    usage = {"wire": "anthropic", "stream": {"input": 3, "output": 4, "total": None},
             "response": {"input": 3, "output": 4, "total": None, "cache_read": True},
             "upstream": "not a row"}
    seen = observed([_record("TOK-5", observations={"usage": usage})])
    assert [(r.source, r.input, r.output, r.total, r.cached) for r in seen.tokens] == [
        ("response body", 3, 4, "-", "-"), ("stream", 3, 4, "-", "-")]


def test_the_example_prefers_a_passed_check_and_says_when_it_is_cut():
    bad = _record("MOD-1", "failed", exchange=_exchange(500, "{}"), n=1)
    cut = _exchange(200, "data: x\n\n" * 200, size=123456, truncated=True)
    good = _record("MOD-2", exchange=cut, n=2)
    no_answer = _record("MOD-3", exchange={"method": "GET", "url": "u", "status": None}, n=3)
    example = observed([bad, no_answer, good]).example
    assert example.check_id == "MOD-2"
    assert example.response_body.endswith("… (an excerpt of 123456 bytes)")
    assert example.response_lang == "text"
    assert observed([no_answer]).example is None
    assert observed([bad]).example.outcome == "failed"
    assert not observed([no_answer])


@pytest.mark.slow
def test_a_run_writes_observations_and_both_reports_show_them(tmp_path, capsys):
    code = main(["run", "--out", str(tmp_path), "--check", "MOD-1", "--check", "TOK-1",
                 "--check", "PERF-1", "--check", "ERR-1"])
    capsys.readouterr()
    assert code == 0
    lines = [json.loads(x) for x in (tmp_path / "latest" / "results.jsonl").read_text().split("\n")
             if x.strip()]
    seen = {r["test"].split("::")[1].split("[")[0]: r.get("observations") for r in lines}
    assert seen["test_mod1_openai_list"]["models"]["count"] >= 1
    upstream = seen["test_tok1_ground_truth_openai"]["usage"]["upstream"]
    assert upstream["input"] == seen["test_tok1_ground_truth_openai"]["usage"]["response"]["input"]
    assert len(seen["test_perf1_timed_openai"]["timings"]["requests"]) == 10
    md = (tmp_path / "latest" / "report.md").read_text()
    html = (tmp_path / "latest" / "report.html").read_text()
    for text in ("**Models returned** (MOD-1", "**Token figures**", "**Timed requests**",
                 "**Example exchange** (ERR-1"):
        assert text in md
    for text in ('id="observed"', "Models returned", "Token figures", "Timed requests",
                 "Example exchange"):
        assert text in html
