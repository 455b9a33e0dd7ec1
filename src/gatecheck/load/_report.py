"""The few lines `gatecheck load` and `gatecheck calibrate` print from a summary.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

__all__ = ["format_distribution", "print_summary"]

_ROWS = ("ttfb", "ttft", "itl", "e2e", "ttft_from_intended", "e2e_from_intended",
         "schedule_lag")


def format_distribution(name: str, d: dict[str, Any]) -> str:
    cells = "  ".join(f"{k} {d[k]:>9.1f}" for k in ("p50", "p90", "p99", "p99.9"))
    return f"  {name:<20} {cells}  (n={d['count']})"


def print_summary(path: Path) -> bool:
    """Print the headline figures; False when no request succeeded."""
    summary = orjson.loads(path.read_bytes())
    req, thr = summary["requests"], summary["throughput"]
    rps = thr["requests_per_s"]
    tps = thr["output_tokens_per_s"]
    skipped = req.get("warmup_excluded") or 0
    print(f"gatecheck: {req['ok']} ok, {req['failed']} failed"
          + (f" (after {skipped} warm-up requests)" if skipped else "")
          + (f"; {rps:.1f} req/s, {tps:.0f} output tokens/s" if rps else ""))
    for name in _ROWS:
        d = summary["latency_ms"].get(name)
        if d and d["count"]:
            print(format_distribution(f"{name} ms", d))
    per_request = summary["tokens"].get("output_tokens_per_s_per_request")
    if per_request and per_request["count"]:
        print(format_distribution("output tokens/s/req", per_request))
    loop = summary.get("open_loop")
    if loop:
        achieved = loop.get("send_rate_per_s")
        print(f"  open loop: {loop['sent']} sent at {loop['rate_per_s']:g}/s ({loop['arrival']}"
              + (f", achieved {achieved:.1f}/s" if achieved else "")
              + f"), {loop['late']} late, {loop['dropped']} dropped")
    for error, count in list(req["errors"].items())[:3]:
        print(f"  error x{count}: {error}")
    for warning in summary["warnings"]:
        print(f"gatecheck: warning: {warning}")
    return bool(req["ok"])
