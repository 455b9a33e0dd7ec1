"""The Locust web UI's "gatecheck" tab: exact live figures, the gateway's overhead included.

Locust's own table rounds response times to two significant digits and stops at the
headers for a stream; this tab shows nearest-rank percentiles of the recent exact samples
(ttft, itl, e2e) and, with a gatecheck mock behind the target, what the target itself added
to them (see ``_summary.overhead``). It uses Locust's documented web UI extension points:
``extended_tabs`` / ``extended_tables`` in the page's template arguments, and
``extended_stats`` added to the ``/stats/requests`` answer the page polls every 2 s.
``/gatecheck/summary`` serves the whole summary of the samples so far, as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatecheck import default_redactor
from gatecheck.load._calibration import read_floor
from gatecheck.load._samples import Sample, SampleBook
from gatecheck.load._stats import describe
from gatecheck.load._summary import overhead, summarize

__all__ = ["RECENT", "extend", "live_rows"]

RECENT = 5000  # samples the tab describes: the latest ones (bounded work every 2 s)
_KEY = "gatecheck"
_COLUMNS = (("figure", "Figure (ms, exact)"), ("count", "n"), ("p50", "p50"), ("p90", "p90"),
            ("p99", "p99"), ("max", "max"))


def live_rows(samples: Sequence[Sample], floor: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per figure over ``samples``: client ttft, itl, e2e, then the overhead's."""
    ok = [s for s in samples if s.ok]
    rows = []
    for name in ("ttft", "itl", "e2e"):
        rows.append(_row(f"{name} (client)", describe(getattr(s, name) for s in ok)))
    gateway = overhead(samples, floor)
    if gateway is not None:
        for name in ("ttft", "itl", "e2e"):
            rows.append(_row(f"overhead {name} (target's own)", gateway[name]))
        rows.append({"figure": f"matched with the mock: {gateway['matched']}, unmatched: "
                               f"{gateway['unmatched']}", "count": "", "p50": "", "p90": "",
                     "p99": "", "max": ""})
    return [r for r in rows if r["count"] != 0]


def _row(figure: str, d: dict[str, Any]) -> dict[str, Any]:
    def cell(value: object) -> object:
        return round(value, 2) if isinstance(value, float) else value

    return {"figure": figure, "count": d["count"],
            **{k: cell(d.get(k)) for k in ("p50", "p90", "p99", "max")}}


def extend(environment: Any, book: SampleBook) -> None:
    """Add the tab, its rows in /stats/requests, and /gatecheck/summary to the web UI."""
    from flask import Response, jsonify, request

    web_ui = environment.web_ui
    web_ui.template_args["extended_tabs"] = [{"title": "gatecheck (exact)", "key": _KEY}]
    web_ui.template_args["extended_tables"] = [
        {"key": _KEY, "structure": [{"key": k, "title": t} for k, t in _COLUMNS]}]
    floor_cache: dict[str, Any] = {}

    def floor() -> dict[str, Any] | None:
        if "value" not in floor_cache:
            path = getattr(environment.parsed_options, "gatecheck_calibration", "") or ""
            floor_cache["value"] = read_floor(Path(path)) if path else None
        return floor_cache["value"]  # type: ignore[no-any-return]

    @web_ui.app.after_request  # type: ignore[untyped-decorator]
    def add_rows(response: Response) -> Response:
        if request.path != "/stats/requests" or not response.is_json:
            return response
        data = response.get_json()
        if isinstance(data, dict):
            rows = live_rows(book.samples[-RECENT:], floor())
            data["extended_stats"] = [{"key": _KEY, "data": rows}]
            response.set_data(json.dumps(data))
        return response

    def live_summary() -> Response:
        run = {"scenario": "live", "host": environment.host,
               "samples_so_far": len(book.samples)}
        summary = summarize(book.samples, run=run, health=book.health, floor=floor())
        return jsonify(default_redactor().obj(summary))

    web_ui.app.add_url_rule("/gatecheck/summary", "gatecheck_summary", live_summary)
