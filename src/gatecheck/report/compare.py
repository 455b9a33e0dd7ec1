"""Comparing two runs: checks whose outcome flipped, new and removed checks, latency deltas.

`gatecheck report A B` reads both runs the way a single report does (results.jsonl and the
load summary, redacted on the way in) and renders the difference as Markdown and HTML. A
check is the same check in both runs when its target and test node id match; when each run
covered one target and they differ, the target is left out of the match (and the pages
warn that they compare two gateways, not one gateway over time).

The verdict is REGRESSED when a check went to failed (a check new in the after run that
fails at MUST or SHOULD level counts), when MUST failures rose, or when a performance
figure got worse by more than NOISE (buffering newly suspected included). Performance
figures are compared only between load runs of the same workload (WORKLOAD: scenario,
surface, users, rate, arrival, directive, max tokens): 5 users against 10 is another
experiment, not a regression, so those figures are shown "not comparable", count for
nothing, and the verdict line says which settings differ.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatecheck.report._format import ms, when
from gatecheck.report._model import RunMeta, check_sort_key, tally
from gatecheck.report._svg import Series, line_chart
from gatecheck.report.page import Markup, esc, render
from gatecheck.report.performance import METRICS, PCTS, LoadRun

__all__ = ["WORKLOAD", "CheckChange", "Comparison", "MetricDelta", "VerdictFlip", "compare",
           "render_comparison_html", "render_comparison_markdown", "workload_differences"]

# A figure moved when it changed by more than this share of the before value; smaller
# moves are run-to-run noise on a loopback target and are shown without a verdict.
NOISE = 0.10

_THROUGHPUT = (("requests_per_s", "requests/s", False), ("output_tokens_per_s",
               "output tokens/s", False), ("error_rate", "error rate", True))
# What makes two load runs the same experiment: (name, where in summary.json).
WORKLOAD = (("scenario", ("run", "scenario")), ("surface", ("run", "surface")),
            ("users", ("run", "users")), ("rate", ("open_loop", "rate_per_s")),
            ("arrival", ("open_loop", "arrival")), ("directive", ("run", "directive")),
            ("max tokens", ("run", "max_tokens")))


@dataclass(frozen=True, slots=True)
class CheckChange:
    """One check whose outcome differs between the runs (None: absent from that run)."""

    record: dict[str, Any]  # the after-run record, else the before-run one
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        """regressed, fixed, changed, new or removed (a new MUST/SHOULD failure regressed)."""
        if self.before is None:
            failing = self.after == "failed" and self.record.get("level") in ("MUST", "SHOULD")
            return "regressed" if failing else "new"
        if self.after is None:
            return "removed"
        if self.after == "failed":
            return "regressed"
        if self.before == "failed":
            return "fixed"
        return "changed"


@dataclass(frozen=True, slots=True)
class MetricDelta:
    """One figure in both runs; ``higher_is_worse`` says which way is a regression."""

    metric: str
    stat: str
    before: float
    after: float
    higher_is_worse: bool = True
    comparable: bool = True  # False: the runs' workloads differ (see WORKLOAD)

    @property
    def delta(self) -> float:
        return self.after - self.before

    @property
    def ratio(self) -> float | None:
        return None if not self.before else self.delta / self.before

    @property
    def verdict(self) -> str:
        """worse, better or same (within NOISE of the before value); "not comparable"
        between runs of different workloads."""
        if not self.comparable:
            return "not comparable"
        ratio = self.ratio
        if ratio is None:
            moved = self.after != self.before
            ratio = 1.0 if moved and self.after > self.before else -1.0 if moved else 0.0
        if abs(ratio) <= NOISE:
            return "same"
        return "worse" if (ratio > 0) == self.higher_is_worse else "better"


@dataclass(frozen=True, slots=True)
class VerdictFlip:
    """A load run's yes/no verdict (buffering, load generator health) that flipped."""

    name: str
    before: str
    after: str
    worse: bool  # the after run's verdict is the bad one
    counts: bool = True  # whether a worse flip makes the comparison REGRESSED

    @property
    def verdict(self) -> str:
        return "worse" if self.worse else "better"


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything the comparison pages show."""

    before: RunMeta
    after: RunMeta
    before_records: tuple[dict[str, Any], ...]
    after_records: tuple[dict[str, Any], ...]
    changes: tuple[CheckChange, ...]
    unchanged: int
    latency: tuple[MetricDelta, ...] = ()
    throughput: tuple[MetricDelta, ...] = ()
    flips: tuple[VerdictFlip, ...] = ()
    workload: tuple[str, ...] = ()  # how the load runs' workloads differ ("users 10 -> 5")

    @property
    def targets_differ(self) -> bool:
        """The runs covered different targets (by name): a comparison of gateways."""
        return _names(self.before) != _names(self.after)

    def must_failures(self) -> tuple[int, int]:
        return (tally(self.before_records).failed_levels.get("MUST", 0),
                tally(self.after_records).failed_levels.get("MUST", 0))

    def of_kind(self, *kinds: str) -> list[CheckChange]:
        return [c for c in self.changes if c.kind in kinds]


def _names(meta: RunMeta) -> tuple[str, ...]:
    return tuple(sorted(name for name, _ in meta.targets))


def _key(record: dict[str, Any], cross: bool = False) -> tuple[str, str]:
    """(target, test id); ``cross``: the target is left out, of the test id's params too."""
    target = str(record.get("target"))
    test = str(record.get("test") or record.get("check_id"))
    if not cross:
        return (target, test)
    # pytest ids carry the target as a parameter, alone or dash-joined: test_x[reference]
    return ("*", re.sub(rf"(?<=[\[-]){re.escape(target)}(?=[\]-])", "*", test))


