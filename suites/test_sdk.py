"""SDK compatibility: the official openai and anthropic SDKs against the target.

Each test is the SDK-level face of a checklist item: if the SDK cannot parse a body, iterate a
stream to its end, assemble a tool call or pick the right exception class, the wire
conformance it depends on is broken for every real user.
"""

from __future__ import annotations

import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion

from gatecheck.checks import cases as each
from gatecheck.checks import check, expect
from gatecheck.checks.support import PROMPT, WEATHER_TOOL, sdk_parsed, takes_credentials

OPENAI_TOOLS = [{"type": "function", "function": WEATHER_TOOL}]
ANTHROPIC_TOOLS = [{"name": WEATHER_TOOL["name"], "description": WEATHER_TOOL["description"],
                    "input_schema": WEATHER_TOOL["parameters"]}]
MESSAGES = [{"role": "user", "content": PROMPT}]
# What a wrong exception class shows (the SDK picks the class from the status alone).
_CAUSES = {"AuthenticationError": "auth-status", "NotFoundError": "unknown-model-status"}
# What a call that should have failed but succeeded shows: a wrong key served is the
# gateway accepting it (one finding with AUTH-4's), not a status problem.
_SERVED = {"AuthenticationError": "wrong-key-accepted", "NotFoundError": "unknown-model-status"}
# The anthropic SDK warns about retired model names; a gateway's alias may well use one.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")


@check("W-1", level="MUST", category="SDK compatibility", surface="openai",
       title="openai SDK: chat.completions.create parses the completion")
def test_sdk_openai_create(openai_sdk, chat_model):
    completion = sdk_parsed(openai_sdk.chat.completions.create(
        model=chat_model, messages=MESSAGES, max_tokens=8), ChatCompletion,
        "chat.completions.create")
    choice = completion.choices[0]
    expect(choice.message.role == "assistant" and completion.usage is not None
           and completion.usage.total_tokens == (completion.usage.prompt_tokens
                                                 + completion.usage.completion_tokens),
           "SDK completion lacks an assistant message or consistent usage",
           expected="assistant message, usage totals adding up",
           observed=completion.model_dump_json()[:300])


@check("STR-O2", level="MUST", category="SDK compatibility", surface="openai",
       feature="streaming", title="openai SDK: a stream iterates to its end with usage")
def test_sdk_openai_stream(openai_sdk, target, chat_model):
    extra = {"stream_options": {"include_usage": True}} if target.claims("stream-usage") else {}
    text, finish, usage = [], None, None
    with openai_sdk.chat.completions.create(model=chat_model, messages=MESSAGES, max_tokens=8,
                                            stream=True, **extra) as stream:
        for chunk in stream:
            for choice in chunk.choices:
                text.append(choice.delta.content or "")
                finish = choice.finish_reason or finish
            usage = chunk.usage or usage
    expect(bool("".join(text)) and finish in ("stop", "length"),
           "SDK stream yielded no text or no finish_reason",
           expected="text and a final finish_reason", observed=f"{''.join(text)!r} {finish!r}")
    if extra:
        expect(usage is not None and usage.completion_tokens > 0, "SDK stream lacks usage",
               expected="a usage chunk", observed=repr(usage))


@check("STR-O6", level="MUST", category="SDK compatibility", surface="openai", feature="tools",
       title="openai SDK: a streamed tool call assembles (stream helper)")
def test_sdk_openai_tools(openai_sdk, chat_model):
    tool_choice = {"type": "function", "function": {"name": "get_weather"}}
    completion = sdk_parsed(openai_sdk.chat.completions.create(
        model=chat_model, messages=MESSAGES, max_tokens=16, tools=OPENAI_TOOLS,
        tool_choice=tool_choice), ChatCompletion, "chat.completions.create with tools")
    calls = completion.choices[0].message.tool_calls or []
    expect(len(calls) == 1 and calls[0].function.name == "get_weather",
           "SDK non-stream tool call missing", expected="one get_weather call",
           observed=repr(calls)[:300])
    with openai_sdk.chat.completions.stream(model=chat_model, messages=MESSAGES, max_tokens=16,
                                            tools=OPENAI_TOOLS,
                                            tool_choice=tool_choice) as stream:
        final = stream.get_final_completion()
    streamed = final.choices[0].message.tool_calls or []
    expect(len(streamed) == 1 and streamed[0].function.name == "get_weather",
           "SDK stream helper assembled no tool call", expected="one get_weather call",
           observed=repr(streamed)[:300])


