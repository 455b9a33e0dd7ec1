"""The Markdown report: pinned with a snapshot for a fixed results.jsonl, plus its rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from gatecheck.cli import main
from gatecheck.report import RunMeta, Tally, overall_status, render_markdown, tally
from gatecheck.report._model import check_sort_key
from gatecheck.results import read_results

SAMPLE = Path(__file__).parent / "data" / "results_sample.jsonl"


class MarkdownSnapshot(SingleFileSnapshotExtension):
    """One reviewable .md file per snapshot instead of an .ambr blob."""

    _write_mode = WriteMode.TEXT
    file_extension = "md"


@pytest.fixture
def sample() -> list[dict]:
    return [result.to_json() for result in read_results(SAMPLE)]


def test_report_matches_snapshot(sample, snapshot):
    text = render_markdown(sample, RunMeta.from_results(sample))
    assert text == snapshot(extension_class=MarkdownSnapshot)


def test_render_is_pure_and_order_independent(sample):
    meta = RunMeta.from_results(sample)
    assert render_markdown(sample, meta) == render_markdown(list(reversed(sample)), meta)


def test_meta_comes_from_results_only(sample):
    meta = RunMeta.from_results(sample)
    assert meta.run_id == "20261121T101500Z-reference"
    assert meta.started_at == "2026-11-21T10:15:00.000Z"
    assert meta.duration_s == pytest.approx(9.25)  # 10:15:00 -> 10:15:08 + 1.25 s
    assert meta.targets == (("reference", "http://127.0.0.1:8080/v1"),)
    assert meta.profile == "sdk-compat"


def test_header_status_is_fail_when_a_must_check_failed(sample):
    text = render_markdown(sample, RunMeta.from_results(sample))
    assert "**Overall status:** ❌ FAIL" in text
    assert "curl -sS -X POST" in text  # the failure carries its reproduction


def _rec(outcome: str, level: str = "MUST") -> dict:
    return {"outcome": outcome, "level": level, "category": "Health", "check_id": "HEALTH-1"}


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([_rec("passed"), _rec("failed", "MUST")], "❌ FAIL"),
        ([_rec("passed"), _rec("failed", "SHOULD")], "⚠️ PASS WITH FAILURES"),
        # a fixed known deviation fails the run at any level, so the verdict says FAIL too
        ([_rec("passed"), {**_rec("failed", "SHOULD"),
                           "message": "known deviation no longer reproduces (x): ...",
                           "stale": True}],
         "❌ FAIL"),
        ([_rec("passed"), _rec("warned")], "⚠️ PASS WITH WARNINGS"),
        ([_rec("passed"), _rec("xfailed"), _rec("skipped")], "✅ PASS"),
        ([_rec("skipped")], "NO CHECKS RAN"),
    ],
)
def test_overall_status_is_computed_from_outcomes(outcomes, status):
    assert overall_status(tally(outcomes)) == status


def test_category_status_says_what_happened():
    assert tally([_rec("xfailed"), _rec("skipped")]).status() == "🔶 KNOWN DEVIATIONS"
    assert tally([_rec("skipped")]).status() == "⏭️ SKIPPED"
    assert tally([_rec("passed"), _rec("failed", "MAY")]).status() == "⚠️ WARN"


def test_success_rate_counts_only_judged_checks():
    counts = tally([_rec("passed"), _rec("warned"), _rec("failed"), _rec("skipped"),
                    _rec("xfailed")])
    assert (counts.judged, counts.total) == (3, 5)
    assert counts.success_rate() == "66.7% (2/3)"
    assert Tally().success_rate() == "n/a"


def test_checks_sort_by_category_then_natural_id():
    ids = ["STR-O10", "STR-O2", "W-10", "W-2"]
    records = [{"check_id": i, "category": "Streaming" if i.startswith("STR") else "Completions",
                "level": "MUST"} for i in ids]
    ordered = [r["check_id"] for r in sorted(records, key=check_sort_key)]
    assert ordered == ["W-2", "W-10", "STR-O2", "STR-O10"]


def test_report_command_re_renders_from_results(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(SAMPLE, run_dir / "results.jsonl")
    assert main(["report", str(run_dir)]) == 0
    text = (run_dir / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# gatecheck conformance report: reference")
    assert "report.md (9 checks)" in capsys.readouterr().out


def test_report_command_on_a_directory_without_results_is_a_usage_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no results.jsonl" in capsys.readouterr().err


def test_report_command_names_the_bad_line(tmp_path, capsys):
    good = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "results.jsonl").write_text(good + "\n{oops\n")
    assert main(["report", str(tmp_path)]) == 2
    assert "results.jsonl:2: not JSON" in capsys.readouterr().err


def test_report_command_names_the_record_that_breaks_the_contract(tmp_path, capsys):
    (tmp_path / "results.jsonl").write_text(json.dumps({"outcome": "passed"}) + "\n")
    assert main(["report", str(tmp_path)]) == 2
    assert "results.jsonl:1: the record: 'target' is a required property" in (
        capsys.readouterr().err)


@pytest.mark.parametrize(("selection", "why"), [
    (["-k", "zzznomatch"], "the selection -k zzznomatch matched none of the checks the suites "
                           "hold for target mock"),
    (["--check", "W-1", "--check", "W-2"], "the selection --check W-1 --check W-2 matched none"),
    ([], "the suites held no check for target mock"),
])
def test_a_run_where_no_check_ran_says_so_in_both_reports(tmp_path, capsys, selection, why):
    # `gatecheck run -k zzznomatch` (exit 3) leaves an empty results.jsonl and its run.json:
    # the reports say what happened, why, and the command, instead of being empty.
    command = ["gatecheck", "run", "--target", "mock", "--profile", "strict", *selection]
    (tmp_path / "results.jsonl").write_text("")
    (tmp_path / "run.json").write_text(json.dumps({"command": command, "pytest": []}))
    assert main(["report", str(tmp_path)]) == 0
    capsys.readouterr()
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**Overall status:** NO CHECKS RAN" in markdown
    assert "## No check ran" in markdown
    assert "**Profile:** strict" in markdown
    assert "## Findings" not in markdown  # no empty tables, no "No defect found"
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No defect found" not in page
    rerun = " ".join(command)
    for text in (markdown, page):
        assert why in " ".join(text.split())
        assert "exits 3 (inconclusive)" in text
        assert rerun in text


def test_a_multi_target_report_has_a_row_per_target(sample):
    other = [dict(r, target="other", target_url="http://127.0.0.1:9999/v1",
                  outcome="skipped", message="set $OTHER_KEY to run target 'other'")
             for r in sample]
    records = sample + other
    text = render_markdown(records, RunMeta.from_results(records))
    assert "| `other` | ⏭️ SKIPPED | n/a | 0 | 0 | 0 | 9 | 0 | 0 |" in text
    assert "| `reference` | ❌ FAIL | 71.4% (5/7) | 4 | 2 | 1 | 1 | 1 | 0 |" in text
    assert "| Check | Variant | Target | Level | Title | Outcome | Time |" in text


def test_counted_nouns_take_their_plural():
    from gatecheck.report._format import plural

    assert plural(1, "more witness") == "1 more witness"
    assert plural(5, "more witness") == "5 more witnesses"
    assert plural(2, "check") == "2 checks"
    assert plural(0, "failed case") == "0 failed cases"
