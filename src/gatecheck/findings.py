"""Findings: the defects of a gateway, each once, with every check that witnessed it.

A failing check is a symptom; the operator needs the cause. Checks name what a failure
shows (``expect(..., cause="no-auth")``; each failed case of a check its own), and the
failures of a target are grouped by that cause, not by category: a gateway without
authentication is one finding, "accepts requests without any credential", witnessed by
the dozen checks it failed. A failure that names no known cause is its own finding. Each
finding has a stable id (the cause), a title, a severity (the strongest level among its
witnesses), the checks that witnessed it, evidence (the redacted exchange and a curl that
reproduces it) and one recommendation written for that defect.

``findings.json`` (``schemas/gatecheck/findings.json``) holds them beside results.jsonl.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import orjson

from gatecheck.results import CheckResult
from gatecheck.schemas import validator

__all__ = ["CAUSES", "EXPLAINED_BY", "OBSERVED_CAUSES", "Cause", "Evidence", "Finding",
           "derive_findings", "read_findings", "variant", "write_findings"]

Severity = Literal["high", "medium", "low", "info"]
_SEVERITY: Final[Mapping[str, Severity]] = {"MUST": "high", "SHOULD": "medium", "MAY": "low"}
_ORDER: Final = ("high", "medium", "low", "info")
MAX_EVIDENCE = 3  # exchanges kept per finding; the rest are counted
_BODY_CHARS = 300


@dataclass(frozen=True, slots=True)
class Cause:
    """A known defect: what it is, and what to do about it."""

    id: str
    title: str
    recommendation: str


def _causes(*rows: tuple[str, str, str]) -> dict[str, Cause]:
    ids = [row[0] for row in rows]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:  # a later row would silently replace an earlier one
        raise ValueError(f"cause ids listed twice: {', '.join(duplicated)}")
    return {row[0]: Cause(*row) for row in rows}


# Behaviours a run reports as info findings when a check saw them and passed (the gateway's
# own cool-down, a gateway declared without credentials): known, not failures.
OBSERVED_CAUSES: Final = frozenset({"cool-down", "no-credential"})

# A cause that another one, seen on the same target, explains: one defect, one fix. A
# gateway that serves a request with no credential checks no key, so it serves a wrong or
# revoked one too (AUTH-4, ERR-3's wrong-key SDK call), and its operator has one thing to do.
EXPLAINED_BY: Final[Mapping[str, str]] = {"wrong-key-accepted": "no-auth"}

# Written for each defect, from the wire references; never "see the docs".
CAUSES: Final[Mapping[str, Cause]] = _causes(
    ("no-credential", "Takes no credential of its own (auth.scheme = none)",
     "Anyone who can reach the gateway can use it, with whatever provider credentials it "
     "holds or is sent: keep it on a private network, or put authentication in front of it "
     "and declare that in the target."),
    ("no-auth", "Accepts requests without any credential",
     "Require a credential on every model route and answer 401, in the surface's envelope, "
     "when none is sent; a gateway that forwards the client's key upstream still needs a "
     "credential of its own, or anyone who can reach it spends its upstream's quota."),
    ("wrong-key-accepted", "Accepts a wrong or revoked key",
     "Check every key against the key store before routing and answer 401 for a key that "
     "does not match or was revoked."),
    ("auth-status", "Rejects missing or wrong credentials with a status other than 401",
     "Answer missing, malformed and wrong credentials with 401: the official SDKs choose "
     "AuthenticationError from the status alone, and a 400 or 403 sends users hunting for "
     "a bad request or a permission problem."),
    ("auth-retryable", "Answers auth failures with a status SDKs retry",
     "Never answer an auth failure with 408, 409, 429 or 5xx: SDKs retry those, so a bad "
     "key turns into three silent retries and a slow error."),
    ("permission-status", "A key without the permission is not refused with 403",
     "Answer a valid key used outside its permissions with 403 permission_error."),
    ("bad-request-5xx", "Malformed or invalid request bodies are answered 5xx",
     "Parse and validate the body before routing, and answer malformed JSON, missing fields "
     "and wrong types with 400 invalid_request_error in the surface's envelope; a 5xx makes "
     "SDKs retry a request that can never succeed."),
    ("bad-request-accepted", "Invalid request bodies are answered 2xx",
     "Refuse bodies the wire reference forbids with 400, as the provider would, instead of "
     "passing them on or quietly changing them (Portkey clamps an out-of-range temperature "
     "into range): the client never learns its request was not what ran."),
    ("openai-envelope", "OpenAI-route errors are not in OpenAI's error envelope",
     "Answer every error on the OpenAI routes as {\"error\": {\"message\", \"type\", "
     "\"param\", \"code\"}} with string (or null) values; clients read error.message and "
     "error.code, and a {\"detail\"} or {\"status\": \"failure\"} body loses the reason."),
    ("anthropic-envelope", "Anthropic-route errors are not in Anthropic's error envelope",
     "Answer every error on /v1/messages as {\"type\": \"error\", \"error\": {\"type\", "
     "\"message\"}} with one of Anthropic's error types, including the gateway's own auth "
     "and validation errors: the Anthropic SDK and Claude Code parse that shape."),
    ("error-type-null", "Error bodies or events carry a null or non-string type",
     "Always fill the error type with the surface's type for the status (e.g. api_error, "
     "server_error); a null type breaks clients that switch on it."),
    ("error-status-type", "Error types do not match their statuses",
     "Use the error type Appendix B gives for each status (e.g. 429 rate_limit_error, "
     "529 overloaded_error)."),
    ("error-200", "Errors are answered with 200",
     "Never relay an error body with 200: map it to the error's own status, so SDKs raise "
     "instead of parsing an error as a completion."),
    ("error-content-type", "Error bodies are not application/json",
     "Send every error body as application/json."),
    ("upstream-status-lost", "Upstream error statuses are not propagated",
     "Pass the upstream's meaningful status through (400, 404, 429, 529/503) instead of "
     "collapsing it to 500, keeping the upstream's type, param and code."),
    ("upstream-auth-as-client", "The upstream's rejection of the gateway's own key reaches "
     "the client as its own 401/403",
     "Answer an upstream 401/403 about the gateway's own credentials with 502 (or 503): the "
     "client cannot fix the gateway's key, and a 401 tells it its own key is wrong."),
    ("unreachable-upstream", "An unreachable upstream is not answered 502/503/504 promptly",
     "When the upstream cannot be reached, answer 502 (or 503/504 for a timeout) quickly, in "
     "the surface's envelope, without connection internals or the upstream's address."),
    ("error-leaks", "Error messages leak internals",
     "Keep tracebacks, language reprs, upstream addresses and credentials out of client "
     "messages; log them server-side with the request id."),
    ("retry-after-dropped", "The upstream's Retry-After does not reach the client",
     "Forward the standard Retry-After header on a relayed 429/503 (a vendor-prefixed copy "
     "is not read by the SDKs), so clients wait as long as the upstream asked."),
    ("retry-amplification", "The gateway retries an upstream 429/5xx itself",
     "Do not retry an upstream 429 behind the client's back (or say so and cap it): the "
     "client's SDK retries too, multiplying the load and the wait."),
    ("rate-limit-response", "The gateway's own 429 lacks the envelope, code or Retry-After",
     "Answer a limit with 429 in the surface's envelope (rate_limit_exceeded / "
     "rate_limit_error) and an integer Retry-After the SDKs honour."),
    ("not-json", "API answers that are not JSON",
     "Answer the API routes with JSON bodies (an HTML page or plain text in front of the API "
     "is no answer): the official SDKs parse every answer as JSON and fail on anything else."),
    ("stream-options-accepted", "stream_options is accepted without stream",
     "Answer stream_options on a request without stream: true with 400 "
     "invalid_request_error, param \"stream_options\", as OpenAI's API does; accepting it "
     "hides a client's mistake (it expected a stream and its usage chunk)."),
    ("stream-cut-silently", "A stream cut upstream ends without an error event",
     "When the upstream stream breaks, send an error event (OpenAI: a data: {\"error\"} "
     "chunk; Anthropic: event: error) before closing, so clients do not take a truncated "
     "answer for a complete one."),
    ("stream-grammar", "Stream events do not follow the surface's grammar",
     "Emit the surface's event sequence exactly (OpenAI chunks ending in [DONE]; Anthropic "
     "message_start ... message_stop with named events)."),
    ("usage-chunk-choices", "The usage chunk carries non-empty choices",
     "Send the include_usage chunk with \"choices\": [] as OpenAI does; clients that read "
     "the last chunk's choices otherwise see a phantom empty delta."),
    ("usage-wrong", "Token usage is missing or differs from what the upstream counted",
     "Pass the upstream's usage through exactly, in the surface's field names."),
    ("request-id-missing", "Responses carry no request id header",
     "Send x-request-id (OpenAI surface) and request-id (Anthropic surface) on every answer, "
     "errors and streams included: SDKs expose them, and support needs them."),
    ("no-cors", "No CORS support",
     "Answer preflights (OPTIONS) without credentials and add Access-Control-Allow-* headers "
     "so browser SDKs can call the gateway, or document that it is server-side only."),
    ("cors-incomplete", "CORS answers lack what browser SDKs need",
     "Allow and expose the headers the SDKs send and read (authorization, x-api-key, "
     "anthropic-version, x-request-id, retry-after)."),
    ("no-health", "No health endpoint",
     "Serve a cheap unauthenticated liveness path (e.g. /health) that answers 200 without "
     "calling a model, for load balancers and orchestrators."),
    ("forwards-client-key", "The client's own key, or a placeholder, reaches the upstream",
     "Send the upstream its provider key only; never forward the client's gateway key, and "
     "never send a placeholder such as \"Bearer undefined\" when none is configured."),
    ("cool-down", "Cools a model down after upstream errors and answers 429 itself",
     "Say so in the 429 (and in the docs), keep the window short, and do not start it on "
     "errors the client caused (a 404 for an unknown route, a 400): other clients' "
     "requests fail meanwhile without reaching the upstream."),
    ("unknown-model-status", "An unknown model is not answered 404",
     "Answer a model the gateway does not serve with 404 (OpenAI: code model_not_found; "
     "Anthropic: not_found_error), never 400, 500 or a substitute model."),
    ("model-echo", "The response model is not the requested or the resolved name",
     "Echo the model the client asked for, or the resolved upstream model, consistently, "
     "and never an internal routing name such as openai/… or hosted_vllm/…."),
    ("models-list", "/v1/models does not list what the gateway serves",
     "List exactly the models (and aliases) a client can use, in the surface's shape."),
    ("buffering", "Streams are buffered instead of sent as generated",
     "Flush each event as it arrives from the upstream (no response buffering or "
     "compression of text/event-stream)."),
    ("limits", "Body or message limits are not enforced in the surface's envelope",
     "Refuse bodies over the limit with 413 (request_too_large) in the surface's envelope."),
    ("sdk-breaks", "An official SDK call fails against the gateway",
     "Fix the wire difference the SDK trips on (named in the evidence)."),
    ("stale-deviation", "A known deviation no longer reproduces",
     "The gateway now passes the check: remove the deviation from the target's profile."),
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One witnessing failure: which check, what it saw, and how to reproduce it."""

    check_id: str
    test: str
    message: str
    case: str | None = None
    observed: str | None = None
    request: str | None = None  # "POST http://.../v1/chat/completions"
    status: int | None = None
    response: str | None = None  # the start of the (redacted) response body
    curl: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One defect of one target."""

    id: str  # the cause id, or "<check id>/<test>" for a failure of no known cause
    target: str
    title: str
    severity: Severity
    checks: tuple[str, ...]  # the check ids that witnessed it, in report order
    witnesses: int  # failed cases and checks in all
    recommendation: str
    evidence: tuple[Evidence, ...] = field(default=())
    more_evidence: int = 0  # witnesses beyond the evidence shown

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _evidence(result: CheckResult, message: str, case: str | None, observed: object,
              exchange: Mapping[str, Any] | None) -> Evidence:
    exchange = exchange or {}
    request = (f"{exchange.get('method', '')} {exchange.get('url', '')}".strip()
               if exchange else None)
    status, body = exchange.get("status"), exchange.get("response_body")
    return Evidence(check_id=result.check_id, test=variant(result), message=message,
                    case=case, observed=None if observed is None else str(observed)[:500],
                    request=request or None,
                    status=status if isinstance(status, int) else None,
                    response=str(body)[:_BODY_CHARS] if body else None,
                    curl=exchange.get("curl") if isinstance(exchange.get("curl"), str) else None)


def variant(result: CheckResult) -> str:
    """The test and its parameters, the target's name left out: test_x[openai]."""
    base, _, params = result.test.rpartition("::")[2].partition("[")
    kept = [p for p in params.rstrip("]").split("-") if p and p != result.target]
    return f"{base}[{'-'.join(kept)}]" if kept else base


