"""The matrix page and the published site in real headless Chromium: no console errors.

Reuses the DevTools-protocol page of tests/test_report_browser.py (same flags, same skip).
A month of simulated nights gives the trend strips something to show; screenshots are
saved beside the site (matrix.png, index.png).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from gatecheck.cli import main
from gatecheck.matrix.demo import DEMO_MODELS
from gatecheck.matrix.history import History
from gatecheck.matrix.probe import ProbeResult
from tests.test_report_browser import CHROMIUM, DATA, page  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH "
                       "(Debian: apt-get install chromium)"),
]


def _night(night: int, provider: str, model: str) -> list[ProbeResult]:
    down = (provider == "HuggingFace" or (provider == "Novita" and 20 <= night <= 23))
    shaky = provider == "X.AI" and night % 9 == 4
    out = []
    for mode in ("plain", "stream"):
        bad = down or (shaky and mode == "stream")
        out.append(ProbeResult(
            target="portkey", provider=provider, model=model, surface="openai", mode=mode,
            error_class="not_found" if provider == "HuggingFace" else (
                "upstream_error" if bad else "ok"),
            http_status=404 if provider == "HuggingFace" else (502 if bad else 200),
            latency_ms=900.0 + 37 * (night % 5) + len(model), ttft_ms=300.0 if not bad else None,
            sample="Hello from Portkey!" if not bad else "upstream error"))
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    reports = root / "reports"
    shutil.copytree(DATA / "run_a", reports / "20261121T101500Z-reference")
    start = dt.datetime(2026, 10, 20, 3, 17, tzinfo=dt.UTC)
    history = History(reports / "history.sqlite")
    for night in range(32):
        results = [r for provider, model, _ in DEMO_MODELS for r in _night(night, provider, model)]
        history.record(results, started_at=start + dt.timedelta(days=night))
    assert main(["publish", "--reports", str(reports), "--out", str(root / "site")]) == 0
    return root / "site"


def test_matrix_page_opens_clean_with_a_trend_per_model(page, site):  # noqa: F811
    page.open(site / "matrix" / "index.html")
    assert page.js("document.querySelectorAll('#matrix tbody tr').length") == len(DEMO_MODELS)
    strips = page.js("Array.from(document.querySelectorAll('#matrix svg')).map(s => "
                     "s.querySelectorAll('rect').length)")
    assert strips == [30] * len(DEMO_MODELS)
    assert "6 of 8 models available now (1 degraded, 1 down)" in page.js("document.body.innerText")
    page.screenshot(site / "matrix.png")
    assert (site / "matrix.png").read_bytes().startswith(b"\x89PNG")
    assert page.problems() == []


def test_site_index_opens_clean_and_links_to_the_matrix(page, site):  # noqa: F811
    page.open(site / "index.html")
    hrefs = page.js("Array.from(document.querySelectorAll('a[href]')).map(a => "
                    "a.getAttribute('href'))")
    assert "matrix/index.html" in hrefs
    assert any(h.endswith("/report.html") for h in hrefs)
    page.screenshot(site / "index.png")
    assert page.problems() == []
