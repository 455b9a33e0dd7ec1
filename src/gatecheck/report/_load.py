"""A load run as reports see it: summary.json plus the few sample fields the plots need.

The figures (percentiles, rates, verdicts) are the load summary's own and are shown as
they are; the samples only feed the plots (percentiles over time, the histogram), which
aggregate them so a report stays small however long the run was.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gatecheck.load import percentile

__all__ = ["ERROR_RATE_FAIL", "LoadRun", "LoadVerdict", "Point", "find_load", "histogram_bins",
           "load_verdict", "over_time", "read_load"]

# Bucket widths for the over-time plots (seconds); the smallest giving <= _MAX_BUCKETS.
_WIDTHS = (0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
_MAX_BUCKETS = 40
_HIST_BINS = 30
_MIN_SENDS_PER_BUCKET = 2

# A load run fails when more than this share of its requests failed (or none succeeded):
# past a few percent the latency figures describe the survivors, not the gateway under
# that load. Any error or warning below it makes the run a WARN.
ERROR_RATE_FAIL = 0.05


@dataclass(frozen=True, slots=True)
class Point:
    """The fields of one samples.jsonl record that the plots read."""

    t: float  # wall-clock send time, epoch seconds
    ok: bool
    ttft: float | None
    e2e: float | None
    ttft_i: float | None = None  # open loop: from the intended send (coordinated omission)
    e2e_i: float | None = None

    def value(self, metric: str) -> float | None:
        """ttft, e2e, ttft_from_intended or e2e_from_intended of this request."""
        return {"ttft": self.ttft, "e2e": self.e2e, "ttft_from_intended": self.ttft_i,
                "e2e_from_intended": self.e2e_i}.get(metric)


@dataclass(frozen=True, slots=True)
class LoadRun:
    """summary.json (already redacted) and the plot points from samples.jsonl."""

    summary: dict[str, Any]
    points: tuple[Point, ...] = ()

    @property
    def run(self) -> dict[str, Any]:
        value = self.summary.get("run")
        return value if isinstance(value, dict) else {}

    def latency(self, name: str) -> dict[str, Any]:
        value = (self.summary.get("latency_ms") or {}).get(name)
        return value if isinstance(value, dict) else {"count": 0}

    @property
    def headline_metric(self) -> str:
        """ttft when the run streamed (it has first-content times), else e2e."""
        return "ttft" if self.latency("ttft").get("count") else "e2e"

    def origin(self) -> float | None:
        """Epoch seconds the run's clock starts at (summary's run.started, else 1st send)."""
        started = self.run.get("started")
        if isinstance(started, str):
            try:
                return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        return min((p.t for p in self.points), default=None)


@dataclass(frozen=True, slots=True)
class LoadVerdict:
    """What a load report's banner and status line say about the run."""

    status: str  # "fail", "warn" or "pass" (the report's tone words)
    label: str  # the banner's words, e.g. "LOAD RUN FAILED"
    reason: str  # one sentence: why

    @property
    def line(self) -> str:
        """'❌ FAIL: why' for Markdown."""
        icon, word = {"fail": ("❌", "FAIL"), "warn": ("⚠️", "WARN")}.get(
            self.status, ("✅", "PASS"))
        return f"{icon} {word}: {self.reason}"


def load_verdict(load: LoadRun) -> LoadVerdict:
    """FAIL when no request succeeded or the error rate is over ERROR_RATE_FAIL, WARN for
    any failed request or warning, else PASS."""
    requests = load.summary.get("requests") or {}
    total, failed = _count(requests.get("total")), _count(requests.get("failed"))
    ok = _count(requests.get("ok"), total - failed)
    rate = failed / total if total else 0.0
    warnings = [w for w in load.summary.get("warnings") or [] if isinstance(w, str)]
    errors = f"{failed:,} of {total:,} requests failed ({rate:.1%})"
    if not total:
        return LoadVerdict("fail", "LOAD RUN FAILED", "no request completed.")
    if not ok:
        return LoadVerdict("fail", "LOAD RUN FAILED", f"no request succeeded: {errors}.")
    if rate > ERROR_RATE_FAIL:
        return LoadVerdict("fail", "LOAD RUN FAILED",
                           f"{errors}, above the {ERROR_RATE_FAIL:.0%} error-rate limit.")
    if failed:
        more = f"; {len(warnings)} warnings" if warnings else ""
        return LoadVerdict("warn", "RUN WITH ERRORS", f"{errors}{more}.")
    if warnings:
        return LoadVerdict("warn", "RUN WITH WARNINGS",
                           f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}: "
                           f"{warnings[0].rstrip('.')}.")
    return LoadVerdict("pass", "LOAD RUN COMPLETE", "every request succeeded, no warnings.")