def _witnesses(result: CheckResult) -> Iterable[tuple[str | None, Evidence]]:
    """(cause, evidence) per failed case of a failed result (the result itself if none)."""
    if result.stale:
        yield "stale-deviation", _evidence(result, result.message or "", None, None, None)
        return
    if result.cases:
        for case in result.cases:
            yield (case.cause or result.cause,
                   _evidence(result, case.message, case.label, case.observed, case.exchange))
        return
    yield result.cause, _evidence(result, result.message or "", None, result.observed,
                                  result.exchange)


def _cool_down_text(seen: Mapping[str, Any]) -> str:
    """What a check's "cool-down" observation says (gatecheck.pytest._cooldown)."""
    text = (f"the gateway answered {seen.get('status')} itself, without calling the upstream; "
            f"gatecheck waited {seen.get('waited_s')} s and sent the request again")
    low, high = seen.get("lasted_at_least_s"), seen.get("lasted_at_most_s")
    if isinstance(low, int | float) and isinstance(high, int | float):
        text += f"; the cool-down lasted {low:g} to {high:g} s after the upstream error"
    if seen.get("passed_after_wait") is False:
        text += "; it was still on after the wait"
    return text


def _seen(result: CheckResult) -> list[tuple[str | None, Evidence, bool]]:
    """(cause, evidence, observed only) for each witness one result gives."""
    observed_only = result.cause in OBSERVED_CAUSES and result.outcome != "failed"
    witnesses = [(cause, evidence, observed_only) for cause, evidence in _witnesses(result)
                 ] if result.outcome == "failed" or observed_only else []
    cooled = result.observations.get("cool-down")
    if isinstance(cooled, dict) and result.cause != "cool-down":
        # A cool-down a check waited out between its own requests (ERR-5): the gateway's
        # behaviour, seen whatever the check's verdict.
        witnesses.append(("cool-down", _evidence(result, _cool_down_text(cooled), None,
                                                 None, None), True))
    return witnesses


