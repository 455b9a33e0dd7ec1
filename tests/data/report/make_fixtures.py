"""Regenerate the report fixtures: two runs (a, b) with results.jsonl and a ramp load run.

Run from the repository root: ``.venv/bin/python tests/data/report/make_fixtures.py``.
The output is deterministic (seeded), so regenerating changes nothing unless this script
or the load summary's code changed; the snapshot tests then show what moved.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from gatecheck.load import Sample, summarize, write_samples

HERE = Path(__file__).parent
URL = "http://127.0.0.1:8080/v1"
STARTED = 1795256100.0  # 2026-11-21T10:15:00Z


def exchange(method, path, status, body, *, req=None, ms=12.5, stream=False):
    url = URL.removesuffix("/v1") + path
    data = f" \\\n  --data-raw '{req}'" if req else ""
    return {
        "method": method, "url": url, "status": status, "duration_ms": ms, "error": None,
        "stream": stream, "request_body": req,
        "request_headers": [["authorization", "Bearer [REDACTED]"],
                            ["content-type", "application/json"]],
        "response_headers": [["content-type", "application/json"], ["x-request-id", "req_01"]],
        "response_body": body,
        "curl": f"curl -sS -X {method} '{url}' \\\n  -H \"authorization: Bearer "
                f"$GATECHECK_API_KEY\" \\\n  -H 'content-type: application/json'{data}",
    }


CHAT = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}'

# (category, id, level, title, test, outcome, extra)
CHECKS = [
    ("Health", "HEALTH-1", "SHOULD", "Liveness is unauthenticated and cheap", "test_liveness",
     "passed", {}),
    ("Health", "HEALTH-3", "SHOULD", "Readiness answers 503 when a dependency is down",
     "test_readiness_down", "passed", {}),
    ("Keys", "KEY-1", "MUST", "Only the admin key creates keys", "test_admin_only", "passed", {}),
    ("Keys", "KEY-4", "SHOULD", "Revoked keys are rejected at once", "test_revoked",
     "skipped", {"message": "target 'reference' does not claim 'key-revocation'"}),
    ("Authentication", "AUTH-1", "MUST", "Valid bearer key is accepted", "test_valid_key",
     "passed", {}),
    ("Authentication", "AUTH-3", "MUST", "Missing credentials get 401", "test_missing_key",
     "passed", {}),
    ("Authentication", "AUTH-5", "MUST", "A wrong key gets 401, not 403", "test_wrong_key",
     "failed", {"message": "wrong key answered 403", "expected": "401 in the error envelope",
                "observed": "403 {\"error\": \"Invalid bearer token\"}",
                "exchange": exchange("POST", "/v1/chat/completions", 403,
                                     '{"error": "Invalid bearer token"}', req=CHAT)}),
    ("Completions", "W-1", "MUST", "Chat completion body validates", "test_chat_body",
     "passed", {}),
    ("Completions", "W-2", "MUST", "finish_reason is one of the enum values",
     "test_finish_reason", "passed", {}),
    ("Completions", "W-8", "SHOULD", "Anthropic stop_reason maps from finish_reason",
     "test_stop_reason", "warned",
     {"warnings": ["stop_reason 'end_turn' came from an OpenAI upstream's 'length'"]}),
    ("Streaming", "STR-O2", "MUST", "Stream ends with [DONE]", "test_done", "passed", {}),
    ("Streaming", "STR-O7", "MUST", "include_usage adds one usage chunk before [DONE]",
     "test_usage_chunk", "xfailed",
     {"message": "known deviation: usage chunk arrives after [DONE] (targets.toml)"}),
    ("Streaming", "STR-A2", "MUST", "Anthropic events come in order", "test_event_order",
     "passed", {}),
    ("Streaming", "STR-4", "SHOULD", "Events are flushed as they are produced",
     "test_no_buffering", "failed",
     {"message": "48 of 50 content events arrived in one burst after 1.9 s",
      "expected": "content events spread over the generation (mock itl 20 ms)",
      "observed": "2 bursts; first content at 1912 ms, e2e 1915 ms",
      "exchange": exchange("POST", "/v1/chat/completions", 200,
                           'data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n'
                           "data: [DONE]\n\n", req=CHAT, ms=1915.2, stream=True)}),
    ("Models", "MOD-1", "MUST", "/v1/models has the list shape", "test_models_shape",
     "passed", {}),
    ("Errors", "ERR-6", "MUST", "Malformed requests get 400 in the envelope",
     "test_empty_messages", "failed",
     {"message": "empty messages answered 500",
      "expected": "400 with {error:{message,type,param,code}}",
      "observed": "500 text/html '<html><script>alert(\"x\")</script>Internal Server Error'",
      "exchange": exchange("POST", "/v1/chat/completions", 500,
                           '<html><script>alert("x")</script>Internal Server Error</html>',
                           req='{"model":"gpt-4o-mini","messages":[]}')}),
    ("Errors", "ERR-10", "MAY", "Retryable errors carry should-retry", "test_should_retry",
     "skipped", {"message": "target 'reference' does not claim 'should-retry'"}),
    ("Tokens", "TOK-1", "MUST", "usage totals add up", "test_usage_totals", "passed", {}),
    ("Tokens", "TOK-3", "SHOULD", "Stream and non-stream usage agree", "test_usage_agree",
     "passed", {}),
    ("CORS", "CORS-1", "SHOULD", "Preflight answers 2xx with Allow-* headers",
     "test_preflight", "passed", {}),
    ("Aliases", "ALIAS-2", "SHOULD", "Unknown models get 404 model_not_found",
     "test_unknown_model", "failed",
     {"message": "unknown model mapped to a default and answered 200",
      "expected": "404 with error.code model_not_found",
      "observed": "200, model 'gpt-4o-mini'",
      "exchange": exchange("POST", "/v1/chat/completions", 200,
                           '{"id":"chatcmpl-1","model":"gpt-4o-mini","choices":[]}',
                           req='{"model":"no-such-model","messages":[]}')}),
    ("Limits", "LIM-1", "MUST", "Oversized bodies get 413", "test_413", "passed", {}),
    ("SDK compatibility", "SDK-1", "MUST", "The openai SDK parses a completion",
     "test_openai_sdk", "passed", {}),
    ("SDK compatibility", "SDK-2", "MUST", "The anthropic SDK parses a message",
     "test_anthropic_sdk", "passed", {}),
]

FLIPS_B = {"ERR-6": "passed", "AUTH-1": "failed", "W-8": "passed"}
REMOVED_B = {"CORS-1"}
NEW_B = [("Rate limits", "LIM-5", "SHOULD", "429 carries Retry-After", "test_retry_after",
          "passed", {})]


def records(run_id: str, checks, flips=None, day: int = 21):
    out = []
    for n, (cat, cid, lvl, title, test, outcome, extra) in enumerate(checks):
        outcome = (flips or {}).get(cid, outcome)
        rec = {"run_id": run_id, "target": "reference", "target_url": URL,
               "check_id": cid, "level": lvl, "category": cat, "title": title,
               "test": f"suites/test_{cat.lower().replace(' ', '_')}.py::{test}[reference]",
               "outcome": outcome, "duration_s": round(0.05 + 0.01 * n, 2),
               "started_at": f"2026-11-{day}T10:15:{n:02d}.000Z", "profile": "sdk-compat",
               "feature": None, "surface": None, "message": None, "expected": None,
               "observed": None, "exchange": None, "warnings": []}
        if outcome == extra.get("_", outcome) and outcome in ("failed", "warned", "skipped",
                                                              "xfailed"):
            rec.update(extra)
        if outcome == "failed" and not rec["message"]:
            rec.update(message="valid key answered 401", expected="200",
                       observed="401 invalid_api_key")
        out.append(rec)
    return out


def load_run(seed: int, slow: float):
    rng = random.Random(seed)
    stages = [{"stage": k, "users": u, "start_s": 15.0 * k, "end_s": 15.0 * (k + 1)}
              for k, u in enumerate((4, 8, 16))]
    samples = []
    for stage in stages:
        users, t = stage["users"], STARTED + stage["start_s"]
        while t < STARTED + stage["end_s"]:
            ttft = (110 + 6 * users + 0.8 * users**2 + rng.expovariate(1 / 25)) * slow
            itl = 18 + rng.random() * 4
            e2e = ttft + 49 * itl
            ok = not (users == 16 and rng.random() < 0.04)
            samples.append(Sample(
                t=round(t, 3), kind="stream", ok=ok, status=200 if ok else 429,
                error=None if ok else "status 429", ttfb=round(ttft * 0.4, 3),
                ttft=round(ttft, 3) if ok else None, itl=round(itl, 3) if ok else None,
                e2e=round(e2e, 3) if ok else 3.5, out_tokens=50 if ok else None,
                in_tokens=12, events=50 if ok else 0, bursts=50 if ok else 0, node="local"))
            t += (e2e / 1000) / users
    run = {"scenario": "ramp", "label": None, "host": URL.removesuffix("/v1"),
           "surface": "openai", "model": "gpt-4o-mini", "directive": "[[mock ttft=120 itl=20]]",
           "max_tokens": 50, "users": 16, "spawn_rate": 4, "run_time_s": 45,
           "load_processes": 1, "workload": "closed", "started": "2026-11-21T10:15:00Z",
           "ended": "2026-11-21T10:15:45Z", "locust_version": "2.x"}
    health = {"local": {"cpu": [30.0 + i for i in range(45)], "lag": [0.4] * 45}}
    summary = summarize(samples, run=run, health=health, stages=stages, started=STARTED)
    return samples, summary


def write(name: str, recs, seed: int, slow: float) -> None:
    root = HERE / name
    (root / "load").mkdir(parents=True, exist_ok=True)
    with (root / "results.jsonl").open("w") as f:
        for rec in recs:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    samples, summary = load_run(seed, slow)
    write_samples(root / "load" / "samples.jsonl", samples)
    (root / "load" / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    write("run_a", records("20261121T101500Z-reference", CHECKS), seed=7, slow=1.0)
    checks_b = [c for c in CHECKS if c[1] not in REMOVED_B] + NEW_B
    write("run_b", records("20261122T101500Z-reference", checks_b, FLIPS_B, day=22), seed=8,
          slow=1.15)
