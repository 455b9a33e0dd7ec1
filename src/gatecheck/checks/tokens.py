"""Token-accounting judges: usage arithmetic, stream == non-stream, == mock ground truth (TOK-*)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatecheck import Wire, usage_from
from gatecheck.checks._common import as_object, excerpt
from gatecheck.checks._failures import ExchangeLike, expect, observe

__all__ = [
    "anthropic_usage_is_complete",
    "count_tokens_matches",
    "note_usage",
    "openai_usage_adds_up",
    "openai_usage_details_are_subsets",
    "output_tokens_counted",
    "usage_matches",
]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def openai_usage_adds_up(usage: Any, *, exchange: ExchangeLike | None = None) -> dict[str, Any]:
    """TOK-1: integer prompt/completion/total tokens >= 0 with total = prompt + completion.

    An empty `usage: {}` (gatewayz) or `total_tokens: 0` (the Puter worker) fails here.
    """
    counts = as_object(usage, "`usage` missing or not an object",
                       expected="{prompt_tokens, completion_tokens, total_tokens}",
                       exchange=exchange)
    trio = ("prompt_tokens", "completion_tokens", "total_tokens")
    expect(all(_int(counts.get(k)) for k in trio), "usage lacks non-negative integer counts",
           expected="integers " + ", ".join(trio), observed=excerpt(counts), exchange=exchange)
    total = counts["prompt_tokens"] + counts["completion_tokens"]
    expect(counts["total_tokens"] == total, "total_tokens != prompt_tokens + completion_tokens",
           expected=str(total), observed=str(counts["total_tokens"]), exchange=exchange)
    return counts


def openai_usage_details_are_subsets(usage: Mapping[str, Any], *,
                                     exchange: ExchangeLike | None = None) -> None:
    """TOK-2: cached_tokens <= prompt_tokens; reasoning_tokens <= completion_tokens."""
    pairs = (("prompt_tokens_details", "cached_tokens", "prompt_tokens"),
             ("completion_tokens_details", "reasoning_tokens", "completion_tokens"))
    for details_key, part, whole in pairs:
        details = usage.get(details_key)
        if not isinstance(details, dict) or details.get(part) is None:
            continue
        expect(_int(details[part]) and details[part] <= usage.get(whole, 0),
               f"{details_key}.{part} exceeds {whole}", expected=f"<= {usage.get(whole)}",
               observed=repr(details[part]), exchange=exchange)


def anthropic_usage_is_complete(usage: Any, *, exchange: ExchangeLike | None = None) -> None:
    """TOK-4 / TOK-5: integer input/output tokens; optional cache fields integers when present."""
    usage = as_object(usage, "`usage` missing or not an object",
                      expected="{input_tokens, output_tokens}", exchange=exchange)
    for key in ("input_tokens", "output_tokens"):
        expect(_int(usage.get(key)), f"usage.{key} is not a non-negative integer",
               expected="integer >= 0", observed=excerpt(usage), exchange=exchange)
    for key in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        value = usage.get(key)
        expect(value is None or _int(value), f"usage.{key} is not an integer or null",
               expected="integer or null", observed=repr(value), exchange=exchange)


def output_tokens_counted(output_tokens: Any, produced: str, *,
                          exchange: ExchangeLike | None = None) -> None:
    """TOK-6: output tokens > 0 whenever content was produced."""
    if produced:
        expect(_int(output_tokens) and output_tokens > 0,
               "content was produced but output tokens are 0 or missing",
               expected="> 0", observed=repr(output_tokens), exchange=exchange)


def usage_matches(observed: Mapping[str, Any], reference: Mapping[str, Any], keys: tuple[str, ...],
                  what: str, *, exchange: ExchangeLike | None = None) -> None:
    """TOK-3 / TOK-5 / ground truth: the named counts equal a reference run's counts exactly."""
    differing = {k: (observed.get(k), reference.get(k)) for k in keys
                 if observed.get(k) != reference.get(k)}
    expect(not differing, f"{what}: token counts differ",
           expected=", ".join(f"{k}={reference.get(k)}" for k in keys),
           observed=", ".join(f"{k}={observed.get(k)}" for k in keys), exchange=exchange)


def count_tokens_matches(count_body: Any, input_tokens: Any, *,
                         exchange: ExchangeLike | None = None) -> None:
    """TOK-7: count_tokens returns {"input_tokens": int} equal to the request's usage."""
    body = as_object(count_body, "count_tokens body is not an object",
                     expected='{"input_tokens": int}', exchange=exchange)
    expect(_int(body.get("input_tokens")), "count_tokens lacks an integer input_tokens",
           expected='{"input_tokens": int}', observed=excerpt(body), exchange=exchange)
    expect(body["input_tokens"] == input_tokens,
           "count_tokens disagrees with usage.input_tokens of the same request",
           expected=str(input_tokens), observed=str(body["input_tokens"]), exchange=exchange)


def note_usage(figures: dict[str, Any], source: str, wire: Wire, usage: Any) -> None:
    """Add what ``source`` reported ("response", "stream", or "upstream" for the mock's exact
    counts) to ``figures`` and record them as the check's "usage" observation.

    The report's token table reads it (prompt / completion / total as the gateway said);
    it never judges: the checks above do. Call it before judging, so a failed check still
    shows the figures it judged.
    """
    read = usage_from(wire, usage)
    row: dict[str, int | None] = {"input": read.input_tokens, "output": read.output_tokens}
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    row["total"] = total if _int(total) else None
    if read.cache_read_input_tokens is not None:
        row["cache_read"] = read.cache_read_input_tokens
    if read.cache_creation_input_tokens is not None:
        row["cache_creation"] = read.cache_creation_input_tokens
    figures.setdefault("wire", wire)
    figures[source] = row
    observe("usage", figures)
