"""gatecheck.schemas: the catalogue, validate(), severities and the two profiles."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gatecheck import UsageError
from gatecheck.schemas import (
    NAMES,
    SchemaNotFoundError,
    UnknownSchemaError,
    is_valid,
    profile_schema,
    schema,
    schema_dir,
    validate,
)
from gatecheck.schemas._catalog import relaxations

CHUNK = {
    "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "delta": {"content": "Hello"}, "logprobs": None,
                 "finish_reason": None}],
    "usage": None,
}
COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                 "message": {"role": "assistant", "content": "Hi", "refusal": None}}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
}
OPENAI_ERROR = {"error": {"message": "bad", "type": "invalid_request_error", "param": None,
                          "code": None}}
MESSAGE = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
    "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 2},
}
MESSAGE_DELTA = {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                     "stop_sequence": None},
                 "usage": {"output_tokens": 15}}
ANTHROPIC_MODEL = {"type": "model", "id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5",
                   "created_at": "2025-10-01T00:00:00Z", "lifecycle": "active"}
MODEL_LIST = {"data": [ANTHROPIC_MODEL], "has_more": False, "first_id": "claude-haiku-4-5",
              "last_id": "claude-haiku-4-5"}


RESPONSE = {  # a Responses API body as OpenAI's own examples write it (user null, no logprobs)
    "id": "resp_1", "object": "response", "created_at": 1741476777, "status": "completed",
    "completed_at": 1741476778, "error": None, "incomplete_details": None,
    "instructions": None, "model": "gpt-4o", "parallel_tool_calls": True, "tools": [],
    "tool_choice": "auto", "temperature": 1.0, "top_p": 1.0, "metadata": {}, "user": None,
    "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}],
    "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4,
              "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
              "output_tokens_details": {"reasoning_tokens": 0}},
}
TEXT_DELTA = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
              "content_index": 0, "delta": "Hi", "sequence_number": 4, "logprobs": []}
TEXT_DONE = {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0,
             "content_index": 0, "text": "Hi", "sequence_number": 5, "logprobs": []}


def fails(name: str, instance: Any, profile: str = "sdk-compat") -> list[str]:
    return [str(v) for v in validate(name, instance, profile=profile)
            if v.severity == "FAIL"]


def without(instance: dict[str, Any], *path: str | int) -> dict[str, Any]:
    """A deep copy of `instance` with the key at `path` removed."""
    out = copy.deepcopy(instance)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return out


def changed(instance: dict[str, Any], value: Any, *path: str | int) -> dict[str, Any]:
    out = copy.deepcopy(instance)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


# --- the catalogue -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_schema_is_a_valid_2020_12_schema_with_its_id(name: str) -> None:
    body = schema(name)
    Draft202012Validator.check_schema(body)
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["$id"] == f"https://gatecheck.dev/schemas/{name}.json"
    if "request" not in name:  # responses tolerate vendor fields: nothing forbids extras
        assert '"additionalProperties": false' not in json.dumps(body)


def test_every_schema_file_is_catalogued() -> None:
    files = {p.relative_to(schema_dir()).with_suffix("").as_posix()
             for p in schema_dir().glob("*/*.json") if not p.parent.name.startswith("_")
             and p.parent.name != "profiles"}
    assert files == set(NAMES)


def test_no_openapi_nullable_survives() -> None:
    for name in NAMES:
        assert '"nullable"' not in json.dumps(schema(name)), name


def test_schema_returns_a_fresh_copy() -> None:
    schema("openai/error")["required"] = []
    assert schema("openai/error")["required"] == ["error"]


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownSchemaError, match="did you mean 'openai/chat-completion'"):
        validate("openai/chat-completions", {})


def test_unknown_profile_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="did you mean 'strict'"):
        validate("openai/error", OPENAI_ERROR, profile="strikt")


def test_missing_schema_directory_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Any) -> None:
    monkeypatch.setenv("GATECHECK_SCHEMAS_DIR", str(tmp_path))
    schema_dir.cache_clear()
    try:
        with pytest.raises(SchemaNotFoundError, match="GATECHECK_SCHEMAS_DIR"):
            schema_dir()
    finally:
        monkeypatch.delenv("GATECHECK_SCHEMAS_DIR")
        schema_dir.cache_clear()
    # the package's data: the checkout's schemas/, linked into gatecheck.schemas
    assert schema_dir().resolve() == (Path(__file__).resolve().parents[1] / "schemas")


# --- what passes ---------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["strict", "sdk-compat"])
@pytest.mark.parametrize(("name", "instance"), [
    ("openai/chat-completion", COMPLETION),
    ("openai/chat-completion-chunk", CHUNK),
    ("openai/chat-completion-chunk-include-usage", CHUNK),
    ("openai/error", OPENAI_ERROR),
    ("openai/model-list", {"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1686935002, "owned_by": "openai"}]}),
    ("anthropic/message", MESSAGE),
    ("anthropic/stream-event", MESSAGE_DELTA),
    ("anthropic/model-list", MODEL_LIST),
    ("anthropic/error", {"type": "error", "request_id": "req_1",
                         "error": {"type": "not_found_error", "message": "model: foo"}}),
    ("anthropic/count-tokens-response", {"input_tokens": 12}),
])
def test_conforming_objects_pass_both_profiles(name: str, instance: Any, profile: str) -> None:
    assert validate(name, instance, profile=profile) == []


def test_vendor_fields_are_allowed() -> None:
    extra = changed(COMPLETION, {"provider": "x"}, "x_gateway")
    extra["choices"][0]["message"]["reasoning_content"] = "hmm"
    assert validate("openai/chat-completion", extra, profile="strict") == []


# --- known-bad objects ---------------------------------------------------------------------

BAD = [
    ("openai/error", {"error": "boom"}, "$.error", "not of type 'object'"),
    ("openai/error", {"error": True}, "$.error", "not of type 'object'"),
    ("openai/error", changed(OPENAI_ERROR, 400, "error", "code"), "$.error.code",
     "400 is not of type 'string'"),
    ("openai/error", without(OPENAI_ERROR, "error", "message"), "$.error",
     "'message' is a required property"),
    ("openai/chat-completion", changed(COMPLETION, "end_turn", "choices", 0, "finish_reason"),
     "$.choices[0].finish_reason", "'end_turn' is not one of"),
    ("openai/chat-completion", changed(COMPLETION, None, "choices", 0, "finish_reason"),
     "$.choices[0].finish_reason", "None is not of type 'string'"),
    ("openai/chat-completion", changed(COMPLETION, "chat.completion.chunk", "object"),
     "$.object", "is not one of ['chat.completion']"),
    ("openai/chat-completion", changed(COMPLETION, "17", "created"), "$.created",
     "'17' is not of type 'integer'"),
    ("openai/chat-completion-chunk", changed(CHUNK, "error", "choices", 0, "finish_reason"),
     "$.choices[0].finish_reason", "'error' is not one of"),
    ("openai/chat-completion-chunk", without(CHUNK, "id"), "$", "'id' is a required property"),
    ("openai/model-list", {"object": "list", "data": [{"id": "m", "object": "model"}]},
     "$.data[0]", "'created' is a required property"),
    ("anthropic/message", changed(MESSAGE, "error", "stop_reason"), "$.stop_reason",
     "'error' is not allowed"),
    ("anthropic/message", changed(MESSAGE, "stop", "stop_reason"), "$.stop_reason",
     "'stop' is not allowed"),
    ("anthropic/message", changed(MESSAGE, None, "stop_reason"), "$.stop_reason",
     "None is not of type 'string'"),
    ("anthropic/message", changed(MESSAGE, [{"type": "tool_use", "id": "t", "name": "f",
                                             "input": "{}"}], "content"),
     "$.content[0].input", "'{}' is not of type 'object'"),
    ("anthropic/message", without(MESSAGE, "usage", "output_tokens"), "$.usage",
     "'output_tokens' is a required property"),
    ("anthropic/stream-event", {"index": 0, "delta": {"type": "text_delta", "text": "x"}}, "$",
     "'type' is a required property"),
    ("anthropic/stream-event", {"type": "content_block_delta", "index": 0,
                                "delta": {"type": "text_delta"}},
     "$.delta", "'text' is a required property"),
    ("anthropic/stream-event", without(MESSAGE_DELTA, "usage", "output_tokens"), "$.usage",
     "'output_tokens' is a required property"),
    ("anthropic/stream-event", changed(MESSAGE_DELTA, "error", "delta", "stop_reason"),
     "$.delta.stop_reason", "'error' is not allowed"),
    ("anthropic/error", {"error": "overloaded"}, "$", "'type' is a required property"),
    ("anthropic/error", {"type": "error", "error": {"type": "api_error"}}, "$.error",
     "'message' is a required property"),
    ("anthropic/count-tokens-response", {"input_tokens": "12"}, "$.input_tokens",
     "'12' is not of type 'integer'"),
    # formats are asserted: `created` in seconds (MOD-5), RFC 3339 times
    ("openai/chat-completion", changed(COMPLETION, 1741569952000, "created"), "$.created",
     "is not Unix time in seconds"),
    ("openai/model-list", {"object": "list", "data": [
        {"id": "m", "object": "model", "created": 1686935002000, "owned_by": "o"}]},
     "$.data[0].created", "is not Unix time in seconds"),
    ("anthropic/model", changed(ANTHROPIC_MODEL, "2025-10-01", "created_at"), "$.created_at",
     "is not an RFC 3339 date-time"),
    ("anthropic/model", changed(ANTHROPIC_MODEL, "2025-10-01T00:00:00", "created_at"),
     "$.created_at", "with a time zone"),
    # requests
    ("openai/chat-completion-request", {"model": "m", "messages": [{"role": "wizard",
                                                                    "content": "x"}]},
     "$.messages[0].role", "'wizard' is not one of"),
    ("openai/chat-completion-request", {"model": "m", "messages": []}, "$.messages",
     "[] should be non-empty"),
    ("anthropic/messages-request", {"model": "m", "messages": [{"role": "user", "content": "x"}]},
     "$", "'max_tokens' is a required property"),
]


@pytest.mark.parametrize("profile", ["strict", "sdk-compat"])
@pytest.mark.parametrize(("name", "instance", "path", "message"), BAD)
def test_known_bad_objects_fail_both_profiles(name: str, instance: Any, path: str,
                                              message: str, profile: str) -> None:
    found = [v for v in validate(name, instance, profile=profile)
             if v.severity == "FAIL"]
    assert any(v.path == path and message in v.message for v in found), found
    assert not is_valid(name, instance, profile=profile)


@pytest.mark.parametrize("body", [["x"], "hello", 3, None])
def test_a_non_object_body_fails(body: Any) -> None:
    assert fails("openai/chat-completion", body) == [
        f"FAIL $: {body!r} is not of type 'object'"]


def test_messages_stay_short_for_big_instances() -> None:
    (violation,) = validate("openai/chat-completion", [COMPLETION] * 50)
    assert len(violation.message) <= 300
    assert violation.message.endswith("...")


# --- WARN: new Anthropic variants ----------------------------------------------------------

@pytest.mark.parametrize(("instance", "path"), [
    ({"type": "message_annotation", "foo": 1}, "$.type"),
    (changed(MESSAGE_DELTA, "paused_for_review", "delta", "stop_reason"), "$.delta.stop_reason"),
    ({"type": "content_block_delta", "index": 0, "delta": {"type": "audio_delta", "b": "x"}},
     "$.delta.type"),
    ({"type": "content_block_start", "index": 0, "content_block": {"type": "hologram"}},
     "$.content_block.type"),
    ({"type": "error", "error": {"type": "quota_error", "message": "x"}}, "$.error.type"),
])
def test_unknown_anthropic_variants_warn_not_fail(instance: Any, path: str) -> None:
    found = validate("anthropic/stream-event", instance, profile="strict")
    assert [(v.severity, v.path) for v in found] == [("WARN", path)]
    assert is_valid("anthropic/stream-event", instance, profile="strict")


def test_unknown_block_type_in_a_message_warns() -> None:
    odd = changed(MESSAGE, [{"type": "hologram", "data": "x"}], "content")
    assert [v.severity for v in validate("anthropic/message", odd)] == ["WARN"]


def test_wrong_type_for_a_variant_field_still_fails() -> None:
    odd = changed(MESSAGE_DELTA, 5, "delta", "stop_reason")
    assert fails("anthropic/stream-event", odd) == [
        "FAIL $.delta.stop_reason: 5 is not of type 'string', 'null'"]


def test_documented_error_type_missing_from_the_sdk_is_known() -> None:
    body = {"type": "error", "error": {"type": "request_too_large", "message": "too big"}}
    assert validate("anthropic/error", body, profile="strict") == []


# --- strict vs sdk-compat ------------------------------------------------------------------

LOGPROBS = {"content": [], "refusal": None}
STRICT_ONLY = [  # (name, instance, what strict says, the relaxed field)
    ("openai/chat-completion", without(COMPLETION, "choices", 0, "message", "refusal"),
     "'refusal' is a required property", "refusal"),
    ("openai/chat-completion", without(COMPLETION, "choices", 0, "logprobs"),
     "'logprobs' is a required property", "logprobs"),
    ("openai/chat-completion", changed(COMPLETION, {}, "choices", 0, "logprobs"),
     "'content' is a required property", "content"),
    ("openai/chat-completion", changed(COMPLETION, {"content": []}, "choices", 0, "logprobs"),
     "'refusal' is a required property", "refusal"),
    ("openai/chat-completion", changed(COMPLETION, None, "system_fingerprint"),
     "None is not of type 'string'", "system_fingerprint"),
    ("openai/chat-completion-chunk", changed(CHUNK, {}, "choices", 0, "logprobs"),
     "'content' is a required property", "content"),
    ("openai/chat-completion-chunk", changed(CHUNK, {"content": None}, "choices", 0, "logprobs"),
     "'refusal' is a required property", "refusal"),
    ("openai/chat-completion-chunk", changed(CHUNK, None, "system_fingerprint"),
     "None is not of type 'string'", "system_fingerprint"),
    ("openai/chat-completion-chunk", without(CHUNK, "choices", 0, "finish_reason"),
     "'finish_reason' is a required property", "finish_reason"),
    ("openai/chat-completion-chunk-include-usage", without(CHUNK, "usage"),
     "'usage' is a required property", "usage"),
    ("openai/error", without(OPENAI_ERROR, "error", "code"), "'code' is a required property",
     "code"),
    ("openai/error", without(OPENAI_ERROR, "error", "param"), "'param' is a required property",
     "param"),
    ("openai/response", RESPONSE, "'logprobs' is a required property", "logprobs"),
    ("openai/response-stream-event", without(TEXT_DELTA, "logprobs"),
     "'logprobs' is a required property", "logprobs"),
    ("openai/response-stream-event", without(TEXT_DONE, "logprobs"),
     "'logprobs' is a required property", "logprobs"),
    ("anthropic/message", without(MESSAGE, "stop_sequence"),
     "'stop_sequence' is a required property", "stop_sequence"),
    ("anthropic/message-delta", without(MESSAGE_DELTA, "delta", "stop_sequence"),
     "'stop_sequence' is a required property", "stop_sequence"),
    ("anthropic/model", without(ANTHROPIC_MODEL, "lifecycle"),
     "'lifecycle' is a required property", "lifecycle"),
    ("anthropic/model-list", without(MODEL_LIST, "has_more"), "'has_more' is a required property",
     "has_more"),
    ("anthropic/model-list", without(MODEL_LIST, "first_id"), "'first_id' is a required property",
     "first_id"),
    ("anthropic/model-list", without(MODEL_LIST, "last_id"), "'last_id' is a required property",
     "last_id"),
]


@pytest.mark.parametrize(("name", "instance", "message", "field"), STRICT_ONLY)
def test_strict_only_failures(name: str, instance: Any, message: str, field: str) -> None:
    assert any(message in f for f in fails(name, instance, "strict"))
    assert fails(name, instance, "sdk-compat") == []


@pytest.mark.parametrize("profile", ["strict", "sdk-compat"])
def test_the_nulls_the_specs_own_examples_send_are_valid_in_every_profile(profile) -> None:
    # "user": null in every Responses example, "usage": null before any token is counted:
    # typed non-null in the spec, allowed by the schema build (_SENT_AS_NULL), not a relaxation
    with_logprobs = changed(RESPONSE, [], "output", 0, "content", 0, "logprobs")
    assert with_logprobs["user"] is None
    assert fails("openai/response", with_logprobs, profile) == []
    assert fails("openai/response", changed(with_logprobs, None, "usage"), profile) == []
    # what the type still forbids
    assert any("123 is not of type 'string'" in f
               for f in fails("openai/response", changed(with_logprobs, 123, "user"), profile))
    assert fails("openai/response", changed(with_logprobs, "no", "usage"), profile)


def test_every_relaxation_is_exercised_by_a_strict_only_case() -> None:
    covered = {(name, field) for name, _, _, field in STRICT_ONLY}
    declared = {(name, key) for name, ops in relaxations().items() for op in ops
                for key in op.get("keys", [op["at"].rsplit("/", 1)[-1]])}
    assert declared == covered
    assert all(op.get("why") for ops in relaxations().values() for op in ops)


def test_the_chunk_without_the_usage_key_is_fine_without_include_usage() -> None:
    assert validate("openai/chat-completion-chunk", without(CHUNK, "usage"), profile="strict") == []


def test_strict_model_list_sees_the_strict_model() -> None:
    # model-list refers to model.json: each profile resolves it to its own version
    lax = changed(MODEL_LIST, [without(ANTHROPIC_MODEL, "lifecycle")], "data")
    assert fails("anthropic/model-list", lax, "sdk-compat") == []
    assert fails("anthropic/model-list", lax, "strict") == [
        "FAIL $.data[0]: 'lifecycle' is a required property"]


def test_profile_schema_applies_the_overlay_to_a_copy() -> None:
    lax = profile_schema("openai/error", "sdk-compat")
    assert lax["$defs"]["Error"]["required"] == ["type", "message"]
    assert schema("openai/error")["$defs"]["Error"]["required"] == [
        "type", "message", "param", "code"]


# --- gatecheck's own objects ---------------------------------------------------------------

KEY = {"id": "key_1", "object": "api_key", "name": "ci", "permissions": ["chat"],
       "created_at": "2026-11-21T09:00:00Z", "expires_at": None, "revoked": False,
       "rate_limits": {"requests_per_minute": 60}}


def test_key_objects() -> None:
    created = {**KEY, "key": "gk-" + "a" * 43}
    assert validate("gatecheck/key-created", created) == []
    assert validate("gatecheck/key-list", {"object": "list", "data": [KEY]}) == []
    assert validate("gatecheck/key-deleted", {"id": "key_1", "object": "api_key",
                                              "deleted": True}) == []
    assert fails("gatecheck/key-created", KEY) == ["FAIL $: 'key' is a required property"]
    # a listing never carries the secret (nor its digest)
    assert fails("gatecheck/key-list", {"object": "list", "data": [created]})
    assert fails("gatecheck/key", {**KEY, "digest": "ab12"})
    assert fails("gatecheck/key", {**KEY, "permissions": ["root"]})
    assert fails("gatecheck/key", {**KEY, "permissions": []})
    assert fails("gatecheck/key", {**KEY, "rate_limits": {"requests_per_minute": 0}})
    assert fails("gatecheck/key", {**KEY, "created_at": 1763715600})


def test_health_and_usage_objects() -> None:
    health = {"status": "degraded", "uptime_s": 1.5, "providers": {
        "mock": {"status": "down", "format": "openai", "reachable": False, "requests": 3,
                 "failures": 3, "consecutive_failures": 3, "last_error": "refused"}}}
    assert validate("gatecheck/health", health) == []
    assert fails("gatecheck/health", {**health, "status": "fine"})
    assert fails("gatecheck/health", {"status": "ok"})  # no provider state
    assert validate("gatecheck/health-live", {"status": "alive"}) == []
    assert validate("gatecheck/health-ready", {"status": "not_ready",
                                               "usable_providers": []}) == []
    assert fails("gatecheck/health-ready", {"status": "ok"})
    usage = {"object": "list", "data": [{"key_id": "key_1", "name": None, "requests": 3,
                                         "successes": 2, "failures": 1, "input_tokens": 30,
                                         "output_tokens": 12}]}
    assert validate("gatecheck/usage", usage) == []
    assert fails("gatecheck/usage", changed(usage, -1, "data", 0, "failures"))
    assert fails("gatecheck/usage", without(usage, "data", 0, "output_tokens"))


def test_a_stale_overlay_is_an_error_not_a_silent_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from gatecheck import HarnessError
    from gatecheck.schemas import _validate

    stale = {"openai/error": [{"op": "unrequire", "at": "", "keys": ["nope"], "why": "x"}]}
    monkeypatch.setattr(_validate, "relaxations", lambda: stale)
    with pytest.raises(HarnessError, match=r"\['nope'\] not required"):
        profile_schema("openai/error", "sdk-compat")
    stale["openai/error"] = [{"op": "allow-null", "at": "/$defs/Error/properties/code"}]
    with pytest.raises(HarnessError, match="already accepts null"):
        profile_schema("openai/error", "sdk-compat")
