"""A load run as reports read it, and the data its charts draw: the same requests as its table.

summary.json holds every figure; samples.jsonl feeds the charts. The charts count exactly
what the tables count: samples sent during the warm-up (before ``run.measured_from``) are
left out as the summary leaves them out, so a histogram's bars add up to the table's n,
and the requests/s chart covers the summary's own window (first send -> last completion)
with each request spread over its own lifetime (send -> end). Counting a request at its
send instant alone made a closed loop, whose users all send within a millisecond of each
other, read 0, 20, 0, 20 in buckets narrower than its cycle; spread over its lifetime it
reads the steady rate it is, and the chart's mean is the table's requests/s exactly.
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

__all__ = ["LoadRun", "Point", "bucket_width", "find_load", "histogram_bins", "over_time",
           "read_load"]

# Bucket widths for the over-time plots (seconds); the smallest giving <= _MAX_BUCKETS.
_WIDTHS = (0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
_MAX_BUCKETS = 40
_HIST_BINS = 30
_MIN_SENDS_PER_BUCKET = 2


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

    @property
    def end(self) -> float:
        """Epoch seconds the request ended (its send when it has no e2e)."""
        return self.t + (self.e2e or 0.0) / 1000.0


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
        """Epoch seconds the run's clock starts at: exact from measured_from - warmup_s,
        else the summary's run.started (whole seconds), else the first send."""
        measured, warmup = self.run.get("measured_from"), self.run.get("warmup_s") or 0.0
        if isinstance(measured, int | float) and isinstance(warmup, int | float):
            return float(measured) - float(warmup)
        started = self.run.get("started")
        if isinstance(started, str):
            try:
                return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        return min((p.t for p in self.points), default=None)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def find_load(run_dir: Path) -> Path | None:
    """The directory holding a load summary: RUN_DIR/load, or RUN_DIR itself."""
    for candidate in (run_dir / "load", run_dir):
        if (candidate / "summary.json").is_file():
            return candidate
    return None


def read_load(load_dir: Path, redactor: Any) -> LoadRun:
    """Read summary.json (and samples.jsonl when present) through the redactor.

    Samples sent before ``run.measured_from`` (the warm-up) are left out, as the summary's
    figures leave them out.
    """
    path = load_dir / "summary.json"
    try:
        summary = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(summary, dict):
        raise ValueError(f"{path}: expected a JSON object")
    run = summary.get("run")
    measured = run.get("measured_from") if isinstance(run, dict) else None
    cut = float(measured) if isinstance(measured, int | float) else None
    points: list[Point] = []
    samples = load_dir / "samples.jsonl"
    if samples.is_file():
        with samples.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                    point = Point(float(row["t"]), bool(row.get("ok")), _float(row.get("ttft")),
                                  _float(row.get("e2e")), _float(row.get("ttft_i")),
                                  _float(row.get("e2e_i")))
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    raise ValueError(f"{samples}:{number}: not a sample record") from None
                if cut is None or point.t >= cut:
                    points.append(point)
    points.sort(key=lambda p: p.t)
    return LoadRun(redactor.obj(summary), tuple(points))


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def bucket_width(duration_s: float, sends: int | None = None) -> float:
    """The smallest round width that cuts ``duration_s`` into <= 40 buckets.

    With ``sends`` it is also wide enough for two sends per bucket on average: narrower
    buckets of a sparse run hold 0 or 1 send each and the percentile plot becomes a comb.
    """
    floor = _MIN_SENDS_PER_BUCKET * duration_s / sends if sends else 0.0
    return next((w for w in _WIDTHS if duration_s / w <= _MAX_BUCKETS and w >= floor),
                _WIDTHS[-1])


def over_time(load: LoadRun, metric: str,
              pcts: Sequence[float] = (50.0, 90.0, 99.0)) -> dict[str, Any]:
    """Equal buckets over the run's window: percentiles of ``metric`` by send time, and the
    ok/failed request rates with each request spread over its lifetime.

    The window is the summary's: first send -> last completion; its n buckets (about
    :func:`bucket_width` each) cover it exactly. Returns {"width": s, "x": [bucket mid, s
    since the origin], "p50": [...], ..., "ok_rate": [...], "fail_rate": [...], "window":
    [start, end] s since the origin}; a bucket with no successful send has None percentiles.
    ``sum(ok_rate) * width`` is the number of successful requests.
    """
    origin = load.origin()
    if origin is None or not load.points:
        return {"width": 0.0, "x": []}
    start = min(p.t for p in load.points)
    span = max(max(p.end for p in load.points) - start, 1e-3)
    count = max(1, round(span / bucket_width(span, len(load.points))))
    width = span / count
    values: list[list[float]] = [[] for _ in range(count)]
    mass = {True: [0.0] * count, False: [0.0] * count}
    for p in load.points:
        first = min(int((p.t - start) / width), count - 1)
        if p.ok and (value := p.value(metric)) is not None:
            values[first].append(value)
        _spread(mass[p.ok], p.t - start, p.end - start, width, first)
    out: dict[str, Any] = {"width": round(width, 6), "window": [round(start - origin, 3),
                                                                round(start + span - origin, 3)],
                           "x": [round(start - origin + (i + 0.5) * width, 3)
                                 for i in range(count)]}
    for pct in pcts:
        out[f"p{pct:g}"] = [percentile(sorted(v), pct) if v else None for v in values]
    out["ok_rate"] = [round(m / width, 6) for m in mass[True]]
    out["fail_rate"] = [round(m / width, 6) for m in mass[False]]
    return out


def _spread(mass: list[float], begin: float, end: float, width: float, first: int) -> None:
    """Add one request to ``mass``, shared between buckets by how long it lasted in each."""
    length = end - begin
    last = min(int(end / width), len(mass) - 1) if length > 0 else first
    given = 0.0
    for i in range(first, last):
        share = (min(end, (i + 1) * width) - max(begin, i * width)) / length
        mass[i] += share
        given += share
    mass[last] += 1.0 - given  # the rest, floating-point edges included: never lost


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
