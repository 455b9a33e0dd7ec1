"""The definition of every figure in summary.json, and the thresholds the text quotes.

summary.json carries these under ``definitions`` so a reader never has to guess a formula;
the thresholds are defined here once and used by ``_summary`` (buffering, client health).
"""

from __future__ import annotations

from gatecheck.load._samples import BURST_GAP_MS

__all__ = ["BUFFER_MIN_E2E_MS", "BUFFER_MIN_EVENTS", "BUFFER_RATIO", "BUFFER_RATIO_MIN_EVENTS",
           "BUFFER_SUSPECTED_FRACTION", "CPU_WARN_PERCENT", "DEFINITIONS", "LOOP_LAG_WARN_MS",
           "SCHEDULE_LAG_FLOOR_MS"]

# Buffering detector (research/load-anchors.md, "SSE buffering makes TTFT ~ E2E"): a
# stream is judged only when it had enough content events and took long enough for a burst
# to mean something; a zero-latency upstream legitimately sends everything at once. Two
# signals, either one marks a judged stream buffered: its content came in one burst (or a
# few), or its first content came at the very end (ttft/e2e near 1). The second needs a
# longer output: a slow first token followed by a short answer is near 1 when it streams
# perfectly well, and the research note's n_out >= 16 keeps those out.
BUFFER_MIN_EVENTS = 8
BUFFER_MIN_E2E_MS = 50.0
BUFFER_RATIO = 0.9
BUFFER_RATIO_MIN_EVENTS = 16
BUFFER_SUSPECTED_FRACTION = 0.5
# Client health: the load generator, not the target, is the bottleneck past these.
CPU_WARN_PERCENT = 90.0
LOOP_LAG_WARN_MS = 10.0
SCHEDULE_LAG_FLOOR_MS = 10.0  # open loop: "late", and the floor of the validity threshold

