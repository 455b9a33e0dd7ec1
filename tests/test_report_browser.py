"""The HTML report in real headless Chromium: no console errors, tables, plots, filters work.

Chromium is driven over the DevTools protocol (a websocket, `websockets` is installed with
uvicorn) so console messages, exceptions and CSP violations can be collected; the page is
loaded from a file:// URL with background networking off. A full-page screenshot is saved
as report.png in the run directory. Skipped when no chromium binary is on PATH.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatecheck.cli import main

DATA = Path(__file__).parent / "data" / "report"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser",
                                               "google-chrome")) if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions", "--mute-audio"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH "
                       "(Debian: apt-get install chromium)"),
]


class Page:
    """A minimal DevTools-protocol client for one page target (bounded waits only)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _recv(self, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer from Chromium in time")
        return json.loads(self.ws.recv(timeout=left))

    def call(self, method: str, timeout: float = 15.0, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = self._recv(deadline)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._recv(deadline))

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, CSP and load errors so far."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                 "warning"):
                out.append(f"console {params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                out.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error",
                                                                                  "warning"):
                out.append(f"log: {params['entry'].get('text')}")
        return out

    def open(self, path: Path) -> None:
        # Through a blank page first: what the previous page still reports (a late failed
        # load of the Locust report's) must not count against this one.
        for url in ("about:blank", path.resolve().as_uri()):
            self.events.clear()
            self.call("Page.navigate", url=url)
            self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path) -> None:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", timeout=30.0, format="png",
                         captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"],
                               "height": size["height"], "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from websockets.sync.client import connect

    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1280,2000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"Chromium did not start (exit {proc.poll()})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(ws_url, max_size=None, open_timeout=10) as ws:
            client = Page(ws)
            for domain in ("Page", "Runtime", "Log"):
                client.call(f"{domain}.enable")
            client.call("Emulation.setDeviceMetricsOverride", width=1280, height=2000,
                        deviceScaleFactor=1, mobile=False)
            yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("reports")
    a, b = root / "20261121T101500Z-reference", root / "20261122T101500Z-reference"
    shutil.copytree(DATA / "run_a", a)
    shutil.copytree(DATA / "run_b", b)
    assert main(["report", str(a)]) == 0
    assert main(["report", str(a), str(b), "--format", "html"]) == 0
    return a, b


