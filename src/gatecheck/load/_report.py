"""The few lines `gatecheck load` and `gatecheck calibrate` print from a summary."""

from __future__ import annotations

from typing import Any

from gatecheck.console import say

__all__ = ["format_distribution", "headline", "print_summary"]

_ROWS = ("ttfb", "ttft", "itl", "e2e", "ttft_from_intended", "e2e_from_intended",
         "schedule_lag")
_PHASES = (("waiting_for_headers", "without response headers"),
           ("waiting_for_content", "with headers but no content yet"),
           ("mid_stream", "mid-stream"))


def format_distribution(name: str, d: dict[str, Any]) -> str:
    cells = "  ".join(f"{k} {d[k]:>9.1f}" for k in ("p50", "p90", "p99", "p99.9"))
    return f"  {name:<20} {cells}  (n={d['count']})"


def headline(summary: dict[str, Any]) -> str:
    """The first line: how many requests ended how, or why none did."""
    req, thr = summary["requests"], summary["throughput"]
    if not req["total"]:
        return "gatecheck: " + _nothing_finished(summary)
    rps, tps = thr["requests_per_s"], thr["output_tokens_per_s"]
    skipped = req.get("warmup_excluded") or 0
    return (f"gatecheck: {req['ok']} ok, {req['failed']} failed"
            + (f" (after {skipped} warm-up requests)" if skipped else "")
            + (f"; {rps:.1f} req/s, {tps:.0f} output tokens/s" if rps else ""))


def _nothing_finished(summary: dict[str, Any]) -> str:
    req, run = summary["requests"], summary.get("run") or {}
    cut = req.get("unfinished_at_stop") or {}
    waiting = sum(cut.values()) or req.get("unfinished") or 0
    ran = run.get("run_time_s")
    span = f" when the run stopped after {ran:g} s" if isinstance(ran, int | float) else ""
    if not waiting:
        skipped = req.get("warmup_excluded") or 0
        return ("no request finished after the warm-up" if skipped else
                "no request was sent (no user started: see locust.log)")
    parts = [f"{cut[k]} {words}" for k, words in _PHASES if cut.get(k)]
    how = f" ({', '.join(parts)})" if parts else ""
    silent = cut.get("waiting_for_headers", 0) == waiting and waiting
    return (f"no request finished: {waiting} were still waiting for the target{how}{span}"
            + ("; it accepted the connections but never answered" if silent else ""))


def print_summary(summary: dict[str, Any]) -> bool:
    """Print the headline figures; False when no request succeeded."""
    req = summary["requests"]
    say(headline(summary))
    for name in _ROWS:
        d = summary["latency_ms"].get(name)
        if d and d["count"]:
            say(format_distribution(f"{name} ms", d))
    per_request = summary["tokens"].get("output_tokens_per_s_per_request")
    if per_request and per_request["count"]:
        say(format_distribution("output tokens/s/req", per_request))
    _overhead(summary.get("overhead"))
    loop = summary.get("open_loop")
    if loop:
        achieved = loop.get("send_rate_per_s")
        say(f"  open loop: {loop['sent']} sent at {loop['rate_per_s']:g}/s ({loop['arrival']}"
            + (f", achieved {achieved:.1f}/s" if achieved else "")
            + f"), {loop['late']} late, {loop['dropped']} dropped")
    _capacity(summary.get("capacity"))
    for error, count in list(req["errors"].items())[:3]:
        say(f"  error x{count}: {error}")
    for warning in summary["warnings"]:
        say(f"gatecheck: warning: {warning}")
    return bool(req["ok"])


def _overhead(gateway: dict[str, Any] | None) -> None:
    if not gateway or not gateway.get("matched"):
        return
    floor = gateway.get("floor_ms")
    cut = (", ".join(f"{k} {floor[k]:.3f}" for k in ("ttft", "itl", "e2e") if k in floor)
           + f" ms, from {floor.get('source')}") if floor else "none (run gatecheck calibrate)"
    say(f"  overhead (the target's own, n={gateway['matched']}; load generator floor "
        f"subtracted: {cut})")
    for name in ("ttft", "itl", "e2e"):
        d = gateway.get(name) or {}
        if d.get("count"):
            say(format_distribution(f"overhead {name} ms", d))


def _capacity(capacity: dict[str, Any] | None) -> None:
    if not capacity:
        return
    for step in capacity.get("steps") or []:
        gateway = (step.get("overhead_ms") or {}).get("ttft") or {}
        p99 = gateway.get("p99")
        say(f"  step {step['users']:>5} users: {step['ok']} ok, {step['failed']} failed, "
            f"{step.get('requests_per_s') or 0:.1f} req/s"
            + (f", overhead ttft p99 {p99:.2f} ms" if isinstance(p99, int | float) else "")
            + f": {'met' if step['met'] else 'MISSED'} the SLO")
    result = capacity.get("result") or {}
    slo = " and ".join(capacity.get("slo") or [])
    users = result.get("users")
    say(f"gatecheck: capacity at {slo}: "
        + (f"{users} concurrent users" if users is not None else "none")
        + f" ({result.get('stopped')}, {result.get('steps')} steps)")
