"""A target that never answered: one "target unreachable" finding, not per-check advice."""

from __future__ import annotations

import shutil
from pathlib import Path

from gatecheck.report import RunMeta, load_run, render_markdown
from gatecheck.report._recommend import RECOMMENDATIONS
from gatecheck.report.html import render_html

DATA = Path(__file__).parent / "data" / "report"
WHY = "ConnectError: [Errno 111] Connection refused"
TRIED = "http://127.0.0.1:9"


def _unreachable(tmp_path: Path) -> list[dict]:
    path = tmp_path / "20261121T101500Z-reference"
    shutil.copytree(DATA / "run_a", path)
    records, _, _ = load_run(path)
    return [{**r, "outcome": "failed", "exchange": None, "expected": None, "observed": None,
             "warnings": [],
             "message": f"unreachable: target 'reference' unreachable at {TRIED}: {WHY}"}
            for r in records]


def test_markdown_gives_one_unreachable_finding_and_recommendation(tmp_path):
    records = _unreachable(tmp_path)
    md = render_markdown(records, RunMeta.from_results(records))
    assert md.count("#### ❌ Target unreachable: `reference`") == 1
    assert f"- URL tried: `{TRIED}`" in md
    assert f"- What happened: {WHY}" in md
    assert "#### ❌ AUTH-1" not in md  # no per-check findings without an exchange
    assert f"- ❌ Target `reference` was unreachable at `{TRIED}` ({WHY})" in md
    recommendations = md.split("## Recommendations")[1].split("## How to reproduce")[0]
    assert "| all 24 checks on reference | Target reference did not answer at " \
           f"{TRIED}: check that URL" in recommendations
    assert "that the gateway is running" in recommendations
    for advice in RECOMMENDATIONS.values():  # e.g. "Answer missing credentials with 401"
        assert advice not in recommendations
    assert recommendations.count("\n| ") == 2  # header + the one row
    issues = md.split("## Issues identified")[1].split("## Recommendations")[0]
    assert "### Target unreachable (24 checks)" in issues
    assert "### MUST" not in issues


def test_html_gives_one_unreachable_alert_and_the_url_tried(tmp_path):
    records = _unreachable(tmp_path)
    html = render_html(records, RunMeta.from_results(records))
    assert html.count('<div class="ev bad" role="alert"><b>Target unreachable.</b>') == 1
    assert f"did not answer at <code>{TRIED}</code>" in html
    assert html.count(f"<dt>URL tried</dt><dd><code>{TRIED}</code>") == 24
    recommendations = html.split('<section id="recommendations">')[1].split("</section>")[0]
    assert "all 24 checks on reference" in recommendations
    assert "Answer missing or wrong credentials" not in recommendations
    assert recommendations.count("<tr>") == 2


def test_a_reachable_failure_beside_keeps_its_own_advice(tmp_path):
    records = _unreachable(tmp_path)
    other = {**records[0], "target": "litellm", "target_url": "http://127.0.0.1:4000/v1",
             "check_id": "AUTH-1", "message": "got 200 without a key",
             "test": "suites/test_auth.py::test_a[litellm]"}
    md = render_markdown([*records, other], RunMeta.from_results([*records, other]))
    assert "| AUTH-1 | Answer missing or wrong credentials with 401" in md
    assert md.count("Target unreachable:") == 1
    assert "#### ❌ AUTH-1" in md
