"""What the checks saw, shown beside their verdicts: the hand-written reports' examples, model
lists, token figures and timings, but measured and redacted.

Per category: one example exchange (a passed check's when there is one: what a good answer
of this gateway looks like; else the first recorded), and from the checks' observations
(``gatecheck.checks.observe``) the model list the target returned (MOD-*), the token figures
of the accounting checks (TOK-*) and the timed requests of PERF-1 as p50 / p90 / max.
Everything here comes from records already redacted where they were written.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MODELS_SHOWN", "Observed", "TimedKind", "TokenRow", "observed"]

MODELS_SHOWN = 60  # ids listed in a report; the rest are counted
_EXCERPT = 700  # characters of an example's request or response body shown
# The sources of a usage observation, in the order a table shows them.
_SOURCES = {"response": "response body", "stream": "stream", "upstream": "upstream (mock)"}


@dataclass(frozen=True, slots=True)
class Example:
    """One exchange of a category, trimmed for reading."""

    check_id: str
    variant: str
    outcome: str
    request: str  # "POST http://.../v1/chat/completions"
    request_body: str
    answer: str  # "HTTP 200 in 3 ms"
    response_body: str

    @property
    def response_lang(self) -> str:
        """The fence's language: JSON unless the body is a stream or plain text."""
        return "json" if self.response_body.lstrip()[:1] in ("{", "[") else "text"


@dataclass(frozen=True, slots=True)
class ModelList:
    target: str
    check_id: str
    variant: str
    ids: tuple[str, ...]  # at most MODELS_SHOWN
    count: int

    @property
    def left_out(self) -> int:
        return max(self.count - len(self.ids), 0)


@dataclass(frozen=True, slots=True)
class TokenRow:
    target: str
    check_id: str
    variant: str
    source: str  # "response body", "stream", "upstream (mock)"
    input: object
    output: object
    total: object  # as reported; "-" when the wire has no total (Anthropic)
    cached: object


@dataclass(frozen=True, slots=True)
class TimedKind:
    """The timed requests of one surface and kind (plain or streamed) of a target."""

    target: str
    surface: str
    kind: str  # "plain" or "stream"
    count: int
    succeeded: int
    e2e: tuple[str, str, str]  # p50, p90, max in ms ("-" when none was measured)
    first: tuple[str, str, str]  # ttfb (plain) or ttft (stream)

    @property
    def first_name(self) -> str:
        return "ttft" if self.kind == "stream" else "ttfb"


@dataclass(frozen=True, slots=True)
class Observed:
    """A category's observations (empty tuples when it has none)."""

    example: Example | None = None
    models: tuple[ModelList, ...] = ()
    tokens: tuple[TokenRow, ...] = ()
    timings: tuple[TimedKind, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.example or self.models or self.tokens or self.timings)


def _cut(text: object, size: object, truncated: object) -> str:
    """The first _EXCERPT characters; a cut says so, with the body's whole size in bytes."""
    text = "" if text is None else str(text)
    if len(text) <= _EXCERPT and not truncated:
        return text
    whole = f" of {size} bytes" if isinstance(size, int) else ""
    return text[:_EXCERPT] + f"\n… (an excerpt{whole})"


def _example(checks: Sequence[Any]) -> Example | None:
    def usable(check: Any) -> bool:
        ex = check.record.get("exchange")
        return isinstance(ex, dict) and ex.get("status") is not None
    chosen = next((c for c in checks if c.outcome == "passed" and usable(c)), None)
    chosen = chosen or next((c for c in checks if usable(c)), None)
    if chosen is None:
        return None
    ex = chosen.record["exchange"]
    return Example(str(chosen.check_id), chosen.variant, chosen.label,
                   f"{ex.get('method')} {ex.get('url')}",
                   _cut(ex.get("request_body"), ex.get("request_bytes"),
                        ex.get("request_truncated")),
                   chosen.exchange.answer,
                   _cut(ex.get("response_body"), ex.get("response_bytes"),
                        ex.get("response_truncated")))


def _int_or_dash(value: object) -> object:
    return value if isinstance(value, int) and not isinstance(value, bool) else "-"


def _pcts(values: Iterable[object]) -> tuple[str, str, str]:
    data = sorted(float(v) for v in values if isinstance(v, int | float))
    if not data:
        return ("-", "-", "-")
    if len(data) == 1:
        p50 = p90 = data[0]
    else:  # linear interpolation between closest ranks, as numpy's default
        cuts = statistics.quantiles(data, n=10, method="inclusive")
        p50, p90 = cuts[4], cuts[8]
    return tuple(f"{v:.1f}" for v in (p50, p90, data[-1]))  # type: ignore[return-value]


def _timings(check: Any, seen: dict[str, Any]) -> list[TimedKind]:
    rows = [r for r in seen.get("requests") or [] if isinstance(r, dict)]
    out = []
    for kind, streamed in (("plain", False), ("stream", True)):
        group = [r for r in rows if bool(r.get("stream")) is streamed]
        if not group:
            continue
        first = "ttft_ms" if streamed else "ttfb_ms"
        out.append(TimedKind(
            str(check.target), str(seen.get("surface") or "-"), kind, len(group),
            sum(1 for r in group if r.get("status") == 200),
            _pcts(r.get("e2e_ms") for r in group), _pcts(r.get(first) for r in group)))
    return out


def observed(checks: Sequence[Any]) -> Observed:
    """The observations of one category's checks (report order)."""
    models: list[ModelList] = []
    tokens: list[TokenRow] = []
    timings: list[TimedKind] = []
    for check in checks:
        seen = check.record.get("observations") or {}
        listing = seen.get("models")
        if isinstance(listing, dict) and isinstance(listing.get("ids"), list):
            ids = tuple(str(i) for i in listing["ids"])
            count = listing.get("count")
            models.append(ModelList(str(check.target), str(check.check_id), check.variant,
                                    ids[:MODELS_SHOWN],
                                    count if isinstance(count, int) else len(ids)))
        usage = seen.get("usage")
        if isinstance(usage, dict):
            for source, label in _SOURCES.items():
                row = usage.get(source)
                if isinstance(row, dict):
                    tokens.append(TokenRow(
                        str(check.target), str(check.check_id), check.variant, label,
                        _int_or_dash(row.get("input")), _int_or_dash(row.get("output")),
                        _int_or_dash(row.get("total")), _int_or_dash(row.get("cache_read"))))
        timed = seen.get("timings")
        if isinstance(timed, dict):
            timings += _timings(check, timed)
    return Observed(_example(checks), tuple(models), tuple(tokens), tuple(timings))
