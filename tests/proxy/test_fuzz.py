"""Hypothesis: malformed-but-JSON bodies never get a 5xx or a 200 with an error (ERR-4, ERR-6).

Bodies are built from the fields the front doors read, with wrong types mixed in, so they
reach the validation, translation and upstream paths of both surfaces over both formats.
"""

from __future__ import annotations

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import bearer, xkey

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 5000), st.floats(-2, 3),
                    st.text(max_size=12))
blocks = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image", "tool_use", "tool_result", "image_url",
                              "input_audio", "nonsense"])},
    optional={"text": scalars, "id": scalars, "name": scalars, "input": st.one_of(
        scalars, st.dictionaries(st.text(max_size=4), scalars, max_size=2)),
        "tool_use_id": scalars, "content": scalars, "image_url": scalars, "source": scalars},
)
content = st.one_of(scalars, st.lists(st.one_of(blocks, scalars), max_size=3))
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", "developer", "x"])},
    optional={"content": content, "tool_calls": st.one_of(scalars, st.lists(
        st.dictionaries(st.sampled_from(["id", "type", "function"]), st.one_of(
            scalars, st.dictionaries(st.sampled_from(["name", "arguments"]), scalars)),
            max_size=3), max_size=2)), "tool_call_id": scalars, "name": scalars},
)
bodies = st.fixed_dictionaries(
    {"model": st.sampled_from(["gpt-4o-mini", "mock-chat", "claude-3-5-haiku-latest"]),
     "messages": st.lists(message, min_size=1, max_size=4)},
    optional={
        "max_tokens": st.one_of(st.integers(1, 40), scalars),
        "stream": st.one_of(st.booleans(), scalars),
        "stop": st.one_of(scalars, st.lists(st.text(max_size=3), max_size=2)),
        "stop_sequences": st.one_of(scalars, st.lists(st.text(max_size=3), max_size=2)),
        "temperature": scalars,
        "system": st.one_of(scalars, st.lists(blocks, max_size=2)),
        "tools": st.one_of(scalars, st.lists(st.dictionaries(
            st.sampled_from(["type", "name", "function", "input_schema"]), scalars,
            max_size=3), max_size=2)),
        "tool_choice": st.one_of(scalars, st.dictionaries(
            st.sampled_from(["type", "name", "function"]), scalars, max_size=2)),
        "n": scalars,
    },
)


def _judge(r: httpx.Response, surface: str) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        body = r.json()
        if surface == "openai":
            assert set(body["error"]) == {"message", "type", "param", "code"}
        else:
            assert body["type"] == "error"
    elif r.headers["content-type"].startswith("application/json"):
        assert "error" not in r.json()


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies)
def test_malformed_bodies_never_5xx_ERR_4_ERR_6(client, surface, body):
    path, headers = (("/v1/chat/completions", bearer()) if surface == "openai"
                     else ("/v1/messages", xkey()))
    r = client.post(path, content=orjson.dumps(body), headers=headers)
    _judge(r, surface)
