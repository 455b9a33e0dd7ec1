"""The load generator's floor: what it adds by itself, from a direct run against the mock.

``gatecheck calibrate`` loads the mock with no gateway in between. Every request's added
ttft, itl and e2e (client figure - the mock's own) is then the measuring path alone: the
client's sends and reads, loopback, the mock's HTTP server. Their medians are the floor,
written to ``.gatecheck/calibration.json`` and subtracted from a later run's overhead, so
what is left is the gateway's. The self-check: that floor is small (added ttft p50 within
SELF_CHECK_MS of 0), or no overhead figure on this machine can be read to a millisecond.

The same run checks the client figures against the mock's known latency on every streamed
surface: ttft and itl p50 each within ACCURACY of the true value (the load generator's
goal in benchmarks/README.md: 1 % of the default 200 ms and 20 ms, i.e. 2 ms and 0.2 ms;
for a faster model those absolute bounds, since the mock's timer has millisecond
resolution).
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from gatecheck import UsageError

__all__ = ["ACCURACY", "CALIBRATION_FILE", "SELF_CHECK_MS", "accuracy_checks", "floor_from",
           "read_floor", "self_check", "write_calibration"]

CALIBRATION_FILE = Path(".gatecheck") / "calibration.json"
SCHEMA = "gatecheck.load.calibration/1"
SELF_CHECK_MS = 1.0
# figure -> (share of the true value, ms): its p50 may be off by the larger of the two
ACCURACY = {"ttft": (0.01, 2.0), "itl": (0.01, 0.2)}


def floor_from(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """The floor of a direct mock run's summary: p50 of each added figure (ms)."""
    added = (summary.get("overhead") or {}).get("added") or {}
    if not (added.get("e2e") or {}).get("count"):
        return None
    floor = {name: (added.get(name) or {}).get("p50") for name in ("ttft", "itl", "e2e")}
    return {name: value for name, value in floor.items() if isinstance(value, int | float)}


def self_check(summary: Mapping[str, Any]) -> tuple[bool | None, str]:
    """Whether a direct mock run shows ~0 overhead (added ttft, else e2e, p50 within 1 ms)."""
    added = (summary.get("overhead") or {}).get("added") or {}
    for name in ("ttft", "e2e"):
        p50 = (added.get(name) or {}).get("p50")
        if isinstance(p50, int | float):
            ok = abs(p50) <= SELF_CHECK_MS
            return ok, (f"overhead self-check: added {name} p50 {p50:.3f} ms on the direct "
                        f"mock ({'within' if ok else 'NOT within'} {SELF_CHECK_MS:g} ms of 0)")
    return None, "overhead self-check: no request was matched with the mock's timings"


def accuracy_checks(truth: Mapping[str, float],
                    summary: Mapping[str, Any]) -> list[tuple[str, bool, str]]:
    """Each ACCURACY figure, whether its p50 is within its bound of ``truth``, and a line."""
    latency = summary.get("latency_ms") or {}
    checks = []
    for name, (share, least_ms) in ACCURACY.items():
        true, bound = truth[name], max(share * truth[name], least_ms)
        rule = f"{share * 100:g} % or {least_ms:g} ms, the larger"
        p50 = (latency.get(name) or {}).get("p50")
        if not isinstance(p50, int | float):
            line = f"{name} p50 not measured (true {true:.2f} ms): NOT within ±{bound:.2f} ms"
            checks.append((name, False, f"accuracy: {line} ({rule})"))
            continue
        error = p50 - true
        ok = abs(error) <= bound
        checks.append((name, ok, f"accuracy: {name} p50 {p50:.2f} ms, true {true:.2f} ms: "
                                 f"{error:+.2f} ms ({error / true * 100:+.2f} %), "
                                 f"{'within' if ok else 'NOT within'} ±{bound:.2f} ms ({rule})"))
    return checks


def write_calibration(path: Path, summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """Write the floor of ``summary`` (a direct mock run) to ``path``; None: nothing to write."""
    floor = floor_from(summary)
    if floor is None:
        return None
    run = summary.get("run") or {}
    record = {
        "schema": SCHEMA, "floor_ms": floor, "host": socket.gethostname(),
        "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "users": run.get("users"), "surface": run.get("surface"),
        "directive": run.get("directive"), "self_check_ok": self_check(summary)[0],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n")
    return record


def read_floor(path: Path) -> dict[str, Any] | None:
    """The floor in ``path`` with where it came from; None when the file does not exist.

    A file that is there but unusable is a UsageError: a silent zero floor would pass the
    load generator's own cost off as the gateway's.
    """
    if not path.is_file():
        return None
    try:
        record = orjson.loads(path.read_bytes())
        floor = record["floor_ms"]
        values = {k: float(floor[k]) for k in ("ttft", "itl", "e2e") if k in floor}
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise UsageError(f"{path}: not a calibration file from gatecheck calibrate "
                         "(run it again, or delete the file)") from None
    return {**values, "source": str(path), "measured": record.get("measured"),
            "users": record.get("users")}
