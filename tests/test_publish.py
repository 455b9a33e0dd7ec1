"""`gatecheck publish`: the site's structure, relative links only, and no canary anywhere."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gatecheck.cli import main
from gatecheck.compat import compat_rows, write_compat
from gatecheck.matrix.history import History
from gatecheck.matrix.probe import ProbeResult
from gatecheck.results import read_results

DATA = Path(__file__).parent / "data" / "report"
CANARY = "gc-canary-4f1c9a7e0b2d48e6a1c3"
RUN_A, RUN_B, LOAD_ONLY = ("20261121T101500Z-reference", "20261122T101500Z-reference",
                           "20261122T120000Z-reference")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src", "action") and v]


def links_of(path: Path) -> list[str]:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    root.mkdir()
    shutil.copytree(DATA / "run_a", root / RUN_A)
    shutil.copytree(DATA / "run_b", root / RUN_B)
    shutil.copytree(DATA / "run_a" / "load", root / LOAD_ONLY / "load")
    (root / "latest").symlink_to(RUN_B)  # what `gatecheck run` leaves; not a run of its own
    # Artefacts an older gatecheck wrote without redacting: the site must mask them anyway.
    (root / RUN_B / "report.md").write_text(f"# report\nAuthorization: Bearer {CANARY}\n")
    results = (root / RUN_A / "results.jsonl").read_text().splitlines()
    results[0] = results[0].replace('"message": null', f'"message": "key {CANARY} leaked"')
    (root / RUN_A / "results.jsonl").write_text("\n".join(results) + "\n")
    clock = iter(dt.datetime(2026, 11, d, 2, tzinfo=dt.UTC) for d in range(1, 30))
    history = History(root / "history.sqlite", clock=lambda: next(clock))
    for night in range(3):
        history.record([ProbeResult(target="portkey", provider="X.AI", model="@xai/grok-3",
                                    surface="openai", mode=mode, error_class="ok",
                                    http_status=200, latency_ms=120.0 + night, sample="hello")
                        for mode in ("plain", "stream")])
    with sqlite3.connect(root / "history.sqlite") as conn:  # a sample stored before redaction
        conn.execute("UPDATE probes SET sample = ?", (f"token {CANARY}",))
    # What `gatecheck interop` leaves: the compatibility matrix, linking the runs beside it.
    runs = {"reference": RUN_A, "litellm": RUN_B}
    rows = compat_rows({name: read_results(root / run / "results.jsonl")
                        for name, run in runs.items()})
    write_compat(root / "interop", rows, list(runs), {name: {} for name in runs},
                 {name: f"../{run}/report.html" for name, run in runs.items()})
    return root


@pytest.fixture
def site(reports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The registry names PORTKEY_API_KEY: publish registers its value with the redactor.
    monkeypatch.setenv("PORTKEY_API_KEY", CANARY)
    out = tmp_path / "site"
    assert main(["publish", "--reports", str(reports), "--out", str(out)]) == 0
    return out


def test_the_site_has_an_index_runs_the_matrix_and_load_runs(site: Path) -> None:
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert {"index.html", ".nojekyll", "matrix/index.html", "matrix/matrix.md",
            f"runs/{RUN_A}/report.html", f"runs/{RUN_A}/results.jsonl",
            f"runs/{RUN_B}/report.md", f"runs/{LOAD_ONLY}/report.html",
            f"runs/{LOAD_ONLY}/load/summary.json"} <= files
    assert not any(f.startswith("runs/latest") for f in files)
    assert {"interop/compat.html", "interop/compat.md"} <= files  # linked from the index
    assert 'href="interop/compat.html"' in (site / "index.html").read_text()
    assert f'href="../runs/{RUN_B}/report.html"' in (site / "interop" / "compat.html").read_text()
    index = (site / "index.html").read_text()
    for section in ("Latest report per target", "Conformance runs", "Load runs",
                    "Availability matrix"):
        assert section in index
    assert "81.0% (17/21)" in index  # the fixture run's pass rate
    assert "1 of 1 models available now" in index
    matrix = (site / "matrix" / "index.html").read_text()
    assert "@xai/grok-3" in matrix
    assert "100% <span" in matrix  # 3/3 over the last 7 runs


def test_every_link_is_relative_and_resolves(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        for link in links_of(page):
            parts = urlsplit(link)
            assert not parts.scheme, (page, link)
            assert not parts.netloc, (page, link)
            assert not link.startswith("/"), (page, link)
            if parts.path:  # not just "#anchor": the file must exist in the site
                target = (page.parent / unquote(parts.path)).resolve()
                assert target.is_relative_to(site.resolve()), (page, link)
                assert target.exists(), (page, link)


def test_canary_secrets_never_reach_the_published_site(site: Path) -> None:
    files = [p for p in site.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
    assert "[REDACTED]" in (site / "matrix" / "index.html").read_text()


def test_publishing_again_replaces_the_site(site: Path, reports: Path) -> None:
    shutil.rmtree(reports / RUN_A)
    assert main(["publish", "--reports", str(reports), "--out", str(site)]) == 0
    assert not (site / "runs" / RUN_A).exists()
    assert (site / "runs" / RUN_B / "report.html").is_file()


@pytest.mark.parametrize("case", ["missing", "inside"])
def test_bad_directories_are_one_line_and_exit_2(case: str, reports: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    if case == "missing":
        argv = ["--reports", str(tmp_path / "nope"), "--out", str(tmp_path / "site")]
    else:
        argv = ["--reports", str(reports), "--out", str(reports / "site")]
    assert main(["publish", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gatecheck: error: --")
    assert err.count("\n") == 1


def test_a_directory_publish_did_not_write_is_refused_and_left_as_it_was(
        reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gatecheck import UsageError
    from gatecheck.site import build_site

    # --out / once deleted /runs, /matrix and /interop and wrote /index.html.
    mine = tmp_path / "home"
    (mine / "runs").mkdir(parents=True)
    (mine / "runs" / "keep.txt").write_text("not gatecheck's")
    (mine / "index.html").write_text("my page")
    assert main(["publish", "--reports", str(reports), "--out", str(mine)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gatecheck: error: --out {mine}: holds files"), err
    assert err.count("\n") == 1
    with pytest.raises(UsageError, match=r"no \.gatecheck-site"):
        build_site(reports, mine)  # every caller, not only the command
    assert (mine / "runs" / "keep.txt").read_text() == "not gatecheck's"
    assert (mine / "index.html").read_text() == "my page"
    assert sorted(p.name for p in mine.iterdir()) == ["index.html", "runs"]


def test_an_empty_directory_is_taken_and_a_link_in_the_site_is_never_followed(
        reports: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["publish", "--reports", str(reports), "--out", str(out)]) == 0
    assert (out / ".gatecheck-site").is_file()
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "keep").mkdir(parents=True)
    shutil.rmtree(out / "runs")
    (out / "runs").symlink_to(elsewhere, target_is_directory=True)
    assert main(["publish", "--reports", str(reports), "--out", str(out)]) == 0
    assert (elsewhere / "keep").is_dir()
    assert not (out / "runs").is_symlink()
    assert (out / "runs" / RUN_B / "report.html").is_file()


def test_an_allure_report_is_copied_as_built_or_left_out(reports: Path, tmp_path: Path,
                                                         capsys) -> None:
    from gatecheck.report.allure import STAMP, digest

    # Allure's bundle holds base64 runs the redactor would mangle: copied byte for byte,
    # and only when `gatecheck report --allure` stamped it.
    bundle = 'var d="QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w";'
    for run, stamp in ((RUN_A, True), (RUN_B, False)):
        report = reports / run / "allure-report"
        report.mkdir()
        (report / "index.html").write_text(f"<html><script>{bundle}</script></html>")
        if stamp:
            (report / STAMP).write_text(f'{{"index_sha256": "{digest(report / "index.html")}"}}')
    out = tmp_path / "site"
    assert main(["publish", "--reports", str(reports), "--out", str(out)]) == 0
    copied = out / "runs" / RUN_A / "allure-report" / "index.html"
    assert copied.read_bytes() == (reports / RUN_A / "allure-report" / "index.html").read_bytes()
    assert not (out / "runs" / RUN_B / "allure-report").exists()
    assert f"left out {RUN_B}/allure-report" in capsys.readouterr().out
    assert f'href="runs/{RUN_A}/allure-report/index.html"' in (out / "index.html").read_text()
