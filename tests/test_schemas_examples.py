"""The schemas against the vendors' own examples, and the build that produced them."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from anthropic.types import (
    InputJSONDelta,
    Message,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    TextDelta,
    ToolUseBlock,
    Usage,
)
from anthropic.types.raw_message_delta_event import Delta
from anthropic.types.shared import ErrorResponse, OverloadedErrorObject
from jsonschema import Draft202012Validator

from gatecheck.schemas import NAMES, schema, schema_dir, validate

BUILD_DIR = Path(__file__).resolve().parents[1] / "scripts" / "build_schemas"
SUBSET = json.loads((BUILD_DIR / "openai-openapi.subset.json").read_text(encoding="utf-8"))

# conformance-checklist.md, Appendix A: an include_usage stream as OpenAI sends it.
APPENDIX_A_OPENAI = """\
data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}

data: [DONE]
"""  # noqa: E501
APPENDIX_A_ANTHROPIC = """\
event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type":"ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

event: error
data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
"""  # noqa: E501
EVENT_SCHEMAS = {
    "message_start": "anthropic/message-start", "content_block_start":
    "anthropic/content-block-start", "content_block_delta": "anthropic/content-block-delta",
    "content_block_stop": "anthropic/content-block-stop", "message_delta":
    "anthropic/message-delta", "message_stop": "anthropic/message-stop",
    "ping": "anthropic/ping", "error": "anthropic/error-event",
}


def openai_chunks(text: str) -> list[Any]:
    datas = [line[len("data: "):] for line in text.splitlines() if line.startswith("data: ")]
    return [json.loads(d) for d in datas if d != "[DONE]"]


def anthropic_events(text: str) -> list[tuple[str, Any]]:
    blocks = [b.splitlines() for b in text.strip().split("\n\n")]
    return [(b[0].removeprefix("event: "), json.loads(b[1].removeprefix("data: "))) for b in blocks]


def spec_examples(path: str, method: str) -> list[dict[str, Any]]:
    meta = SUBSET["paths"][path][method]["x-oaiMeta"]
    examples = meta["examples"]
    return examples if isinstance(examples, list) else [examples]


@pytest.fixture(scope="module")
def build_modules() -> dict[str, ModuleType]:
    """scripts/build_schemas/ loaded under private names (no clash with PyPA's `build`)."""
    import importlib.util
    import sys

    loaded = {}
    for name in ("build", "openai_spec"):
        spec = importlib.util.spec_from_file_location(f"_schema_{name}", BUILD_DIR / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(BUILD_DIR))  # for the scripts' own sibling imports
        try:
            spec.loader.exec_module(module)
        finally:
            while str(BUILD_DIR) in sys.path:
                sys.path.remove(str(BUILD_DIR))
        loaded[name] = module
    return loaded


# --- OpenAI: the spec's own examples -------------------------------------------------------

def spec_response_violations(profile: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for example in spec_examples("/chat/completions", "post"):
        response = example["response"]
        if response.lstrip().startswith("{\n"):
            violations = validate("openai/chat-completion", json.loads(response), profile=profile)
        else:  # a stream: one chunk per paragraph, "...." standing for the elided middle
            chunks = [json.loads(p) for p in response.split("\n\n")
                      if p.strip() and p.strip() != "...."]
            assert len(chunks) == 3
            violations = [v for c in chunks
                          for v in validate("openai/chat-completion-chunk", c, profile=profile)]
        found[example["title"]] = [str(v) for v in violations]
    return found


def test_openai_spec_response_examples_pass_sdk_compat() -> None:
    assert spec_response_violations("sdk-compat") == {
        "Default": [], "Image input": [], "Streaming": [], "Functions": [], "Logprobs": []}


def test_strict_flags_exactly_where_openais_own_examples_break_its_spec() -> None:
    # The examples omit spec-required keys (refusal) and send null for a non-nullable field:
    # the reason sdk-compat exists. Strict must flag these and nothing else.
    assert spec_response_violations("strict") == {
        "Default": [], "Image input": [], "Streaming": [],
        "Functions": ["FAIL $.choices[0].message: 'refusal' is a required property"],
        "Logprobs": [
            "FAIL $.choices[0].logprobs: 'refusal' is a required property",
            "FAIL $.choices[0].message: 'refusal' is a required property",
            "FAIL $.system_fingerprint: None is not of type 'string'",
        ],
    }


def test_openai_spec_responses_examples_pass_sdk_compat_but_two() -> None:
    # The spec's Responses examples predate parts of its own schema: a web_search_call without
    # `action` and a usage without `input_tokens_details` fail it; everything else passes.
    found = {}
    for example in spec_examples("/responses", "post"):
        if not example["response"].lstrip().startswith("{"):
            continue  # the streaming example: a transcript of events, not one body
        violations = validate("openai/response", json.loads(example["response"]))
        found[example["title"]] = [str(v) for v in violations]
    assert found == {
        "Text input": [], "Image input": [], "File input": [], "File search": [],
        "Reasoning": [],
        "Web search": ["FAIL $.output[0]: 'action' is a required property"],
        "Functions": ["FAIL $.usage: 'input_tokens_details' is a required property"],
    }


def test_openai_spec_embeddings_example_validates() -> None:
    [example] = spec_examples("/embeddings", "post")
    # the example elides the vector ("....  (1536 floats total ...)") and ends it with a comma
    text = re.sub(r"\n\s*\.\.\.\..*", "", example["response"])
    listing = json.loads(re.sub(r",(\s*[\]}])", r"\1", text))
    assert validate("openai/embedding-list", listing, profile="strict") == []


def test_openai_spec_request_examples_validate() -> None:
    bodies = []
    for example in spec_examples("/chat/completions", "post"):
        curl = example["request"]["curl"]
        match = re.search(r"-d '(\{.*\})'", curl, re.DOTALL)
        assert match, curl
        bodies.append(json.loads(match.group(1)))
    for body in bodies:
        assert validate("openai/chat-completion-request", body, profile="strict") == []
    assert len(bodies) == 5


def test_openai_spec_model_examples_validate() -> None:
    text = spec_examples("/models", "get")[0]["response"]
    listing = json.loads(re.sub(r",(\s*[\]}])", r"\1", text))  # the example has a trailing comma
    assert validate("openai/model-list", listing, profile="strict") == []
    model = json.loads(spec_examples("/models/{model}", "get")[0]["response"])
    assert validate("openai/model", model, profile="strict") == []


@pytest.mark.parametrize("profile", ["strict", "sdk-compat"])
def test_appendix_a_openai_stream_validates(profile: Any) -> None:
    chunks = openai_chunks(APPENDIX_A_OPENAI)
    assert len(chunks) == 4
    for chunk in chunks:
        assert validate("openai/chat-completion-chunk-include-usage", chunk, profile=profile) == []


def test_raw_spec_schema_fails_the_appendix_chunk_the_rewrite_passes(
    build_modules: dict[str, ModuleType],
) -> None:
    extract = build_modules["openai_spec"].extract
    raw = extract(SUBSET, "CreateChatCompletionStreamResponse", nullable=False)
    assert '"nullable": true' in json.dumps(raw)
    first = openai_chunks(APPENDIX_A_OPENAI)[0]
    errors = list(Draft202012Validator(raw).iter_errors(first))
    # finish_reason, logprobs and usage are null: the raw schema ignores `nullable`
    assert {e.json_path for e in errors} == {
        "$.choices[0].finish_reason", "$.choices[0].logprobs", "$.usage"}
    rewritten = extract(SUBSET, "CreateChatCompletionStreamResponse")
    assert list(Draft202012Validator(rewritten).iter_errors(first)) == []
    assert validate("openai/chat-completion-chunk", first, profile="strict") == []


def _committed_anthropic_sdk_version() -> str:
    source = json.loads((schema_dir() / "anthropic" / "message.json").read_text("utf-8"))
    found = re.search(r"anthropic SDK (\S+) ", source["x-gatecheck-source"])
    assert found, "the Anthropic schemas name the SDK version they were built from"
    return found.group(1)


@pytest.mark.parametrize("family", ["openai", "gatecheck", "anthropic"])
def test_committed_schemas_are_what_the_build_generates(
    build_modules: dict[str, ModuleType], family: str,
) -> None:
    if family == "anthropic":
        # The Anthropic schemas are generated from the installed SDK's types, so the test
        # extra pins that SDK (the next test): never a skip, a clear failure off the pin.
        built_from, installed = _committed_anthropic_sdk_version(), metadata.version("anthropic")
        assert built_from == installed, (
            f"schemas/anthropic was built from anthropic {built_from}, {installed} is "
            f"installed: install the test extra (pip install -e '.[test]'), or bump its pin "
            f"and run scripts/build_schemas/build.py")
    build = build_modules["build"]
    generated = build.generate()
    assert set(generated) == set(NAMES)  # the build makes exactly the catalogued schemas
    for name, body in generated.items():
        if name.split("/")[0] != family:
            continue
        path = schema_dir() / f"{name}.json"
        assert path.read_text(encoding="utf-8") == build.render(body), (
            f"{name}: stale, run .venv/bin/python scripts/build_schemas/build.py")


def test_the_test_extra_pins_the_sdk_the_anthropic_schemas_were_built_from() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml")
                            .read_text("utf-8"))
    pins = [r for r in project["project"]["optional-dependencies"]["test"]
            if re.match(r"anthropic\s*==", r)]
    assert pins == [f"anthropic=={_committed_anthropic_sdk_version()}"]


# --- Anthropic: objects built with the SDK's own types -------------------------------------

def dump(model: Any) -> Any:
    return model.model_dump(mode="json")


USAGE = Usage(input_tokens=25, output_tokens=1)
SDK_MESSAGE = Message(
    id="msg_1", type="message", role="assistant", model="claude-haiku-4-5",
    content=[TextBlock(type="text", text="Hi"),
             ToolUseBlock(type="tool_use", id="toolu_1", name="get_weather",
                          input={"location": "Paris"})],
    stop_reason="tool_use", stop_sequence=None, usage=USAGE,
)
SDK_EVENTS = [
    RawMessageStartEvent(type="message_start", message=SDK_MESSAGE.model_copy(
        update={"content": [], "stop_reason": None})),
    RawContentBlockStartEvent(type="content_block_start", index=0,
                              content_block=TextBlock(type="text", text="")),
    RawContentBlockDeltaEvent(type="content_block_delta", index=0,
                              delta=TextDelta(type="text_delta", text="Hi")),
    RawContentBlockStopEvent(type="content_block_stop", index=0),
    RawContentBlockStartEvent(type="content_block_start", index=1, content_block=ToolUseBlock(
        type="tool_use", id="toolu_1", name="get_weather", input={})),
    RawContentBlockDeltaEvent(type="content_block_delta", index=1, delta=InputJSONDelta(
        type="input_json_delta", partial_json='{"location": "Par')),
    RawContentBlockStopEvent(type="content_block_stop", index=1),
    RawMessageDeltaEvent(type="message_delta", delta=Delta(stop_reason="tool_use",
                                                           stop_sequence=None),
                         usage=MessageDeltaUsage(output_tokens=15)),
    RawMessageStopEvent(type="message_stop"),
]


@pytest.mark.parametrize("profile", ["strict", "sdk-compat"])
def test_sdk_built_message_validates(profile: Any) -> None:
    assert validate("anthropic/message", dump(SDK_MESSAGE), profile=profile) == []
    minimal = SDK_MESSAGE.model_dump(mode="json", exclude_none=True)
    minimal["stop_sequence"] = None
    assert validate("anthropic/message", minimal, profile=profile) == []


@pytest.mark.parametrize("profile", ["strict", "sdk-compat"])
@pytest.mark.parametrize("event", SDK_EVENTS, ids=lambda e: e.type)
def test_sdk_built_stream_events_validate(event: Any, profile: Any) -> None:
    assert validate(EVENT_SCHEMAS[event.type], dump(event), profile=profile) == []
    assert validate("anthropic/stream-event", dump(event), profile=profile) == []


def test_sdk_built_error_validates() -> None:
    error = ErrorResponse(type="error", request_id="req_1", error=OverloadedErrorObject(
        type="overloaded_error", message="Overloaded"))
    assert validate("anthropic/error", dump(error), profile="strict") == []
    assert validate("anthropic/stream-event", dump(error), profile="strict") == []


def test_appendix_a_anthropic_stream_validates() -> None:
    events = anthropic_events(APPENDIX_A_ANTHROPIC)
    assert len(events) == 8
    for name, data in events:
        assert data["type"] == name
        assert validate(EVENT_SCHEMAS[name], data, profile="strict") == []
        assert validate("anthropic/stream-event", data, profile="strict") == []


def test_anthropic_schemas_follow_the_sdk_enums() -> None:
    from typing import get_args

    from anthropic.types import StopReason

    message = json.dumps(schema("anthropic/message"))
    assert all(f'"{r}"' in message for r in get_args(StopReason))
    union = schema("anthropic/stream-event")
    assert union["properties"]["type"]["then"]["enum"] == list(EVENT_SCHEMAS)
