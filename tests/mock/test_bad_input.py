"""Bad input the mock once crashed on (a 500, a 502 through the proxy; issue 12): now a 400
in the envelope of the surface that was called, naming the field."""

from __future__ import annotations

import httpx
import pytest

CHAT = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "mock-chat", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def http(mock_url):
    with httpx.Client(base_url=mock_url, timeout=10) as client:
        yield client


def _openai_400(response: httpx.Response, param: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


def _anthropic_400(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith(field), body


@pytest.mark.parametrize("name", [123, None, ["lookup"], {"name": "lookup"}, ""])
@pytest.mark.parametrize("choice", [None, "required", {"type": "function",
                                                       "function": {"name": "lookup"}}])
def test_openai_tool_name_not_a_string_is_400(http, name, choice):
    function = {} if name is None else {"name": name}
    body = {**CHAT, "tools": [{"type": "function", "function": function}]}
    if choice is not None:
        body["tool_choice"] = choice
    _openai_400(http.post("/v1/chat/completions", json=body), "tools[0].function.name")


@pytest.mark.parametrize("tool", [3, "lookup", [], {"type": "function", "function": 3}])
def test_openai_tool_not_an_object_is_400(http, tool):
    body = {**CHAT, "tools": [tool]}
    _openai_400(http.post("/v1/chat/completions", json=body), "tools[0]")


@pytest.mark.parametrize("choice", [3, [], {"type": "function", "function": 3},
                                    {"type": "function", "function": {"name": 3}},
                                    {"type": "function", "function": {"name": ["lookup"]}}])
def test_openai_tool_choice_malformed_is_400(http, choice):
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    body = {**CHAT, "tools": tools, "tool_choice": choice}
    _openai_400(http.post("/v1/chat/completions", json=body), "tool_choice")


@pytest.mark.parametrize("role", [["user"], {"role": "user"}])
def test_role_not_a_string_is_400(http, role):
    messages = [{"role": role, "content": "hi"}]
    _openai_400(http.post("/v1/chat/completions", json={**CHAT, "messages": messages}),
                "messages[0].role")
    _anthropic_400(http.post("/v1/messages", json={**MESSAGES, "messages": messages}),
                   "messages.0.role")


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
@pytest.mark.parametrize(("tools", "field"), [
    ([{"name": 123}], "tools.0.name"), ([{"name": None}], "tools.0.name"), ([{}], "tools.0.name"),
    ([3], "tools.0.name"), ([{"name": "f", "input_schema": []}], "tools.0.input_schema"),
])
def test_anthropic_tool_malformed_is_400(http, path, tools, field):
    body = {**MESSAGES, "tools": tools, "tool_choice": {"type": "any"}}
    _anthropic_400(http.post(path, json=body), field)


@pytest.mark.parametrize("system", [[{"type": ["text"], "text": "x"}], [3], ["x"],
                                    [{"type": "image"}]])
def test_anthropic_system_not_text_blocks_is_400(http, system):
    _anthropic_400(http.post("/v1/messages", json={**MESSAGES, "system": system}), "system")


def test_nested_blocks_of_any_type_are_counted_not_crashed_on(http):
    """The validator reads top-level blocks only; the tokenizer must survive what is below."""
    content = [{"type": "tool_result", "tool_use_id": "t",
                "content": [{"type": ["text"], "text": "x"}, {"type": {"a": 1}}, 3]}]
    body = {**MESSAGES, "messages": [{"role": "user", "content": content}]}
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        assert http.post(path, json=body).status_code == 200
