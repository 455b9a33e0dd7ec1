"""Unit tests of the OpenAI judges on canned good and bad completions and streams."""

from __future__ import annotations

import pytest

from gatecheck.checks import ConformanceFailure, ConformanceWarning
from gatecheck.checks import openai as oc
from tests._canned import completion, ev, mutate, oai_chunk, oai_chunks, oai_events, oai_tool_chunks


def stream(chunks=None, **kw):
    return oc.read_openai_stream(oai_events(chunks if chunks is not None else oai_chunks(), **kw))


def test_good_completion_passes_every_body_check():
    body = completion()
    oc.chat_completion_is_well_formed(body)
    oc.assistant_message_is_well_formed(body, strict=True)
    oc.finish_reason_is_valid(body)
    oc.finish_reason_matches("stop", "stop")


@pytest.mark.parametrize("change", [
    {"object": "chat.completion.chunk"},
    {"created": 1694268190123},  # milliseconds
    {"choices": []},
    {"id": ""},
])
def test_malformed_completion_fails_w1(change):
    with pytest.raises(ConformanceFailure):
        oc.chat_completion_is_well_formed(completion(**change))


def test_choice_without_finish_reason_key_fails_w1():
    body = completion()
    del body["choices"][0]["finish_reason"]
    with pytest.raises(ConformanceFailure, match="finish_reason"):
        oc.chat_completion_is_well_formed(body)


def test_message_without_refusal_fails_only_strict():
    body = completion()
    del body["choices"][0]["message"]["refusal"]
    oc.assistant_message_is_well_formed(body, strict=False)
    with pytest.raises(ConformanceFailure, match="refusal"):
        oc.assistant_message_is_well_formed(body, strict=True)


def test_tool_call_arguments_must_be_a_json_string():
    body = completion()
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]
    with pytest.raises(ConformanceFailure, match="JSON-encoded string"):
        oc.assistant_message_is_well_formed(body)


@pytest.mark.parametrize("reason", ["", "error", "end_turn", None])
def test_finish_reason_outside_enum_fails_w3(reason):
    body = completion()
    body["choices"][0]["finish_reason"] = reason
    with pytest.raises(ConformanceFailure):
        oc.finish_reason_is_valid(body)


def test_stop_on_truncation_fails_but_stop_with_tools_warns():
    with pytest.raises(ConformanceFailure):
        oc.finish_reason_matches("stop", "length")
    with pytest.warns(ConformanceWarning):
        oc.finish_reason_matches("stop", "tool_calls", has_tool_calls=True)


def test_good_stream_passes_grammar():
    s = stream(oai_chunks(include_usage=True))
    oc.stream_payloads_are_json(s)
    oc.stream_has_no_event_ids(s)
    oc.chunks_are_well_formed(s)
    oc.stream_ends_with_done(s)
    oc.stream_is_data_only(s)
    oc.finish_reason_once_per_choice(s, expected="stop")
    oc.first_delta_has_role(s)
    assert oc.usage_chunk_is_last(s, strict=True)["total_tokens"] == 11
    assert s.text() == "Hello"


def test_missing_done_and_events_after_done_fail_str_o2():
    with pytest.raises(ConformanceFailure, match=r"\[DONE\]"):
        oc.stream_ends_with_done(stream(done=False))
    events = [*oai_events(oai_chunks()), ev(oai_chunk({"content": "late"}))]
    with pytest.raises(ConformanceFailure, match="follow"):
        oc.stream_ends_with_done(oc.read_openai_stream(events))


def test_reemitted_comment_fails_str_2():
    events = [ev(oai_chunks()[0]), ev(": OPENROUTER PROCESSING"), *oai_events(oai_chunks()[1:])]
    with pytest.raises(ConformanceFailure):
        oc.stream_payloads_are_json(oc.read_openai_stream(events))


def test_sse_ids_fail_str_3_and_event_names_fail_str_o3():
    events = [ev(c, id="1") for c in oai_chunks()] + [ev("[DONE]")]
    with pytest.raises(ConformanceFailure):
        oc.stream_has_no_event_ids(oc.read_openai_stream(events))
    events = [ev(c, event="completion") for c in oai_chunks()] + [ev("[DONE]")]
    with pytest.raises(ConformanceFailure):
        oc.stream_is_data_only(oc.read_openai_stream(events))