@check("ERR-3", level="MUST", category="SDK compatibility", surface="openai",
       title="openai SDK: 401 and 404 raise AuthenticationError and NotFoundError")
def test_sdk_openai_errors(openai_sdk, target, chat_model):
    import openai

    bad = openai_sdk.with_options(api_key=(target.auth.key_prefix or "sk-") + "0" * 40)
    cases = [(bad, chat_model, openai.AuthenticationError),
             (openai_sdk, "gatecheck-no-such-model", openai.NotFoundError)]
    cases = cases if takes_credentials(target) else cases[1:]
    with each() as case:
        for sdk, model, wanted in cases:
            with case(wanted.__name__):
                try:
                    sdk.chat.completions.create(model=model, messages=MESSAGES, max_tokens=1)
                except openai.APIStatusError as exc:
                    expect(isinstance(exc, wanted), "SDK raised the wrong exception class",
                           expected=wanted.__name__,
                           observed=f"{type(exc).__name__} ({exc.status_code})",
                           cause=_CAUSES[wanted.__name__])
                else:
                    expect(False, "SDK raised no error", expected=wanted.__name__,
                           observed="a successful call", cause=_SERVED[wanted.__name__])


@check("W-5", level="MUST", category="SDK compatibility", surface="anthropic",
       title="anthropic SDK: messages.create parses the Message")
def test_sdk_anthropic_create(anthropic_sdk, chat_model):
    message = sdk_parsed(anthropic_sdk.messages.create(
        model=chat_model, messages=MESSAGES, max_tokens=8), Message, "messages.create")
    expect(message.role == "assistant" and message.stop_reason is not None
           and message.usage.input_tokens > 0 and bool(message.content),
           "SDK message lacks content, stop_reason or usage",
           expected="assistant content, stop_reason, input_tokens > 0",
           observed=message.model_dump_json()[:300])


@check("STR-A1", level="MUST", category="SDK compatibility", surface="anthropic",
       feature="streaming", title="anthropic SDK: the stream helper builds the final message")
def test_sdk_anthropic_stream(anthropic_sdk, chat_model):
    with anthropic_sdk.messages.stream(model=chat_model, messages=MESSAGES,
                                       max_tokens=8) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    expect(bool(text) and final.stop_reason is not None and final.usage.input_tokens > 0
           and final.usage.output_tokens > 0, "SDK stream lost text, stop_reason or usage",
           expected="text, stop_reason and both token counts",
           observed=f"{text!r} {final.model_dump_json()[:200]}")


@check("STR-A5", level="MUST", category="SDK compatibility", surface="anthropic",
       feature="tools", title="anthropic SDK: a streamed tool_use block assembles its input")
def test_sdk_anthropic_tools(anthropic_sdk, chat_model):
    with anthropic_sdk.messages.stream(model=chat_model, messages=MESSAGES, max_tokens=16,
                                       tools=ANTHROPIC_TOOLS,
                                       tool_choice={"type": "tool", "name": "get_weather"}
                                       ) as stream:
        final = stream.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    expect(len(uses) == 1 and isinstance(uses[0].input, dict) and final.stop_reason == "tool_use",
           "SDK stream assembled no tool_use block with a dict input",
           expected="one tool_use block, stop_reason tool_use",
           observed=final.model_dump_json()[:300])


@check("ERR-3", level="MUST", category="SDK compatibility", surface="anthropic",
       title="anthropic SDK: 401 and 404 raise AuthenticationError and NotFoundError")
def test_sdk_anthropic_errors(anthropic_sdk, target, chat_model):
    import anthropic

    wrong = (target.auth.key_prefix or "sk-") + "0" * 40
    bad = anthropic_sdk.with_options(api_key=wrong, auth_token=None)
    cases = [(bad, chat_model, anthropic.AuthenticationError),
             (anthropic_sdk, "gatecheck-no-such-model", anthropic.NotFoundError)]
    cases = cases if takes_credentials(target) else cases[1:]
    with each() as case:
        for sdk, model, wanted in cases:
            with case(wanted.__name__):
                try:
                    sdk.messages.create(model=model, messages=MESSAGES, max_tokens=1)
                except anthropic.APIStatusError as exc:
                    expect(isinstance(exc, wanted), "SDK raised the wrong exception class",
                           expected=wanted.__name__,
                           observed=f"{type(exc).__name__} ({exc.status_code})",
                           cause=_CAUSES[wanted.__name__])
                else:
                    expect(False, "SDK raised no error", expected=wanted.__name__,
                           observed="a successful call", cause=_SERVED[wanted.__name__])
