"""The official openai SDK's Responses API against the target: create, stream, tools (RESP-SDK*).

``responses.stream`` runs the SDK's own accumulator over the events, which raises on an
out-of-order or unknown item and refuses to finish without ``response.completed``: if it
cannot assemble the stream, no client of the SDK can.
"""

from __future__ import annotations

from gatecheck.checks import check, expect
from gatecheck.checks.support import directive
from gatecheck.protocols.responses.wire import WEATHER_TOOL, function_tool

TEXT = "one two three four five"


def _input(target):
    mock = directive(text=TEXT) if target.claims("mock-directives") else ""
    return f"Count to five. {mock}".strip()


@check("RESP-SDK1", level="MUST", category="SDK compatibility", surface="openai",
       feature="responses", title="openai SDK: responses.create parses the Response")
def test_sdk_responses_create(openai_sdk, target, chat_model):
    response = openai_sdk.responses.create(model=chat_model, input=_input(target),
                                           max_output_tokens=32)
    expect(response.status == "completed" and bool(response.output_text)
           and response.usage is not None
           and response.usage.total_tokens == (response.usage.input_tokens
                                               + response.usage.output_tokens),
           "the SDK's Response lacks output_text, status completed or consistent usage",
           expected="status completed, output_text, usage adding up",
           observed=response.model_dump_json()[:300])
    if target.claims("mock-directives"):
        expect(response.output_text == TEXT, "the SDK's output_text is not the upstream's reply",
               expected=repr(TEXT), observed=repr(response.output_text))


@check("RESP-SDK2", level="MUST", category="SDK compatibility", surface="openai",
       feature="responses", title="openai SDK: responses.stream assembles the final response")
def test_sdk_responses_stream(openai_sdk, target, chat_model):
    deltas, kinds = [], []
    with openai_sdk.responses.stream(model=chat_model, input=_input(target),
                                     max_output_tokens=32) as stream:
        for event in stream:
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()  # raises without response.completed
    expect(final.status == "completed" and final.output_text == "".join(deltas)
           and bool(final.output_text),
           "the SDK's final response is not completed or differs from the streamed deltas",
           expected=repr("".join(deltas)), observed=f"{final.status} {final.output_text!r} "
           f"events: {' '.join(kinds[:12])}")
    if target.claims("mock-directives"):
        expect(final.output_text == TEXT, "the streamed text is not the upstream's reply",
               expected=repr(TEXT), observed=repr(final.output_text))


@check("RESP-SDK3", level="MUST", category="SDK compatibility", surface="openai",
       feature="responses", title="openai SDK: a streamed function call assembles")
def test_sdk_responses_tools(openai_sdk, target, chat_model):
    import pytest

    if not target.claims("tools"):
        pytest.skip(f"target {target.name!r} does not claim tools")
    tool = dict(function_tool(WEATHER_TOOL["name"], WEATHER_TOOL["description"],
                              WEATHER_TOOL["parameters"]), strict=False)
    with openai_sdk.responses.stream(
        model=chat_model, input="What's the weather in Paris?", tools=[tool],
        tool_choice={"type": "function", "name": WEATHER_TOOL["name"]}, max_output_tokens=64,
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    calls = [item for item in final.output if item.type == "function_call"]
    expect(len(calls) == 1 and calls[0].name == WEATHER_TOOL["name"]
           and calls[0].arguments.startswith("{"),
           "the SDK did not assemble one function_call with JSON arguments",
           expected="one get_weather call", observed=final.model_dump_json()[:300])