def _count(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def find_load(run_dir: Path) -> Path | None:
    """The directory holding a load summary: RUN_DIR/load, or RUN_DIR itself."""
    for candidate in (run_dir / "load", run_dir):
        if (candidate / "summary.json").is_file():
            return candidate
    return None


def read_load(load_dir: Path, redactor: Any) -> LoadRun:
    """Read summary.json (and samples.jsonl when present) through the redactor."""
    path = load_dir / "summary.json"
    try:
        summary = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(summary, dict):
        raise ValueError(f"{path}: expected a JSON object")
    points: list[Point] = []
    samples = load_dir / "samples.jsonl"
    if samples.is_file():
        with samples.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                    points.append(Point(float(row["t"]), bool(row.get("ok")),
                                        _num(row.get("ttft")), _num(row.get("e2e")),
                                        _num(row.get("ttft_i")), _num(row.get("e2e_i"))))
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    raise ValueError(f"{samples}:{number}: not a sample record") from None
    points.sort(key=lambda p: p.t)
    return LoadRun(redactor.obj(summary), tuple(points))


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def bucket_width(duration_s: float, sends: int | None = None) -> float:
    """The smallest round width that cuts ``duration_s`` into <= 40 buckets.

    With ``sends`` it is also wide enough for two sends per bucket on average: narrower
    buckets of a sparse run hold 0 or 1 send each and the rate plot becomes a comb.
    """
    floor = _MIN_SENDS_PER_BUCKET * duration_s / sends if sends else 0.0
    return next((w for w in _WIDTHS if duration_s / w <= _MAX_BUCKETS and w >= floor),
                _WIDTHS[-1])


def over_time(load: LoadRun, metric: str,
              pcts: Sequence[float] = (50.0, 90.0, 99.0)) -> dict[str, Any]:
    """Per time bucket (by send time): percentiles of ``metric`` and ok/failed request rates.

    Buckets run from the origin to the end of the run window (run.started + run_time_s).
    Returns {"width": s, "x": [bucket mid, s since origin], "p50": [...], ..., "ok_rate":
    [...], "fail_rate": [...]}; a bucket with no successful value has None percentiles, a
    final bucket the window covers less than half of has None rates.
    """
    origin = load.origin()
    if origin is None or not load.points:
        return {"width": 0.0, "x": []}
    end = _window_end(load, origin)
    width = bucket_width(end, len(load.points))
    count = max(1, math.ceil(end / width - 1e-9))
    values: list[list[float]] = [[] for _ in range(count)]
    ok = [0] * count
    failed = [0] * count
    for p in load.points:
        index = min(max(int((p.t - origin) // width), 0), count - 1)
        if p.ok:
            ok[index] += 1
            value = p.value(metric)
            if value is not None:
                values[index].append(value)
        else:
            failed[index] += 1
    out: dict[str, Any] = {"width": width, "x": [round((i + 0.5) * width, 3)
                                                  for i in range(count)]}
    for pct in pcts:
        out[f"p{pct:g}"] = [percentile(sorted(v), pct) if v else None for v in values]
    # The last bucket is usually cut by the window's end: its rates are divided by the part
    # of it the window covers, and left out (a gap) when that is under half a bucket, where
    # one send more or less would swing the rate several-fold.
    spans = [min(width, end - i * width) for i in range(count)]
    out["ok_rate"] = [round(n / s, 3) if s >= width / 2 else None
                      for n, s in zip(ok, spans, strict=True)]
    out["fail_rate"] = [round(n / s, 3) if s >= width / 2 else None
                        for n, s in zip(failed, spans, strict=True)]
    return out


def _window_end(load: LoadRun, origin: float) -> float:
    """Seconds from ``origin`` to the end of the run window (never before the last send).

    The window is run.started + run.run_time_s. ``started`` is written to the whole second,
    so the run really began up to 1 s after it: the first send's offset (at most 1 s)
    stands in for that fraction. Without a run time the last send is the best end known.
    The last send alone is not the end: requests still in flight at the stop leave no
    sample, so the sends thin out well before the window closes.
    """
    last = max(p.t for p in load.points) - origin
    run_time = load.run.get("run_time_s")
    if not isinstance(run_time, int | float) or isinstance(run_time, bool) or run_time <= 0:
        return max(last, 1e-3)
    lead = 0.0
    started = load.run.get("started")
    if isinstance(started, str) and "." not in started:
        lead = min(max(min(p.t for p in load.points) - origin, 0.0), 1.0)
    return max(float(run_time) + lead, last, 1e-3)


def histogram_bins(values: Sequence[float], p99: float | None) -> tuple[
        list[tuple[float, float, int]], int, float]:
    """Bins of round width from 0 over the bulk of ``values``.

    Values past max(p99 * 1.5, ...) are counted in the last bin so one outlier cannot
    squeeze the rest into a single bar. Returns (bins, how many were clipped, the clip edge).
    """
    if not values:
        return [], 0, 0.0
    top = max(values)
    if p99 is not None and top > p99 * 1.5:
        top = p99 * 1.5
    raw = max(top, 1e-6) / _HIST_BINS
    power = 10.0 ** math.floor(math.log10(raw))
    width = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    count = max(1, math.ceil(top / width + 1e-9))
    counts = [0] * count
    clipped = 0
    for value in values:
        index = int(value // width)
        if index >= count:
            clipped += value > top
            index = count - 1
        counts[max(index, 0)] += 1
    bins = [(round(i * width, 6), round((i + 1) * width, 6), n) for i, n in enumerate(counts)]
    return bins, clipped, count * width
