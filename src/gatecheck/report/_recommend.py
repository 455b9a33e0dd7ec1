"""Recommendations drawn from failed checks: a table from check-id prefix to advice.

A check that failed because its target never answered (the runner's start-of-session
probe, message "unreachable: ...") says nothing about that check: such failures get one
"target unreachable" finding per target instead of per-check advice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["RECOMMENDATIONS", "Unreachable", "is_unreachable", "recommendation_for",
           "unreachable_targets"]

# Longest matching prefix wins, so "STR-O" advice beats the general "STR-" advice.
RECOMMENDATIONS: dict[str, str] = {
    "W-": "Return bodies that validate against the Chat Completions / Messages schemas "
          "(required fields, enum values such as finish_reason and stop_reason); the "
          "official SDKs parse these fields.",
    "AUTH-": "Answer missing or wrong credentials with 401 (403 for a valid key without "
             "permission) in the surface's error envelope, before routing or calling an "
             "upstream; never a retryable status for an auth failure.",
    "KEY-": "Make key management behave as documented: admin-only creation, keys usable "
            "at once, revoked keys rejected with 401.",
    "STR-O": "Follow the OpenAI stream grammar: data-only events, the same id/created in "
             "every chunk, one finish_reason per choice, the usage chunk just before "
             "[DONE], then [DONE] and close.",
    "STR-A": "Follow the Anthropic event order (message_start, content blocks, "
             "message_delta, message_stop) with event names equal to data.type and no "
             "[DONE].",
    "STR-": "Stream with text/event-stream framing and flush events as they are produced "
            "(no response buffering); errors known before the first byte get a JSON error, "
            "not a 200 stream.",
    "ERR-": "Map every error to its status and the surface's envelope (Appendix B of the "
            "checklist): 4xx for client mistakes, never 200 with an error body and never "
            "5xx for bad input; pass meaningful upstream statuses through.",
    "TOK-": "Pass upstream usage through exactly: totals add up, stream and non-stream "
            "agree, and Anthropic input_tokens excludes cache tokens.",
    "CORS-": "Answer preflights without credentials with 2xx and the Allow-* headers, and "
             "add Access-Control-Allow-Origin to every response, errors and streams "
             "included.",
    "ALIAS-": "Route every configured alias on both surfaces, list exactly the usable ids "
              "in /v1/models, and answer unknown models with 404 model_not_found.",
    "MOD-": "Serve /v1/models in the list shape (object, data[], unique ids, created in "
            "seconds) with the same auth as the other endpoints.",
    "HEALTH-": "Keep liveness unauthenticated and cheap, answer 503 when a dependency is "
               "down, and keep secrets out of health output.",
    "LIM-": "Answer limits with 413 or 429 in the surface's envelope, with a Retry-After "
            "the SDKs honour (0 < s <= 60), and preserve upstream rate-limit headers.",
    "HDR-": "Send a request id (x-request-id / request-id) and the right Content-Type on "
            "every response, errors and streams included.",
    "SDK-": "Fix what the official SDK could not parse (see the observed error): the "
            "SDKs are what most clients run.",
    "PERF-": "Investigate the latency figure against the load report before tuning.",
}
_GENERIC = "Fix the behaviour described in the failure, then rerun the failed check."


def recommendation_for(check_id: str) -> str:
    """The advice for a failed check id (longest known prefix), or a generic line."""
    best = max((p for p in RECOMMENDATIONS if check_id.startswith(p)), key=len, default=None)
    return RECOMMENDATIONS[best] if best is not None else _GENERIC


_AT_URL = re.compile(r"unreachable at (\S+?):? ")


@dataclass(frozen=True, slots=True)
class Unreachable:
    """One target whose checks all failed without an answer."""

    target: str
    url: str  # the URL that was tried (redacted), or "unknown URL"
    reason: str  # the probe's error, e.g. "ConnectError: [Errno 111] Connection refused"
    checks: int

    @property
    def advice(self) -> str:
        return (f"Target {self.target} did not answer at {self.url}: check that URL (targets."
                "toml or --base-url), that the gateway is running and listening there, and the "
                "network between gatecheck and it (proxy settings, firewall, container "
                "ports); then rerun. Its failed checks say nothing about conformance.")


def is_unreachable(record: dict[str, Any]) -> bool:
    """A failure of a check whose target never answered (no exchange to judge)."""
    return record.get("outcome") == "failed" and \
        str(record.get("message") or "").startswith("unreachable")


def unreachable_targets(records: Iterable[dict[str, Any]]) -> list[Unreachable]:
    """One entry per target with unreachable failures, in target order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if is_unreachable(record):
            found.setdefault(str(record.get("target")), []).append(record)
    out = []
    for target, group in sorted(found.items()):
        message = str(group[0].get("message"))
        match = _AT_URL.search(message)
        # the URL the probe tried (in its message) first, else the target's configured one
        url = match.group(1) if match else group[0].get("target_url") or "unknown URL"
        reason = message.split(": ", 1)[1] if ": " in message else message
        if match:  # "target 'x' unreachable at URL: Why" -> "Why"
            reason = message[match.end():].strip() or reason
        out.append(Unreachable(target, str(url), reason, len(group)))
    return out