def test_report_opens_clean_with_tables_plots_and_a_screenshot(page, runs):
    run_dir = runs[0]
    page.open(run_dir / "report.html")
    assert page.js("document.title") == "gatecheck conformance report: reference"
    assert page.js("document.querySelectorAll('#overview-table tbody tr').length") == 12
    # one row per check, in one table: no second copy of every row
    assert page.js("document.querySelectorAll('#checks-table tr.check').length") == 24
    assert page.js("document.querySelectorAll('table tr[id^=check-]:not(.ev-row)').length") \
        == 24
    assert page.js("document.querySelector('main section').id") == "findings"  # leads
    charts = page.js("Array.from(document.querySelectorAll('svg.chart')).map(s => "
                     "[s.dataset.chart, s.getBoundingClientRect().width > 300, "
                     "s.querySelectorAll('polyline, rect').length > 0])")
    assert [c[0] for c in charts] == ["perf-time", "perf-rate", "perf-hist",
                                      "perf-rps-users", "perf-lat-users"]
    assert all(c[1] and c[2] for c in charts), charts
    page.screenshot(run_dir / "report.png")
    png = (run_dir / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 50_000
    assert page.problems() == []


def test_filters_and_evidence_rows_work(page, runs):
    page.open(runs[0] / "report.html")
    visible = ("Array.from(document.querySelectorAll('#checks-table tr.check'))"
               ".filter(r => getComputedStyle(r).display !== 'none').length")
    assert page.js("document.getElementById('filter-count').textContent") == "24 of 24 shown"
    # categories with a failure open; the all-passing ones start folded and open on a click
    folded = page.js("Array.from(document.querySelectorAll('tbody.cat.collapsed')).length")
    assert 0 < folded < 12
    assert page.js(visible) < 24
    page.js("document.querySelector('tbody.cat.collapsed button.cat-toggle').click()")
    assert page.js("Array.from(document.querySelectorAll('tbody.cat.collapsed')).length") \
        == folded - 1
    page.js("(() => { const s = document.querySelector('#filters select[name=outcome]'); "
            "s.value = 'failed'; s.dispatchEvent(new Event('change', {bubbles: true})); })()")
    assert page.js(visible) == 4
    assert page.js("document.getElementById('filter-count').textContent") == "4 of 24 shown"
    page.js("(() => { const q = document.querySelector('#filters input[name=q]'); "
            "q.value = 'ERR-6'; q.dispatchEvent(new Event('input', {bubbles: true})); })()")
    assert page.js(visible) == 1
    # evidence rows are folded until their check is clicked
    shown = "getComputedStyle(document.getElementById('check-16-ev')).display"
    assert page.js(shown) == "none"
    page.js("document.querySelector('#check-16 button.toggle').click()")
    assert page.js(shown) == "table-row"
    assert "curl -sS -X POST" in page.js("document.getElementById('check-16-ev').innerText")
    assert page.problems() == []


def test_comparison_and_load_only_pages_open_clean(page, runs, tmp_path):
    page.open(runs[1] / "comparison.html")
    assert page.js("document.querySelector('.banner strong').textContent") == "REGRESSED"
    assert page.problems() == []
    load_only = tmp_path / "20261121T101500Z-reference"
    shutil.copytree(DATA / "run_a" / "load", load_only / "load")
    assert main(["report", str(load_only), "--format", "html"]) == 0
    page.open(load_only / "report.html")
    assert page.js("document.querySelectorAll('svg.chart').length") == 5
    assert page.problems() == []


def test_the_problem_detector_sees_console_errors_and_blocked_fetches(page, tmp_path):
    from gatecheck.report.page import Markup
    from gatecheck.report.page import page as shell

    bad = tmp_path / "bad.html"
    # The shell's CSP must block the image fetch (no network at view time), and report it.
    bad.write_text(shell("bad", Markup('<img src="http://127.0.0.1:9/x.png" alt="">'
                                       "<script>console.error('boom')</script>")),
                   encoding="utf-8")
    page.open(bad)
    page.js("new Promise(r => setTimeout(r, 200))")
    problems = page.problems()
    assert any("boom" in p for p in problems), problems
    assert any("Content Security Policy" in p for p in problems), problems


@pytest.mark.load
def test_the_kept_locust_report_renders_and_shows_the_real_request_rate(page, tmp_path):
    # Issue 13: the kept load/locust.html must render (13.3: redaction must leave Locust's
    # code alone) and its rate must be the real one (13.5: the LLM rows, one per figure,
    # made the Aggregated row count each stream four times).
    import orjson

    out = tmp_path / "reports"
    assert main(["load", "--target", "mock", "--duration", "3s", "--users", "4",
                 "--directive", "ttft=20 itl=5 tokens=10", "--out", str(out)]) == 0
    load_dir = out / (out / "latest.txt").read_text().strip() / "load"
    summary = orjson.loads((load_dir / "summary.json").read_bytes())
    page.open(load_dir / "locust.html")
    page.js("new Promise(r => setTimeout(r, 300))")
    exceptions = [p for p in page.problems() if p.startswith("exception")]
    assert exceptions == [], exceptions  # a SyntaxError here: the redactor broke Locust's JS
    rows = page.js("Array.from(document.querySelectorAll('table')[0].querySelectorAll('tr'))"
                   ".map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
    header, *body = rows
    by_name = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in body}
    post = next(v for (kind, _), v in by_name.items() if kind == "POST")
    aggregated = by_name[("", "Aggregated")]
    assert {name for kind, name in by_name if kind == "LLM"} >= {"ttft", "itl", "e2e"}
    assert aggregated["# Requests"] == post["# Requests"]  # once per request, not 4x
    rps = float(aggregated["RPS"])
    assert rps == float(post["RPS"])
    # Locust's rate (requests / its run time) is the real one: the summary's, within the
    # two clocks' edges (Locust divides by its whole run, the summary by first send ->
    # last completion), never a multiple of it.
    assert rps == pytest.approx(summary["throughput"]["requests_per_s"], rel=0.35)


@pytest.mark.load
def test_the_load_report_charts_count_what_its_table_counts(page, tmp_path):
    # Issue 13.5, in the page as a reader sees it: the histogram's bars add up to the
    # table's successful requests (it once counted the warm-up too: 120 where the table said
    # 100), and the rate chart says it averages the table's requests/s.
    import orjson

    out = tmp_path / "reports"
    assert main(["load", "--target", "mock", "--duration", "3s", "--users", "4",
                 "--warmup", "1s", "--directive", "ttft=20 itl=5 tokens=10",
                 "--out", str(out)]) == 0
    run_dir = out / (out / "latest.txt").read_text().strip()
    summary = orjson.loads((run_dir / "load" / "summary.json").read_bytes())
    page.open(run_dir / "report.html")
    assert page.problems() == []
    bars = page.js("Array.from(document.querySelectorAll('svg[data-chart=\"perf-hist\"] rect "
                   "title')).map(t => t.textContent)")
    counted = sum(int(text.rsplit(": ", 1)[1]) for text in bars)
    assert summary["requests"]["warmup_excluded"] > 0  # the case that once went wrong
    assert counted == summary["latency_ms"]["ttft"]["count"]
    caption = page.js("document.querySelector('svg[data-chart=\"perf-rate\"]')"
                      ".closest('figure').querySelector('figcaption').textContent")
    assert f"averages {summary['throughput']['requests_per_s']:,.1f}/s" in caption
    table = page.js("document.body.innerText")
    assert f"{summary['latency_ms']['ttft']['count']:,}" in table