def _flips(before: LoadRun, after: LoadRun) -> list[VerdictFlip]:
    flips = []
    a_buf, b_buf = before.summary.get("buffering") or {}, after.summary.get("buffering") or {}
    if a_buf.get("judged") and b_buf.get("judged") and \
            bool(a_buf.get("suspected")) != bool(b_buf.get("suspected")):
        words = {True: "suspected", False: "not suspected"}
        flips.append(VerdictFlip("buffering", words[bool(a_buf.get("suspected"))],
                                 words[bool(b_buf.get("suspected"))],
                                 bool(b_buf.get("suspected"))))
    a_ok = (before.summary.get("client_health") or {}).get("ok", True)
    b_ok = (after.summary.get("client_health") or {}).get("ok", True)
    if bool(a_ok) != bool(b_ok):
        # A suspect load generator is the harness's problem, not the gateway's: shown
        # (its run's figures may describe the client), not counted as a regression.
        words = {True: "healthy", False: "suspect"}
        flips.append(VerdictFlip("load generator", words[bool(a_ok)], words[bool(b_ok)],
                                 not b_ok, counts=False))
    return flips


def workload_differences(before: LoadRun, after: LoadRun) -> tuple[str, ...]:
    """The WORKLOAD settings two load runs differ in, as "users 10 -> 5"."""
    out = []
    for name, (group, key) in WORKLOAD:
        a = (before.summary.get(group) or {}).get(key)
        b = (after.summary.get(group) or {}).get(key)
        if a != b:
            out.append(f"{name} {_shown(a)} -> {_shown(b)}")
    return tuple(out)


def _shown(value: object) -> str:
    if value is None or value == "":
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def compare(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]],
            before_meta: RunMeta, after_meta: RunMeta, before_load: LoadRun | None = None,
            after_load: LoadRun | None = None) -> Comparison:
    """Compare two runs' records (and load runs, when both have one)."""
    cross = (len(before_meta.targets) == len(after_meta.targets) == 1
             and _names(before_meta) != _names(after_meta))
    old = {_key(r, cross): r for r in before}
    new = {_key(r, cross): r for r in after}
    changes = []
    unchanged = 0
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        a_out = None if a is None else str(a.get("outcome"))
        b_out = None if b is None else str(b.get("outcome"))
        if a_out == b_out:
            unchanged += 1
            continue
        record = b if b is not None else a
        assert record is not None  # the key came from one of the two maps
        changes.append(CheckChange(record, a_out, b_out))
    changes.sort(key=lambda c: check_sort_key(c.record))
    latency: list[MetricDelta] = []
    throughput: list[MetricDelta] = []
    flips: list[VerdictFlip] = []
    workload: tuple[str, ...] = ()
    if before_load is not None and after_load is not None:
        workload = workload_differences(before_load, after_load)
        same = not workload
        flips = [f if same else VerdictFlip(f.name, f.before, f.after, f.worse, counts=False)
                 for f in _flips(before_load, after_load)]
        for name, _ in METRICS:
            x, y = before_load.latency(name), after_load.latency(name)
            if x.get("count") and y.get("count"):
                latency += [MetricDelta(name, p, float(x[p]), float(y[p]), comparable=same)
                            for p in PCTS if isinstance(x.get(p), int | float)
                            and isinstance(y.get(p), int | float)]
        for key_name, label, worse in _THROUGHPUT:
            group = "requests" if key_name == "error_rate" else "throughput"
            x_v = (before_load.summary.get(group) or {}).get(key_name)
            y_v = (after_load.summary.get(group) or {}).get(key_name)
            if isinstance(x_v, int | float) and isinstance(y_v, int | float):
                throughput.append(MetricDelta(label, "", float(x_v), float(y_v), worse,
                                              comparable=same))
    return Comparison(before_meta, after_meta, tuple(before), tuple(after), tuple(changes),
                      unchanged, tuple(latency), tuple(throughput), tuple(flips), workload)