DEFINITIONS: dict[str, str] = {
    "ttfb": "send -> response headers (ms)",
    "ttft": "send -> first event carrying generated content: OpenAI a delta with content, "
            "reasoning or a tool call (never the role-only frame); Anthropic the first "
            "content_block_delta (ms)",
    "itl": "per request, (last content event - first content event) / (content events - 1) "
           "(ms); the distribution is over requests",
    "e2e": "send -> end of the stream or body (ms)",
    "tpot_e2e": "per request, e2e / output tokens (ms)",
    "ttft_from_intended": "open loop: intended send -> first content event (ms); corrects "
                          "coordinated omission",
    "e2e_from_intended": "open loop: intended send -> end of the stream or body (ms)",
    "schedule_lag": "open loop: intended send -> actual send (ms), how late the load "
                    "generator was",
    "output_tokens": "usage.completion_tokens (OpenAI, include_usage forced on) or the "
                     "larger of message_start and message_delta usage.output_tokens "
                     "(Anthropic); never counted from chunks",
    "output_tokens_per_s_per_request": "per request, output_tokens / e2e (in seconds): the "
                                       "speed one user sees",
    "content_events": "content events received per request (chunks or content_block_deltas), "
                      "beside output_tokens: a gateway may pack several tokens in one",
    "percentiles": "nearest rank over the exact samples of every process: the smallest "
                   "sample with at least p % of samples <= it (no buckets, no interpolation)",
    "requests_per_s": "successful requests / window; window = first send -> last completion"
                      " (in a ramp stage: its successful requests / its length)",
    "warmup_excluded": "requests sent during the warm-up (run.warmup_s after the start): in "
                       "samples.jsonl, left out of every figure here",
    "unfinished": "requests begun but still in flight when the run stopped (no sample: "
                  "Locust stops users at the end of the run)",
    "output_tokens_per_s": "sum of output_tokens of successful requests / window",
    "buffering": f"a stream is judged when it has >= {BUFFER_MIN_EVENTS} content events and "
                 f"e2e >= {BUFFER_MIN_E2E_MS:g} ms; it is buffered when its content arrived "
                 f"in <= max(2, events / 10) bursts (a burst: events < {BURST_GAP_MS:g} ms "
                 f"apart) OR when ttft / e2e >= {BUFFER_RATIO:g} with >= "
                 f"{BUFFER_RATIO_MIN_EVENTS} content events (a slow first token before a "
                 f"short answer is near 1 without buffering); suspected when >= "
                 f"{BUFFER_SUSPECTED_FRACTION:.0%} of judged streams are buffered",
    "judged": "buffering: successful streams long enough to judge (see buffering)",
    "buffered": "buffering: judged streams found buffered by either signal",
    "buffered_one_burst": "buffering: judged streams whose content came in <= max(2, events "
                          "/ 10) bursts",
    "buffered_ttft_ratio": f"buffering: judged streams with >= {BUFFER_RATIO_MIN_EVENTS} "
                           f"content events and ttft / e2e >= {BUFFER_RATIO:g}",
    "buffered_fraction": "buffering: buffered / judged (null when none was judged)",
    "ttft_over_e2e_p50": "median over successful streams of ttft / e2e (a unitless ratio): "
                         "near 1 means the first content came at the end, as when a gateway "
                         "buffers the stream",
    "total": "requests that finished (ok or failed) after the warm-up",
    "ok": "requests with a 2xx status whose body or stream completed",
    "failed": "requests that finished with an error status, a transport error or a broken "
              "stream (total - ok)",
    "error_rate": "failed / total (0-1; null when no request finished)",
    "errors": "failed requests per error (status and message, redacted), the 10 most common",
    "window_s": "seconds from the first send to the last completion of the requests "
                "summarized: the denominator of every rate",
    "input_tokens": "usage.prompt_tokens (OpenAI) or usage.input_tokens (Anthropic) of "
                    "successful requests, as the target reported them",
    "usage_missing": "successful requests whose response carried no output-token usage",
    "cpu_percent": "client_health: CPU % of one load process (psutil), its distribution",
    "loop_lag_ms": "client_health: event-loop lag of one load process (ms), its distribution",
    "schedule_lag_threshold_ms": "client_health, open loop: the schedule-lag p99 above which "
                                 "the run is not valid for its rate (see client_health)",
    "rate_per_s": "open loop: the arrival rate asked for (--rate)",
    "seed": "open loop: the seed of the Poisson arrivals (--seed)",
    "max_lag_ms": "open loop, overload policy 'drop': how late an arrival may be sent before "
                  "it is dropped (ms)",
    "sent": "open loop: requests sent (finished plus unfinished)",
    "stage": "ramp: the stage's index, from 0",
    "users": "ramp: users running during the stage",
    "start_s": "ramp: seconds from the run's start to the stage's start",
    "end_s": "ramp: seconds from the run's start to the stage's end",
    "requests": "ramp: requests sent during the stage (ok or failed)",
    "ttft_ms": "ramp: ttft of the stage's successful requests (ms, see ttft)",
    "e2e_ms": "ramp: e2e of the stage's successful requests (ms, see e2e)",
    "client_health": (
        "per load process: CPU % (psutil, about every second) and event-loop lag (overshoot "
        f"of a 250 ms sleep), after a 1 s warm-up; warns at CPU p90 >= {CPU_WARN_PERCENT:g} %"
        f" or loop lag p90 >= {LOOP_LAG_WARN_MS:g} ms (sustained, not one stall), or (open "
        f"loop) schedule lag p99 >= max({SCHEDULE_LAG_FLOOR_MS:g} ms, 10 % of the ttft p50, "
        "or of e2e p50 without streaming)"
    ),
    "send_rate_per_s": "open loop: requests sent per second, between the first and the last "
                       "send of the requests that finished (the rate the target was offered)",
    "late": f"open loop: arrivals sent more than {SCHEDULE_LAG_FLOOR_MS:g} ms after their "
            "intended time",
    "dropped": "open loop, overload policy 'drop': arrivals skipped because no user was free "
               "before they were max-lag late",
    "overhead": "what the target added to the mock's own figures, per request (the mock behind "
                "it timed each marked request on its own clock, GET /_mock/timings): added = "
                "client figure - mock figure; overhead = added - the load generator's floor",
    "overhead.ttft": "client ttft - the mock's own first-token time (request in -> first "
                     "content event out) - floor.ttft (ms)",
    "overhead.itl": "client itl - the mock's own itl (same formula over the mock's writes) - "
                    "floor.itl (ms): what the target adds to each token's gap",
    "overhead.e2e": "client e2e - the mock's own e2e (request in -> last byte out) - "
                    "floor.e2e (ms)",
    "added": "overhead before the floor is subtracted: client figure - mock figure (ms)",
    "mock": "the mock's own ttft, itl and e2e of the same requests (ms, its clock)",
    "floor_ms": "the load generator's own added figures (p50 of added ttft, itl and e2e on "
                "a direct mock run, gatecheck calibrate): subtracted from every request; "
                "null when not calibrated (nothing subtracted)",
    "matched": "successful marked requests whose mock timing was found (the overhead's n)",
    "unmatched": "successful marked requests without a mock timing (mock log overrun, "
                 "or a mock that is not the one behind the target)",
    "measured_from": "run: epoch seconds of the end of the warm-up; requests sent before it "
                     "are in samples.jsonl but in no figure",
    "unfinished_at_stop": "requests still in flight when the run stopped, by how far they "
                          "got: no response headers yet, headers but no content, mid-stream",
}
