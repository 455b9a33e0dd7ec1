"""One exact record per request, and the buffer that ships records from workers to the master.

Every process that runs users appends a ``Sample`` per finished request to a ``SampleBook``.
Workers drain it into Locust's periodic worker report (``report_to_master``: the message
that carries Locust's own statistics) and the master appends what arrives; at the end the
master asks each worker for its last rows and waits for them (``users._flush_workers``). A
run without workers reads its own book. The union is written once, as ``samples.jsonl``,
and summarised.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import orjson

from gatecheck import (
    Stamps,
    e2e,
    e2e_from_intended,
    itl,
    schedule_lag,
    ttfb,
    ttft,
    ttft_from_intended,
)

__all__ = ["BURST_GAP_MS", "Sample", "SampleBook", "content_bursts", "read_samples",
           "sample_from", "write_samples"]

# Content events closer together than this arrived in one burst: no model generates a token
# in under a millisecond, so such events were held back and released together.
BURST_GAP_MS = 1.0
_BURST_GAP_NS = int(BURST_GAP_MS * 1_000_000)


@dataclass(slots=True)
class Sample:
    """What one request measured. Times are ms (None: undefined for this request)."""

    t: float  # wall-clock send time (epoch seconds), to place the request in the run
    kind: str  # "chat" (non-stream) or "stream"
    ok: bool
    status: int = 0  # HTTP status; 0 when no response arrived
    error: str | None = None  # why the request failed (status, transport or stream error)
    ttfb: float | None = None
    ttft: float | None = None
    itl: float | None = None
    e2e: float | None = None
    lag: float | None = None  # open loop: actual send - intended send
    ttft_i: float | None = None  # open loop: ttft from the intended send
    e2e_i: float | None = None  # open loop: e2e from the intended send
    out_tokens: int | None = None  # from usage, never from chunk counts
    in_tokens: int | None = None
    events: int = 0  # content events (chunks or content_block_deltas) received
    bursts: int = 0  # runs of content events separated by gaps >= BURST_GAP_MS
    node: str = ""  # the process that sent it
    nonce: str | None = None  # the mark the mock times it by (runs with a mock behind)
    # The mock's own figures for this request (ms from when it reached the mock), joined
    # by nonce from GET /_mock/timings: the ground truth the overhead is measured against.
    mock_ttft: float | None = None
    mock_itl: float | None = None
    mock_e2e: float | None = None

    def to_row(self) -> tuple[Any, ...]:
        return _row(self)

    @classmethod
    def from_row(cls, row: Iterable[Any]) -> Sample:
        return cls(*row)

    @property
    def tpot_e2e(self) -> float | None:
        """e2e / output tokens (from usage)."""
        if self.e2e is None or not self.out_tokens or self.out_tokens <= 0:
            return None
        return self.e2e / self.out_tokens


FIELDS = tuple(f.name for f in fields(Sample))
_row = operator.attrgetter(*FIELDS)  # far cheaper than dataclasses.astuple (no deep copy)


def content_bursts(content_ns: list[int]) -> int:
    """How many runs of content events arrived, a new run starting after a gap >= 1 ms."""
    if not content_ns:
        return 0
    runs = 1
    for before, after in itertools.pairwise(content_ns):
        if after - before >= _BURST_GAP_NS:
            runs += 1
    return runs


def sample_from(
    stamps: Stamps, *, t: float, kind: str, ok: bool, status: int, error: str | None,
    in_tokens: int | None, node: str, nonce: str | None = None,
) -> Sample:
    """A Sample from the core timing model's stamps (one formula per name, gatecheck._timing)."""
    return Sample(
        t=t, kind=kind, ok=ok, status=status, error=error,
        ttfb=ttfb(stamps), ttft=ttft(stamps), itl=itl(stamps), e2e=e2e(stamps),
        lag=schedule_lag(stamps), ttft_i=ttft_from_intended(stamps),
        e2e_i=e2e_from_intended(stamps), out_tokens=stamps.output_tokens,
        in_tokens=in_tokens, events=len(stamps.content_ns),
        bursts=content_bursts(stamps.content_ns), node=node, nonce=nonce,
    )


class SampleBook:
    """Samples and client-health readings of one process (or, on the master, of all)."""

    __slots__ = ("_sent", "cut", "dropped", "health", "samples", "started")

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.health: dict[str, dict[str, list[float]]] = {}  # node -> {"cpu": [...], "lag": [...]}
        self.dropped: dict[str, int] = {}  # node -> open-loop arrivals it skipped (cumulative)
        self.started: dict[str, int] = {}  # node -> requests it began sending (cumulative)
        self.cut: dict[str, dict[str, int]] = {}  # node -> requests the stop cut, by phase
        self._sent = 0  # samples already drained into a worker report

    def clear(self) -> None:
        self.samples.clear()
        self.health.clear()
        self.dropped.clear()
        self.started.clear()
        self.cut.clear()
        self._sent = 0

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    def add_health(self, node: str, cpu: list[float], lag: list[float]) -> None:
        entry = self.health.setdefault(node, {"cpu": [], "lag": []})
        entry["cpu"].extend(cpu)
        entry["lag"].extend(lag)

    def drain(self) -> list[tuple[Any, ...]]:
        """The rows not yet drained (a worker ships them with its next report)."""
        rows = [s.to_row() for s in self.samples[self._sent:]]
        self._sent = len(self.samples)
        return rows

    def receive(self, rows: Iterable[Iterable[Any]]) -> list[Sample]:
        """Rows from a worker report (master side); returns the new samples."""
        arrived = [Sample.from_row(r) for r in rows]
        self.samples.extend(arrived)
        return arrived

    def cut_total(self) -> dict[str, int]:
        """Requests the run's stop cut, by phase, over every process."""
        out: dict[str, int] = {}
        for phases in self.cut.values():
            for phase, count in phases.items():
                out[phase] = out.get(phase, 0) + count
        return out


def write_samples(path: Path, samples: Iterable[Sample]) -> None:
    """One JSON object per line, fields in Sample order."""
    with path.open("wb") as out:
        for s in samples:
            out.write(orjson.dumps(dict(zip(FIELDS, s.to_row(), strict=True))))
            out.write(b"\n")


def read_samples(path: Path) -> Iterator[Sample]:
    """The samples of a samples.jsonl (unknown keys are ignored, missing ones defaulted)."""
    with path.open("rb") as src:
        for line in src:
            if line.strip():
                data = orjson.loads(line)
                yield Sample(**{k: v for k, v in data.items() if k in FIELDS})