def _headline(c: Comparison) -> tuple[str, str]:
    regressed, fixed = len(c.of_kind("regressed")), len(c.of_kind("fixed"))
    worse = sum(1 for d in (*c.latency, *c.throughput) if d.verdict == "worse")
    worse += sum(1 for f in c.flips if f.worse and f.counts)
    must_before, must_after = c.must_failures()
    status = ("regressed" if regressed or worse or must_after > must_before
              else "fixed" if fixed else "same")
    parts = [f"{regressed} regressed", f"{fixed} fixed",
             f"{len(c.of_kind('changed'))} otherwise changed", f"{len(c.of_kind('new'))} new",
             f"{len(c.of_kind('removed'))} removed", f"{c.unchanged} unchanged"]
    line = ", ".join(parts) + " checks"
    if must_after != must_before:
        line += f"; MUST failures {must_before} -> {must_after}"
    if c.workload:
        line += ("; performance NOT COMPARED: the load runs ran different workloads ("
                 + ", ".join(c.workload) + ")")
    elif c.latency or c.throughput or c.flips:
        line += f"; {worse} performance figures worse by more than {NOISE:.0%}"
        line += "".join(f", {f.name} {f.before} -> {f.after}" for f in c.flips)
    return status, line + "."


def _targets_warning(c: Comparison) -> str | None:
    if not c.targets_differ:
        return None
    before, after = ", ".join(_names(c.before)) or "?", ", ".join(_names(c.after)) or "?"
    return (f"The runs tested different targets (before: {before}; after: {after}). This "
            "compares two gateways, not one gateway over time: flips are differences "
            "between them.")


def _pct(d: MetricDelta) -> str:
    return "-" if d.ratio is None else f"{d.ratio * 100:+.1f}%"


def _fig(d: MetricDelta, value: float) -> str:
    if d.metric == "error rate":
        return f"{value * 100:.2f}%"
    return ms(value, "") if d.stat else f"{value:,.1f}"


def _delta(d: MetricDelta) -> str:
    if d.metric == "error rate":
        return f"{d.delta * 100:+.2f} pt"
    return f"{d.delta:+,.1f}"


def _run_label(meta: RunMeta) -> str:
    names = ", ".join(name for name, _ in meta.targets) or "?"
    return f"{meta.run_id} ({names}, {when(meta.started_at)})"


def _view(c: Comparison) -> dict[str, Any]:
    """What both comparison templates show, computed once."""
    status, line = _headline(c)
    groups = [(anchor, heading, c.of_kind(*kinds)) for anchor, kinds, heading in (
        ("flipped", ("regressed", "fixed", "changed"), "Checks that flipped"),
        ("new", ("new",), "New checks"), ("removed", ("removed",), "Removed checks"))]
    figures = [(d, _fig(d, d.before), _fig(d, d.after), _delta(d), _pct(d))
               for d in (*c.throughput, *c.latency)]
    return {"status": status, "line": line, "warning": _targets_warning(c), "groups": groups,
            "labels": (_run_label(c.before), _run_label(c.after)), "figures": figures,
            "tallies": (tally(c.before_records), tally(c.after_records)), "noise": NOISE,
            "plots": _plots(c)}


def render_comparison_markdown(c: Comparison) -> str:
    """The comparison as Markdown."""
    return render("compare.md.j2", c=c, v=_view(c)).rstrip("\n") + "\n"


def _plots(c: Comparison) -> Markup:
    """Before/after percentile curves of each headline latency (ttft, e2e)."""
    figures = []
    for metric in ("ttft", "e2e"):
        deltas = [d for d in c.latency if d.metric == metric]
        if not deltas:
            continue
        names = [(float(i), d.stat) for i, d in enumerate(deltas)]
        svg = line_chart(f"cmp-{metric}", [
            Series("before", [(float(i), d.before) for i, d in enumerate(deltas)],
                   color="#8c959f", dash="6 3", markers=True),
            Series("after", [(float(i), d.after) for i, d in enumerate(deltas)],
                   color="#0969da", dash="", markers=True)],
            title=f"{metric} percentiles, before and after", x_label="percentile",
            y_label="ms", x_names=names)
        figures.append(f"<figure>{svg}<figcaption>{esc(metric)}: exact percentiles of "
                       "both load runs.</figcaption></figure>")
    return Markup('<div class="plots">' + "".join(figures) + "</div>" if figures else "")


def render_comparison_html(c: Comparison) -> str:
    """The comparison as a self-contained HTML page."""
    return render("compare.html.j2", c=c, v=_view(c))
