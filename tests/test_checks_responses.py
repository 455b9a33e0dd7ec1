"""The Responses, thinking and evidence judges on canned data: each passes a good answer and
fails each way of breaking it."""

from __future__ import annotations

import copy
import json

import pytest

from gatecheck import SseEvent
from gatecheck.checks import ConformanceFailure, evidence, thinking
from gatecheck.checks import responses as rc
from gatecheck.checks.anthropic import read_anthropic_stream
from gatecheck.protocols import responses as _emit


def sse(data, name="__type__"):
    text = data if isinstance(data, str) else json.dumps(data)
    event = data.get("type") if name == "__type__" and isinstance(data, dict) else name
    return SseEvent(event, text, None, None, 0)


def good_events(*, call=False):
    """A well-formed stream: text (or a function call), then response.completed."""
    skeleton = _emit.response_object(id="resp_1", created_at=1, model="m", echoed=_emit.echo({}),
                                     status="in_progress", output=[], usage=None)
    writer = _emit.StreamWriter(skeleton)
    out = writer.start()
    if call:
        out += writer.open_call("fc_1", "call_1", "get_weather")
        out += [writer.arguments('{"city":'), writer.arguments(' "Oslo"}')]
    else:
        out += writer.open_message("msg_1")
        out += [writer.text("Hello"), writer.text(" there")]
    out += writer.finish(_emit.usage(5, 2), completed_at=2)
    return out


def stream_of(events):
    return rc.read_responses_stream([sse(e) for e in events])


ALL_STREAM_JUDGES = (rc.events_are_named, rc.event_order_is_valid, rc.sequence_numbers_increase,
                     rc.text_deltas_assemble, rc.arguments_assemble)


@pytest.mark.parametrize("call", [False, True])
def test_a_good_stream_passes_every_judge(call):
    stream = stream_of(good_events(call=call))
    for judge in ALL_STREAM_JUDGES:
        judge(stream)
    assert stream.done_seen is False


def _without(events, kind):
    return [e for e in events if e["type"] != kind]


def _edit(events, kind, **changes):
    out = copy.deepcopy(events)
    for event in out:
        if event["type"] == kind:
            event.update(changes)
    return out


BROKEN = {  # judge -> ways to break the stream it must catch
    rc.event_order_is_valid: [
        lambda e: _without(e, "response.created"),
        lambda e: _without(e, "response.completed"),
        lambda e: _without(e, "response.output_item.added"),
        lambda e: _without(e, "response.output_item.done"),
        lambda e: _without(e, "response.content_part.added"),
        lambda e: _edit(e, "response.output_text.delta", item_id="msg_other"),
        lambda e: _edit(e, "response.output_item.added", output_index=3),
        lambda e: [*e, e[-1]],  # an event after the terminal one
        lambda e: _edit(e, "response.completed",
                        response={**e[-1]["response"], "id": "resp_other"}),
    ],
    rc.sequence_numbers_increase: [
        lambda e: _edit(e, "response.output_text.delta", sequence_number=0),
        lambda e: [{k: v for k, v in x.items() if k != "sequence_number"} for x in e],
    ],
    rc.text_deltas_assemble: [
        lambda e: _edit(e, "response.output_text.done", text="Hello"),
        lambda e: _edit(e, "response.content_part.done",
                        part={"type": "output_text", "text": "x", "annotations": []}),
    ],
    rc.events_are_named: [lambda e: [*e[:2], "not json"]],
}


@pytest.mark.parametrize(("judge", "breaking"), [(j, b) for j, bs in BROKEN.items() for b in bs])
def test_each_judge_catches_its_break(judge, breaking):
    events = breaking(good_events())
    stream = rc.read_responses_stream([sse(e) for e in events])
    with pytest.raises(ConformanceFailure):
        judge(stream)


def test_an_event_name_differing_from_its_type_fails():
    events = [sse(e) for e in good_events()]
    events[3] = SseEvent("message", events[3].data, None, None, 0)
    with pytest.raises(ConformanceFailure, match="event name"):
        rc.events_are_named(rc.read_responses_stream(events))


def test_arguments_that_do_not_assemble_to_an_object_fail():
    events = _edit(good_events(call=True), "response.function_call_arguments.done",
                   arguments='{"city": "Oslo"}x')
    with pytest.raises(ConformanceFailure, match="differ"):
        rc.arguments_assemble(stream_of(events))
    broken = good_events(call=True)
    for event in broken:
        if event["type"] == "response.function_call_arguments.delta":
            event["delta"] = "["
        if event["type"] == "response.function_call_arguments.done":
            event["arguments"] = "[["
        if event["type"] in ("response.output_item.done", "response.completed"):
            for item in event.get("response", {}).get("output", [event.get("item", {})]):
                item["arguments"] = "[["
    with pytest.raises(ConformanceFailure, match="JSON object"):
        rc.arguments_assemble(stream_of(broken))


def test_a_failure_must_not_look_like_a_success():
    writer = _emit.StreamWriter(_emit.response_object(
        id="r", created_at=1, model="m", echoed=_emit.echo({}), status="in_progress",
        output=[], usage=None))
    failed = [*writer.start(), *writer.fail("server_error", "boom")]
    rc.stream_failure_is_reported(stream_of(failed))
    with pytest.raises(ConformanceFailure, match="no error"):
        rc.stream_failure_is_reported(stream_of(good_events()[:-1]))
    faked = [*failed[:-2], {**good_events()[-1], "sequence_number": 99}]
    with pytest.raises(ConformanceFailure):
        rc.stream_failure_is_reported(stream_of([*faked[:-1], failed[-1], faked[-1]]))


