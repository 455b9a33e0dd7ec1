"""Exact percentiles and distribution digests over raw samples (no buckets, no interpolation).

Locust rounds response times to about two significant digits so that workers can ship
histograms to the master; gatecheck keeps every sample and computes its figures here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["PERCENTILES", "describe", "percentile"]

# The percentiles every distribution in summary.json reports (keys "p50", "p90", ...).
PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of already sorted samples.

    The smallest sample such that at least ``p`` % of the samples are less than or equal to
    it: ``ordered[ceil(p / 100 * n) - 1]``. It is always a value that was measured (no
    interpolation between two samples), and it does not depend on how the samples were
    split across workers, only on their union.
    """
    if not ordered:
        raise ValueError("percentile of no samples")
    if not 0.0 < p <= 100.0:
        raise ValueError(f"percentile {p} is outside (0, 100]")
    rank = math.ceil(p / 100.0 * len(ordered) - 1e-9)  # 1e-9: 99.9 % of 1000 is rank 999
    return ordered[max(rank, 1) - 1]


def _key(p: float) -> str:
    return f"p{p:g}"


def describe(values: Iterable[float | None], *, digits: int = 3) -> dict[str, Any]:
    """count, mean, min, the PERCENTILES and max of the values that are not None.

    Figures are rounded to ``digits`` decimals (microseconds for milliseconds); with no
    values, every figure is None and count is 0.
    """
    ordered = sorted(v for v in values if v is not None)
    out: dict[str, Any] = {"count": len(ordered)}
    if not ordered:
        out.update({"mean": None, "min": None, **{_key(p): None for p in PERCENTILES},
                    "max": None})
        return out
    out["mean"] = round(math.fsum(ordered) / len(ordered), digits)
    out["min"] = round(ordered[0], digits)
    for p in PERCENTILES:
        out[_key(p)] = round(percentile(ordered, p), digits)
    out["max"] = round(ordered[-1], digits)
    return out
