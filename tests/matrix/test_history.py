"""The matrix history over simulated nights (time injected): availability, trend, schema."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from gatecheck import HarnessError, UsageError
from gatecheck.matrix.history import MIGRATIONS, History, entry_status
from gatecheck.matrix.probe import ProbeResult

START = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)


class Nights:
    """A clock that moves one day per run."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def next(self) -> None:
        self.now += dt.timedelta(days=1)


def results(target: str, models: dict[str, tuple[str, str]]) -> list[ProbeResult]:
    """{model: (plain class, stream class)} -> the night's probe results."""
    out = []
    for model, classes in models.items():
        for mode, error_class in zip(("plain", "stream"), classes, strict=True):
            out.append(ProbeResult(target=target, provider=model.split("/")[0], model=model,
                                   surface="openai", mode=mode, error_class=error_class,
                                   http_status=200 if error_class == "ok" else 503,
                                   latency_ms=100.0 + len(model), sample=f"hi from {model}"))
    return out


OK, DOWN, HALF = ("ok", "ok"), ("upstream_error", "upstream_error"), ("ok", "malformed")


def play(history: History, clock: Nights, nights: int, plan) -> None:
    for night in range(nights):
        history.record(results("portkey", plan(night)))
        clock.next()


def test_a_provider_that_goes_down_and_comes_back(tmp_path: Path) -> None:
    clock = Nights()
    history = History(tmp_path / "h.sqlite", clock=clock)

    # 35 nights. steady/a is always up; flaky/b is down on nights 25..28 (4 nights) and up
    # again from 29; half/c streams badly (degraded) on nights 33 and 34.
    def plan(night: int) -> dict[str, tuple[str, str]]:
        return {"steady/a": OK,
                "flaky/b": DOWN if 25 <= night <= 28 else OK,
                "half/c": HALF if night >= 33 else OK}

    play(history, clock, 29, plan)  # nights 0..28: flaky/b is down right now
    rows = {r.model: r for r in history.matrix()}
    flaky = rows["flaky/b"]
    assert flaky.status == "down"
    assert (flaky.last7.up, flaky.last7.probed) == (3, 7)  # nights 22..28
    assert (flaky.last30.up, flaky.last30.probed) == (25, 29)  # all 29 nights so far
    assert flaky.problem == "plain: upstream_error 503"
    assert str(flaky.last7) == "43% (3/7)"

    for night in range(29, 35):  # it comes back
        history.record(results("portkey", plan(night)))
        clock.next()
    rows = {r.model: r for r in history.matrix()}
    flaky, steady, half = rows["flaky/b"], rows["steady/a"], rows["half/c"]
    assert flaky.status == "up"
    assert flaky.problem == ""
    assert (flaky.last7.up, flaky.last7.probed) == (6, 7)  # nights 28..34: only 28 down
    assert (flaky.last30.up, flaky.last30.probed) == (26, 30)  # nights 5..34
    assert (steady.last7.up, steady.last30.up, steady.last30.probed) == (7, 30, 30)
    assert half.status == "degraded"
    assert (half.last7.up, half.last7.probed) == (5, 7)  # degraded is not available
    # The trend strip: the last 30 nights, oldest first, "now" last.
    assert len(flaky.trend) == 30
    assert flaky.trend[0][0] == "2026-10-06T02:00:00Z"  # night 5
    assert flaky.trend[-1] == ("2026-11-04T02:00:00Z", "up")  # night 34
    assert [s for _, s in flaky.trend[20:25]] == ["down", "down", "down", "down", "up"]
    assert [s for _, s in half.trend[-3:]] == ["up", "degraded", "degraded"]


def test_a_model_added_later_is_judged_on_the_runs_that_probed_it(tmp_path: Path) -> None:
    clock = Nights()
    history = History(tmp_path / "h.sqlite", clock=clock)
    play(history, clock, 10, lambda n: {"old/a": OK, **({"new/b": OK} if n >= 8 else {})})
    new = next(r for r in history.matrix() if r.model == "new/b")
    assert (new.last7.up, new.last7.probed) == (2, 2)
    assert [s for _, s in new.trend] == [None] * 8 + ["up", "up"]


def test_a_retired_model_leaves_the_matrix(tmp_path: Path) -> None:
    clock = Nights()
    history = History(tmp_path / "h.sqlite", clock=clock)
    play(history, clock, 3, lambda n: {"a/a": OK, **({"gone/b": OK} if n < 2 else {})})
    assert [r.model for r in history.matrix()] == ["a/a"]


def test_targets_are_kept_apart(tmp_path: Path) -> None:
    clock = Nights()
    history = History(tmp_path / "h.sqlite", clock=clock)
    for _ in range(3):
        history.record(results("portkey", {"x/m": OK}))
        clock.next()
    history.record(results("gatewayz", {"x/m": DOWN}))
    by_target = {r.target: r for r in history.matrix()}
    assert by_target["portkey"].last7.probed == 3
    assert by_target["portkey"].status == "up"
    assert by_target["gatewayz"].last7.probed == 1
    assert by_target["gatewayz"].status == "down"
    assert [r.target for r in history.matrix(["gatewayz"])] == ["gatewayz"]


def test_rows_remember_latency_sample_and_both_probes(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite", clock=Nights())
    history.record(results("t", {"p/m": HALF}))
    (row,) = history.matrix()
    assert [p.mode for p in row.probes] == ["plain", "stream"]
    assert row.latency_ms == 103.0
    assert row.sample == "hi from p/m"
    assert row.problem == "stream: malformed 503"


def test_entry_status() -> None:
    assert entry_status(results("t", {"m": OK})) == "up"
    assert entry_status(results("t", {"m": HALF})) == "degraded"
    assert entry_status(results("t", {"m": DOWN})) == "down"
    assert entry_status([]) == "down"


def test_schema_is_versioned_and_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    history = History(path)
    assert history.schema_version == len(MIGRATIONS) == 1
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "probes"} <= tables
    history.record(results("t", {"m": OK}))
    assert History(path).schema_version == 1  # reopening does not migrate twice
    assert len(History(path).matrix()) == 1


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(HarnessError, match="newer than this gatecheck"):
        History(path).matrix()


def test_a_file_that_is_not_a_database_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite\n" * 200)
    with pytest.raises(UsageError, match="not a gatecheck history"):
        History(path).matrix()


def test_each_provider_has_an_availability_trend_and_the_page_draws_it(tmp_path: Path) -> None:
    from gatecheck.matrix.page import provider_trends, render_matrix_html
    from gatecheck.site import build_site

    clock = Nights()
    history = History(tmp_path / "reports" / "history.sqlite", clock=clock)
    for night in range(3):  # a: 2 models, one down on the second night; b: joins on night 2
        history.record(results("a", {"x/m1": OK, "x/m2": DOWN if night == 1 else OK}))
        if night:
            history.record(results("b", {"y/m3": HALF if night == 2 else OK}))
        clock.next()
    rows = history.matrix()
    trends = provider_trends(rows)
    assert [v for _, v in trends["a"]] == [100.0, 50.0, 100.0]
    assert [v for _, v in trends["b"]] == [100.0, 0.0]  # degraded is not available
    page = render_matrix_html(rows, generated_at="now")
    assert 'id="trend"' in page
    assert "Models available per provider" in page
    site = build_site(tmp_path / "reports", tmp_path / "site")
    copied = tmp_path / "site" / "matrix" / "history.sqlite"
    assert copied in site.files
    assert History(copied).matrix() == rows  # the next night can carry on from the site