def test_chunk_invariants_fail_str_o1():
    chunks = oai_chunks()
    del chunks[1]["choices"][0]["finish_reason"]  # the MLflow KeyError
    with pytest.raises(ConformanceFailure, match="finish_reason") as strict:
        oc.chunks_are_well_formed(stream(chunks), strict=True)
    assert strict.value.cause == "stream-grammar"
    # sdk-compat: openai-python reads the missing key as None, so it is a warning there
    with pytest.warns(ConformanceWarning, match="without the finish_reason key"):
        oc.chunks_are_well_formed(stream(chunks))
    chunks = oai_chunks()
    chunks[2]["id"] = "chatcmpl-2"
    with pytest.raises(ConformanceFailure, match="id"):
        oc.chunks_are_well_formed(stream(chunks))
    azure = [oai_chunk(id="", object="", created=0, choices=[]), *oai_chunks()]
    with pytest.raises(ConformanceFailure):
        oc.chunks_are_well_formed(stream(azure))


@pytest.mark.parametrize("finals", [[], ["stop", "stop"], [""], ["error"]])
def test_finish_reason_rules_fail_str_o4(finals):
    chunks = [oai_chunk({"role": "assistant", "content": "x"})]
    chunks += [oai_chunk({}, f) for f in finals]
    with pytest.raises(ConformanceFailure):
        oc.finish_reason_once_per_choice(stream(chunks))


def test_tool_stream_ending_stop_fails_unless_tools_present():
    chunks = oai_tool_chunks()
    chunks[-1]["choices"][0]["finish_reason"] = "stop"
    with pytest.raises(ConformanceFailure):
        oc.finish_reason_once_per_choice(stream(chunks), expected="tool_calls")


def test_first_delta_without_role_fails_str_o5():
    chunks = oai_chunks()
    del chunks[0]["choices"][0]["delta"]["role"]
    with pytest.raises(ConformanceFailure, match="role"):
        oc.first_delta_has_role(stream(chunks))


def test_tool_fragments_assemble_and_bad_ones_fail_str_o6():
    calls = oc.tool_call_fragments_assemble(stream(oai_tool_chunks()))
    assert calls[0]["arguments"] == {"city": "Paris"}
    assert calls[0]["name"] == "get_weather"
    broken = oai_tool_chunks()
    del broken[0]["choices"][0]["delta"]["tool_calls"][0]["id"]  # vLLM #18412
    with pytest.raises(ConformanceFailure, match="id"):
        oc.tool_call_fragments_assemble(stream(broken))
    truncated = oai_tool_chunks()[:2] + oai_tool_chunks()[3:]
    with pytest.raises(ConformanceFailure, match="JSON"):
        oc.tool_call_fragments_assemble(stream(truncated))


def test_usage_chunk_rules_str_o7():
    missing = oai_chunks(include_usage=False)
    with pytest.raises(ConformanceFailure, match="exactly one"):
        oc.usage_chunk_is_last(stream(missing))
    early = oai_chunks(include_usage=True)
    early.append(oai_chunk(choices=[]))  # the xAI extra empty chunk after usage
    with pytest.raises(ConformanceFailure, match="last"):
        oc.usage_chunk_is_last(stream(early))
    no_null = oai_chunks(include_usage=True)
    for c in no_null[:-1]:
        del c["usage"]
    oc.usage_chunk_is_last(stream(no_null), strict=False)
    with pytest.raises(ConformanceFailure, match="strict"):
        oc.usage_chunk_is_last(stream(no_null), strict=True)


def test_usage_without_include_usage_fails_str_o8():
    oc.no_usage_without_include_usage(stream())
    with pytest.raises(ConformanceFailure):
        oc.no_usage_without_include_usage(stream(oai_chunks(include_usage=True)))


def test_mid_stream_error_rules_str_o10():
    good = [ev(oai_chunks()[0]), ev(oai_chunks()[1]),
            ev({"error": {"message": "upstream died", "type": "server_error", "param": None,
                          "code": None}})]
    oc.stream_error_is_reported(oc.read_openai_stream(good))
    faked = oai_events([*oai_chunks()[:2], oai_chunk({}, "stop")])
    with pytest.raises(ConformanceFailure, match="no error event"):
        oc.stream_error_is_reported(oc.read_openai_stream(faked))
    openrouter = [*good[:2], ev({"error": {"message": "x"}, **oai_chunk({}, "error")})]
    with pytest.raises(ConformanceFailure, match="finish_reason"):
        oc.stream_error_is_reported(oc.read_openai_stream(openrouter))


def test_reader_does_not_mutate_input():
    chunks = oai_chunks()
    before = mutate(chunks)
    stream(chunks)
    assert chunks == before
