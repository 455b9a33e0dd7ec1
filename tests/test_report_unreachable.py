"""A target that never answered: its checks are inconclusive, said once, not failures."""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

from gatecheck.report import RunMeta, load_run, render_markdown
from gatecheck.report.html import render_html

DATA = Path(__file__).parent / "data" / "report"
WHY = "TargetUnreachableError: [Errno 111] Connection refused"
TRIED = "http://127.0.0.1:9"
REASON = f"target 'reference' unreachable at {TRIED}: {WHY}"


def _unreachable(tmp_path: Path) -> list[dict]:
    path = tmp_path / "20261121T101500Z-reference"
    shutil.copytree(DATA / "run_a", path)
    records, _, _ = load_run(path)
    return [{**r, "outcome": "inconclusive", "exchange": None, "expected": None,
             "observed": None, "warnings": [], "message": REASON} for r in records]


def test_markdown_says_once_why_nothing_could_be_judged(tmp_path):
    records = _unreachable(tmp_path)
    md = render_markdown(records, RunMeta.from_results(records))
    assert "**Overall status:** ❔ INCONCLUSIVE" in md
    assert "No defect found" in md  # an unreachable target is no finding about the gateway
    inconclusive = md.split("## Inconclusive")[1].split("\n## ")[0]
    assert inconclusive.count(REASON) == 1
    assert "(24 checks:" in inconclusive
    assert "❌" not in md.split("## Detailed results")[0]


def test_html_lists_the_reason_once_and_marks_the_checks_inconclusive(tmp_path):
    records = _unreachable(tmp_path)
    html = render_html(records, RunMeta.from_results(records))
    section = html.split('<section id="inconclusive">')[1].split("</section>")[0]
    assert section.count(escape(REASON)) == 1
    assert html.count('data-outcome="inconclusive"') == 24
    assert 'id="findings"' in html
    assert "No defect found" in html


def test_a_reachable_failure_beside_is_a_finding_of_its_own(tmp_path):
    records = _unreachable(tmp_path)
    other = {**records[0], "target": "litellm", "target_url": "http://127.0.0.1:4000/v1",
             "outcome": "failed", "check_id": "AUTH-1", "message": "got 200 without a key",
             "test": "suites/test_auth.py::test_a[litellm]"}
    md = render_markdown([*records, other], RunMeta.from_results([*records, other]))
    findings = md.split("## Findings")[1].split("## Executive summary")[0]
    assert "1 defect, witnessed by 1 failed check" in findings
    assert "got 200 without a key" in findings
    assert REASON not in findings
