"""The mock's ground truth joined to the client's samples, by nonce.

A run with a gatecheck mock behind the target marks every request with a nonce (see
``gatecheck.mock._timings``). The process that holds the samples (the master, or the only
process) polls ``GET /_mock/timings?since=N`` about once a second and fills each sample's
``mock_ttft``, ``mock_itl`` and ``mock_e2e`` from the row with its nonce. Rows and samples
arrive in either order (a worker ships its samples every few seconds), so whichever comes
first waits for the other, in bounded maps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from gatecheck.load._samples import Sample

__all__ = ["PAGE_ROWS", "GroundTruth"]

PAGE_ROWS = 20_000  # rows per GET; a poll reads at most MAX_PAGES of them
MAX_PAGES = 20
MAX_WAITING = 200_000  # rows (or samples) held for their other half before the oldest go

Fetch = Callable[[str], bytes]  # a path and query under the mock's root -> the body


class GroundTruth:
    """Joins rows of the mock's timing log to samples; ``poll`` reads new rows."""

    def __init__(self) -> None:
        self.cursor = 0  # the last row read
        self.lost = 0  # rows the mock's ring dropped before they were read
        self.orphans = 0  # rows or samples dropped unjoined (past MAX_WAITING)
        self.error: str | None = None  # the last poll's failure, if any
        self._rows: dict[str, tuple[Any, ...]] = {}  # nonce -> row, waiting for its sample
        self._samples: dict[str, Sample] = {}  # nonce -> sample, waiting for its row
        self._index: dict[str, int] | None = None  # field name -> column

    @property
    def waiting(self) -> int:
        """Samples still without their row."""
        return len(self._samples)

    def clear(self) -> None:
        self._rows.clear()
        self._samples.clear()

    def expect(self, samples: Iterable[Sample]) -> None:
        """Samples that arrived: joined now when their row came first, else kept waiting."""
        for sample in samples:
            if sample.nonce is None:
                continue
            row = self._rows.pop(sample.nonce, None)
            if row is not None:
                self._fill(sample, row)
            else:
                self._samples[sample.nonce] = sample
                self._bound(self._samples)

    def absorb(self, fields: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
        """Rows of the mock's log; returns how many joined a waiting sample."""
        self._index = {name: i for i, name in enumerate(fields)}
        joined = 0
        for raw in rows:
            row = tuple(raw)
            nonce = str(row[self._index["nonce"]])
            sample = self._samples.pop(nonce, None)
            if sample is not None:
                self._fill(sample, row)
                joined += 1
            else:
                self._rows[nonce] = row
                self._bound(self._rows)
        return joined

    def poll(self, fetch: Fetch) -> int:
        """Read every new row (bounded: MAX_PAGES pages); returns how many were read.

        A failed read is kept in ``error`` and retried at the next poll: the run goes on,
        and its summary says how many samples never got their row.
        """
        read = 0
        for _ in range(MAX_PAGES):
            try:
                page = orjson.loads(fetch(f"/_mock/timings?since={self.cursor}"
                                          f"&limit={PAGE_ROWS}"))
                rows, fields = page["rows"], page["fields"]
                first = rows[0][0] if rows else None
            except Exception as exc:  # the mock is the target's business: never the run's
                self.error = f"{type(exc).__name__}: {exc}"[:200]
                return read
            self.error = None
            if first is not None and first > self.cursor + 1:
                self.lost += first - self.cursor - 1
            self.absorb(fields, rows)
            read += len(rows)
            if rows:
                self.cursor = rows[-1][0]
            if len(rows) < PAGE_ROWS:
                break
        return read

    def _fill(self, sample: Sample, row: tuple[Any, ...]) -> None:
        index = self._index or {}
        sample.mock_ttft = _float(row[index["ttft"]])
        sample.mock_itl = _float(row[index["itl"]])
        sample.mock_e2e = _float(row[index["e2e"]])

    def _bound(self, waiting: dict[str, Any]) -> None:
        if len(waiting) > MAX_WAITING:  # the oldest half go (dicts keep insertion order)
            for key in list(waiting)[: MAX_WAITING // 2]:
                del waiting[key]
                self.orphans += 1


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