def test_the_body_judges():
    body = good_events()[-1]["response"]
    rc.response_is_well_formed(body)
    rc.status_is(body, "completed")
    rc.open_responses_fields_present(body)
    rc.usage_adds_up(body["usage"])
    assert rc.output_text(body) == "Hello there"
    for broken, judge in [({**body, "object": "chat.completion"}, rc.response_is_well_formed),
                          ({**body, "created_at": 1_700_000_000_000}, rc.response_is_well_formed),
                          ({**body, "status": "done"}, rc.response_is_well_formed),
                          ({k: v for k, v in body.items() if k != "top_logprobs"},
                           rc.open_responses_fields_present)]:
        with pytest.raises(ConformanceFailure):
            judge(broken)
    with pytest.raises(ConformanceFailure):
        rc.status_is({**body, "status": "incomplete", "incomplete_details": None}, "incomplete",
                     reason="max_output_tokens")
    for usage in ({**body["usage"], "total_tokens": 0},
                  {**body["usage"], "input_tokens_details": {"cached_tokens": 99}},
                  {**body["usage"], "output_tokens_details": {}}):
        with pytest.raises(ConformanceFailure):
            rc.usage_adds_up(usage)


def test_function_call_items_need_string_json_arguments():
    item = {"type": "function_call", "call_id": "c", "name": "f", "arguments": '{"a": 1}'}
    assert rc.function_calls({"output": [item]}) == [item]
    for bad in ({**item, "arguments": {"a": 1}}, {**item, "arguments": "[1]"},
                {**item, "call_id": ""}):
        with pytest.raises(ConformanceFailure):
            rc.function_calls({"output": [bad]})


# --- thinking -------------------------------------------------------------------------------

THINK = {"type": "thinking", "thinking": "Let me see.", "signature": "c2ln"}
REDACTED = {"type": "redacted_thinking", "data": "ZGF0YQ=="}


def anthropic_stream(deltas):
    events = [{"type": "message_start", "message": {}},
              {"type": "content_block_start", "index": 0,
               "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
              *({"type": "content_block_delta", "index": 0, "delta": d} for d in deltas),
              {"type": "content_block_stop", "index": 0},
              {"type": "content_block_start", "index": 1,
               "content_block": {"type": "text", "text": ""}},
              {"type": "content_block_stop", "index": 1}]
    return read_anthropic_stream([sse(e) for e in events]).events


def test_thinking_judges():
    content = [THINK, REDACTED, {"type": "text", "text": "Hi"}]
    thinking.thinking_blocks_are_complete(content)
    blocks = thinking.thinking_blocks(content)
    thinking.thinking_blocks_match(blocks, [thinking.block_digest(b) for b in blocks])
    with pytest.raises(ConformanceFailure, match="modified"):
        thinking.thinking_blocks_match([{**THINK, "signature": "x"}, REDACTED],
                                       [thinking.block_digest(b) for b in blocks])
    with pytest.raises(ConformanceFailure, match="after the answer"):
        thinking.thinking_blocks_are_complete([{"type": "text", "text": "Hi"}, THINK])
    with pytest.raises(ConformanceFailure, match="signature"):
        thinking.thinking_blocks_are_complete([{**THINK, "signature": ""}])
    ordered = [{"type": "thinking_delta", "thinking": "Let me"},
               {"type": "thinking_delta", "thinking": " see."},
               {"type": "signature_delta", "signature": "c2ln"}]
    assert thinking.thinking_stream_blocks(anthropic_stream(ordered)) == [THINK]
    with pytest.raises(ConformanceFailure, match="after the signature"):
        thinking.thinking_stream_blocks(anthropic_stream([ordered[2], *ordered[:2]]))
    with pytest.raises(ConformanceFailure, match="no signature_delta"):
        thinking.thinking_stream_blocks(anthropic_stream(ordered[:2]))


# --- images and embeddings ------------------------------------------------------------------

def test_image_digests_and_embeddings_judges():
    url = f"data:image/png;base64,{evidence.PNG_BASE64}"
    digest = evidence.image_digest(url)
    assert digest == evidence.image_digest(media_type="image/png", data=evidence.PNG_BASE64)
    evidence.images_arrived([digest], [digest])
    with pytest.raises(ConformanceFailure):
        evidence.images_arrived([digest], [{**digest, "sha256": "0" * 64}])
    body = {"object": "list", "model": "m", "usage": {"prompt_tokens": 2, "total_tokens": 2},
            "data": [{"object": "embedding", "index": i, "embedding": [0.5, 0.5]}
                     for i in range(2)]}
    assert evidence.embeddings_are_well_formed(body, 2, dimensions=2) == [[0.5, 0.5]] * 2
    for broken in ({**body, "data": body["data"][::-1]},
                   {**body, "usage": {"prompt_tokens": 2, "total_tokens": 3}},
                   {**body, "data": body["data"][:1]}):
        with pytest.raises(ConformanceFailure):
            evidence.embeddings_are_well_formed(broken, 2)
    with pytest.raises(ConformanceFailure, match="length"):
        evidence.embeddings_are_well_formed(body, 2, dimensions=3)
    assert evidence.decode_base64_embedding("AACAPw==") == [1.0]
    assert evidence.decode_base64_embedding("???") is None
