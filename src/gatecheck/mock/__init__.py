"""The mock upstream: an OpenAI- and Anthropic-compatible simulator that gives ground truth.

Surfaces: ``POST /v1/chat/completions``, ``POST /v1/responses`` (typed event streams,
``_responses``) and ``POST /v1/embeddings`` (deterministic vectors, ``_embeddings``) (OpenAI),
``POST /v1/messages`` and ``/v1/messages/count_tokens`` (Anthropic), ``GET /v1/models`` and
``/v1/models/{id}``
(Anthropic-shaped when ``anthropic-version`` is sent), ``GET /_mock/log`` (``?limit=N``,
``?since=SEQ``), ``GET /_mock/timings`` (``?since=SEQ``, ``?limit=N``, ``?nonce=X``: when the
headers and content of each request marked ``[[nonce:X]]`` in its prompt left the mock, see
``_timings``) and ``POST /_mock/reset``. ``anthropic-version`` is accepted, not required,
so a gateway that drops it is not masked by a 400 here. With ``api_keys`` configured, every
``/v1`` route wants one of them as ``Authorization: Bearer`` or ``x-api-key`` (401 otherwise).
``GET /v1/models`` lists the models that answer normally (mock-chat, mock-slow, mock-long,
mock-tiny-context); the fault presets only with ``?all=true`` or ``list_all_models``, as a
real provider lists none of its failures (each preset still answers ``/v1/models/{id}``).
Every ``/v1`` answer, errors and streams included, carries the provider's request-id
header: ``x-request-id`` on the OpenAI routes, ``request-id`` on the Anthropic-shaped ones
(``req_`` and 24 hex digits).

The log keeps, per request: seq, time, method, path, surface, model, stream, headers
(redacted when rendered), the credentials received (per ``authorization`` / ``x-api-key`` /
``api-key`` header: scheme, ``sha256:`` fingerprint of the token
(``gatecheck.credential_fingerprint``), length, empty, and the placeholder it is, such as
``undefined`` or ``null``; never the value), the request-id header sent, the directive, the
status sent (0: none, the client left first), the fault, the usage sent
(``input_tokens``/``output_tokens``), the response id and the first 500 characters of the
last user message (redacted), to find a request by a marker, (Anthropic) how many blocks
carried ``cache_control``, and the evidence of ``gatecheck.mock._evidence``: digests of the
image parts received and of the thinking blocks sent, and the prompt-cache counts reported
(``usage.cache_read_input_tokens`` / ``cache_creation_input_tokens``;
``usage.input_tokens`` is always the whole prompt).

Ground truth. A reply is deterministic for a conversation (seeded from its roles and text,
not the model or surface, so a translating gateway gets the same reply). Tokens are counted
by the documented tokenizer in ``gatecheck.mock._tokenizer`` (``count_tokens``,
``count_request_tokens``); ``usage`` is exact and ``count_tokens`` equals
``usage.input_tokens`` for the same request. Generated text is words and ``,``/``.``: one
token per content event. Tool calls are made when ``tool_choice`` forces one (OpenAI
``required`` or a named function; Anthropic ``any`` or ``tool``) or ``tool=NAME`` (``*``: the
first tool) is in the directive; arguments are sampled from the schema (or ``args='{...}'``)
and cost name + arguments tokens. Tool calls are never truncated by ``max_tokens``.
Sampling parameters are validated (ranges and types, as upstream) but do not change the
reply; ``n`` > 1 still answers one choice.

Behaviour per request, field by field: the ``[[mock ...]]`` directive in the last user
message > the model preset > command-line flags. Directive keys (times in ms)::

    ttft itl jitter tokens        latency model and natural reply length
    text="..."                    the exact reply text (still cut by max_tokens / stop)
    stall_after=K stall_ms=MS     hold back content event K for MS more
    tool=NAME|* args='{...}'      force a tool call (and its arguments)
    thinking=N                    N reasoning tokens first: Anthropic a signed ``thinking``
                                  block (thinking_delta, signature_delta), OpenAI
                                  ``reasoning_content`` (the vLLM / DeepSeek field) and
                                  ``completion_tokens_details.reasoning_tokens``, Responses
                                  a ``reasoning`` item; they count toward max_tokens and
                                  the output tokens. Without it, a request that enables
                                  thinking (Anthropic ``thinking.type: enabled``, Responses
                                  ``reasoning.effort``) gets 12
    redacted=N                    N ``redacted_thinking`` blocks first (Anthropic; 8 output
                                  tokens each). Thinking blocks sent back in a later turn
                                  are verified: a changed one is a 400, as upstream
    cache_read=N cache_write=M    N prompt tokens reported read from the prompt cache, M
                                  written: Anthropic ``cache_read_input_tokens`` /
                                  ``cache_creation_input_tokens`` (``input_tokens`` the
                                  rest), OpenAI ``prompt_tokens_details.cached_tokens`` = N,
                                  Responses ``input_tokens_details`` ``cached_tokens`` = N
                                  and ``cache_write_tokens`` = M; N + M <= the prompt
    fault=NAME ...                see below, with retry_after after hold_ms drip_bytes
                                  drip_ms bytes status
    context=M                     the model's context window in prompt tokens

Latency: headers and the opening events (role frame / message_start) go out at once; the
first content event after ``ttft``, each next one after ``itl``; each delay +/- a seeded
``jitter``. A non-stream answer waits the whole generation time, then comes in one piece.

Faults (``fault=NAME``, model ``mock-NAME``, or ``--fault NAME[,key=value...]``)::

    400 401 403 404 413 429 500 502 503 529 (any 4xx/5xx)
                  that status with the surface's error envelope; 429 sends Retry-After
                  (retry_after=S, default 1)
    hang          accept, never answer, until the client goes or hold_ms (max --max-hold,
                  default 120 s) passes; then a 504 envelope
    silence       200 headers, then nothing for hold_ms; then the connection is dropped
    reset         stream: `after` events (default 2), then the connection is dropped;
                  non-stream: half the promised body, then dropped
    cut           stream: ends cleanly without [DONE] / message_stop (or after `after`
                  events); non-stream: a chunked body cut in half, ended cleanly
    malformed     stream: a frame of broken JSON after `after` events (default 2), then
                  the rest; non-stream: a 200 whose body is not JSON
    bad-utf8      the same with invalid UTF-8 bytes in a content delta / in the body
    error-event   stream: `after` events, then an error event (OpenAI ``data: {"error":...}``,
                  Anthropic ``event: error``; status=N picks the envelope, default 500/529),
                  and the end; non-stream: 200 with an error body
    fake-stream   the whole stream in one burst after the full generation time
    drip          the answer trickled drip_bytes (4) every drip_ms (10)
    oversize      a body (stream: one content event) of `bytes` (16 MiB) of "x"; a stream's
                  usage still reports the reply it replaced
    drop          close the connection before any response byte (a dead upstream: gateways
                  see the connection error they see for a refused connection)
    context-length  400 invalid_request_error as for a prompt over the model's window:
                  OpenAI code context_length_exceeded, param messages; Anthropic "prompt is
                  too long: N tokens > M maximum" (M: context=M, else N - 1)

``context=M`` sets the model's context window: a prompt of more than M tokens (the mock's
tokenizer) gets that same 400, on its own, as the real APIs answer.

Model presets: ``mock-chat`` (the default; flags only), ``mock-slow`` (ttft 500, itl 50,
32 tokens), ``mock-long`` (512 tokens), ``mock-tiny-context`` (a 64-token context window),
``mock-chaos`` (30 % of requests get one of 429, 500, 503, 529, reset, cut, error-event,
drawn from a ``--seed``-ed stream), and
``mock-<fault>`` for the ten statuses listed and every name above. Other models get a 404 unless
``accept_any_model``.
"""

from __future__ import annotations

from typing import Any, Literal

from gatecheck.mock._app import MockApp
from gatecheck.mock._config import MockConfig
from gatecheck.mock._directives import (
    FAULT_NAMES,
    PRESETS,
    Directive,
    DirectiveError,
    parse_fault_spec,
)
from gatecheck.mock._tokenizer import (
    count_anthropic_request,
    count_openai_request,
    count_responses_request,
    count_tokens,
)

__all__ = [
    "FAULT_NAMES",
    "PRESETS",
    "Directive",
    "DirectiveError",
    "MockApp",
    "MockConfig",
    "count_request_tokens",
    "count_tokens",
    "create_app",
    "parse_fault_spec",
]


def create_app(config: MockConfig | None = None) -> MockApp:
    """The mock as an ASGI app (serve it with uvicorn, or call it via httpx.ASGITransport)."""
    return MockApp(config or MockConfig())


def count_request_tokens(
    surface: Literal["openai", "anthropic", "responses"], body: dict[str, Any]
) -> int:
    """Input tokens the mock reports for a request body (``prompt_tokens`` / ``input_tokens``)."""

    if surface == "openai":
        return count_openai_request(body)
    if surface == "responses":
        return count_responses_request(body)
    return count_anthropic_request(body)