def derive_findings(results: Sequence[CheckResult]) -> list[Finding]:
    """Group the failures (and the gateway's own observed behaviours) of every target by
    cause; most severe first, then by how many checks witnessed them."""
    seen = [(result, *witness) for result in results for witness in _seen(result)]
    present = {(result.target, cause) for result, cause, _, _ in seen}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for result, cause, evidence, info in seen:
        root = EXPLAINED_BY.get(cause or "")
        if root is not None and (result.target, root) in present:
            cause = root
        known = CAUSES.get(cause or "")
        key_id = known.id if known else f"{result.check_id}/{_slug(evidence.test)}"
        group = groups.setdefault((result.target, key_id), {
            "cause": known, "title": known.title if known else (
                f"{result.title}: {evidence.message.splitlines()[0][:120]}"),
            "levels": set(), "checks": [], "evidence": [], "info": True})
        group["levels"].add(result.level)
        group["info"] &= info
        if result.check_id not in group["checks"]:
            group["checks"].append(result.check_id)
        group["evidence"].append(evidence)
    findings = []
    for (target, key_id), group in groups.items():
        known_cause: Cause | None = group["cause"]
        severity: Severity = "info" if group["info"] else next(
            _SEVERITY[level] for level in ("MUST", "SHOULD", "MAY") if level in group["levels"])
        evidence = group["evidence"]
        findings.append(Finding(
            id=key_id, target=target, title=group["title"], severity=severity,
            checks=tuple(group["checks"]), witnesses=len(evidence),
            recommendation=known_cause.recommendation if known_cause else (
                "Fix what the check names (its evidence below shows the exchange); no "
                "known cause of gatecheck's covers it."),
            evidence=tuple(evidence[:MAX_EVIDENCE]),
            more_evidence=max(len(evidence) - MAX_EVIDENCE, 0)))
    return sorted(findings, key=lambda f: (_ORDER.index(f.severity), -len(f.checks),
                                           -f.witnesses, f.target, f.id))


def write_findings(path: Path, findings: Sequence[Finding]) -> None:
    """findings.json: a list of findings (schemas/gatecheck/findings.json)."""
    data = [finding.to_json() for finding in findings]
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def read_findings(path: Path) -> list[Finding]:
    """The findings of a findings.json (validated against its schema)."""
    data = orjson.loads(path.read_bytes())
    error = next(iter(validator("gatecheck/findings").iter_errors(data)), None)
    if error is not None:
        raise ValueError(f"{path}: {error.message}")
    return [Finding(**{**item, "checks": tuple(item["checks"]),
                       "evidence": tuple(Evidence(**e) for e in item["evidence"])})
            for item in data]
