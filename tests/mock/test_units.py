"""The tokenizer, directive parser, latency model and reply generator, without a server."""

from __future__ import annotations

import pytest

from gatecheck.mock import (
    Directive,
    DirectiveError,
    MockConfig,
    count_request_tokens,
    count_tokens,
    parse_fault_spec,
)
from gatecheck.mock._directives import CHAOS_FAULTS, Latency, find_directive
from gatecheck.mock._generate import generate, seed_of, tool_call
from gatecheck.mock._tokenizer import pieces


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 0), ("   ", 0), ("hello", 1), ("hello, world.", 4), ('{"a": 1}', 7), ('{"a":1}', 7),
     ("naïve café", 2), ("x" * 10_000, 1), ("it's", 3)],
)  # fmt: skip
def test_count_tokens(text, tokens):
    assert count_tokens(text) == tokens


@pytest.mark.parametrize("text", ["", " ", "a", " lead and trail ", "one,two  three.\n", "é ü"])
def test_pieces_concatenate_back_and_count_one_token_each(text):
    parts = pieces(text)
    assert "".join(parts) == text
    assert sum(count_tokens(p) for p in parts) == count_tokens(text)
    assert all(count_tokens(p) <= 1 for p in parts)


def test_request_counting_rules():
    schema = {"type": "object", "properties": {"q": {"type": "string"}}}
    openai_body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hi there"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "look", "description": "Look up", "parameters": schema},
            }
        ],
    }
    anthropic_body = {
        "model": "m", "system": [{"type": "text", "text": "Be kind."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi there"}]}],
        "tools": [{"name": "look", "description": "Look up", "input_schema": schema}],
    }  # fmt: skip
    schema_tokens = count_tokens('{"properties":{"q":{"type":"string"}},"type":"object"}')
    expected = 3 + (4 + 3) + (4 + 2) + (4 + 1 + 2 + schema_tokens)
    assert count_request_tokens("openai", openai_body) == expected
    assert count_request_tokens("anthropic", anthropic_body) == expected
    empty_system = {
        "model": "m",
        "messages": [{"role": "system", "content": ""}, {"role": "user", "content": "x"}],
    }
    assert count_request_tokens("openai", empty_system) == 3 + 4 + 1
    image = {
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
    }
    assert count_request_tokens("openai", image) == 3 + 4 + 85


def test_directive_parsing_and_merging():
    text = (
        'before [[mock ttft=200 itl=20 text="say \\"hi\\"" tool=*]] '
        "mid [[mock itl=5 args='{\"a\": [1]}']]"
    )
    directive = find_directive(text)
    assert directive == Directive(ttft=200.0, itl=5.0, text='say "hi"', tool="*", args='{"a": [1]}')
    assert find_directive("no directive here") is None
    merged = Directive(itl=1.0).over(Directive(itl=9.0, ttft=3.0))
    assert (merged.itl, merged.ttft) == (1.0, 3.0)


@pytest.mark.parametrize(
    "text",
    ["[[mock tokenz=1]]", "[[mock ttft=-1]]", "[[mock fault=explode]]", "[[mock args='[1]']]",
     "[[mock ttft=1", "[[mock tokens=abc]]", "[[mock ttft=1 junk]]", "[[mock tokens=100001]]"],
)  # fmt: skip
def test_bad_directives_raise_with_a_reason(text):
    with pytest.raises(DirectiveError, match="mock directive"):
        find_directive(text)


def test_fault_specs():
    assert parse_fault_spec("429,retry_after=2") == Directive(fault="429", retry_after=2.0)
    assert parse_fault_spec("fake_stream") == Directive(fault="fake-stream")
    for bad in ("nope", "reset,after", "600", "reset,color=red"):
        with pytest.raises(DirectiveError):
            parse_fault_spec(bad)


def test_a_rate_alone_draws_from_the_chaos_mix():
    assert MockConfig(fault_rate=0.2).fault_pool == CHAOS_FAULTS
    assert MockConfig(fault_rate=0.2).effective_fault_rate == 0.2
    assert MockConfig().effective_fault_rate == 0.0
    assert MockConfig(faults=(Directive(fault="500"),)).effective_fault_rate == 1.0
    with pytest.raises(ValueError):
        MockConfig(faults=(Directive(ttft=1.0),))


def test_latency_delays_are_seeded_and_stall_adds_time():
    latency = Latency(ttft_ms=100, itl_ms=10, jitter_ms=5, stall_after=2, stall_ms=1000)
    delays = latency.delays(4, seed=1)
    assert delays == latency.delays(4, seed=1)
    assert delays != latency.delays(4, seed=2)
    assert 0.095 <= delays[0] <= 0.105
    assert 1.005 <= delays[2] <= 1.015
    assert Latency().delays(3, seed=0) == [0.0, 0.0, 0.0]


def test_generation_is_deterministic_and_cut_exactly():
    seed = seed_of("user:hi")
    reply = generate(seed, tokens=20, text=None, max_tokens=None, stops=[])
    assert reply == generate(seed, tokens=20, text=None, max_tokens=None, stops=[])
    assert reply.output_tokens == 20 == len(reply.pieces)
    assert "".join(reply.pieces) == reply.text
    short = generate(seed, tokens=20, text=None, max_tokens=4, stops=[])
    assert (short.finish, short.output_tokens) == ("length", 4)
    stopped = generate(seed, tokens=0, text="abc def ghi", max_tokens=None, stops=["ef", "zz"])
    assert (stopped.text, stopped.finish, stopped.stop_sequence) == ("abc d", "stop_sequence", "ef")
    assert "".join(stopped.pieces) == "abc d"
    assert stopped.output_tokens == 2


def test_tool_call_arguments_follow_the_schema():
    props = {
        "n": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
        "mode": {"enum": ["a", "b"]}, "ok": {"type": "boolean"}, "x": {"type": ["null", "number"]},
    }  # fmt: skip
    schema = {"type": "object", "properties": props}
    reply = tool_call(5, "call_1", "f", schema, None)
    call = reply.tool
    assert call is not None
    assert isinstance(call.input["n"], int)
    assert isinstance(call.input["tags"][0], str)
    assert call.input["mode"] in ("a", "b")
    assert isinstance(call.input["ok"], bool)
    assert isinstance(call.input["x"], float)
    assert "".join(call.fragments) == call.arguments
    assert reply.output_tokens == 1 + count_tokens(call.arguments)


def test_public_surface_is_exactly_what_is_exported():
    import gatecheck.mock as mock

    assert sorted(mock.__all__) == [
        "Directive", "DirectiveError", "FAULT_NAMES", "MockApp", "MockConfig", "PRESETS",
        "count_request_tokens", "count_tokens", "create_app", "parse_fault_spec",
    ]  # fmt: skip
    assert all(hasattr(mock, name) for name in mock.__all__)
    assert all(hasattr(mock, name) for name in mock.__all__)
    assert {"hang", "silence", "reset", "cut", "malformed", "bad-utf8", "error-event",
            "fake-stream", "drip", "oversize",
            "context-length", "drop"} == set(mock.FAULT_NAMES)  # fmt: skip
    assert mock.__doc__ is not None
    assert all(name in mock.__doc__ for name in mock.FAULT_NAMES)


def test_plan_cache_is_bounded_by_entries_and_bytes():
    from gatecheck.mock._plan import Plan, PlanCache

    built = []

    def build(raw: bytes) -> Plan:
        built.append(raw)
        return Plan("openai", data={"n_content": len(raw)})

    cache = PlanCache(build, size=3, max_bytes=1 << 20)
    for raw in (b"a", b"b", b"a", b"c", b"d", b"a"):
        cache.get(raw)
    assert built == [b"a", b"b", b"c", b"d", b"a"]  # the 4th entry cleared the cache
    big = b"x" * 10_000  # weighs more than 1/16 of the byte bound: never kept
    cache.get(big)
    cache.get(big)
    assert built[-2:] == [big, big]
