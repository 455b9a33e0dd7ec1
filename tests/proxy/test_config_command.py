"""proxy.toml validation (one-line errors with suggestions), the command, the access log."""

from __future__ import annotations

import argparse
import logging

import orjson
import pytest

from gatecheck import ConfigError, UsageError
from gatecheck.cli import main
from gatecheck.cli import proxy as command
from gatecheck.proxy import default_config, load_config, parse_config

from .conftest import ADMIN, bearer, chat_body, json_reply

GOOD = """
admin-key-env = "MY_ADMIN"
cors-origins = ["https://app.example"]
max-body-bytes = 2048
[timeouts]
connect = 1.0
[[provider]]
name = "oai"
format = "openai"
base-url = "https://api.example.com/openai/v1"
api-key-envs = ["K1", "K2"]
models = ["m1"]
[[provider]]
name = "ant"
format = "anthropic"
base-url = "https://api.anthropic.example"
[aliases]
fast = "ant/claude-x"
both = ["oai/m1", "ant/claude-x"]
[rate-limits]
requests-per-minute = 60
"""


def test_config_loads_and_keeps_room_for_part_2(tmp_path):
    path = tmp_path / "proxy.toml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.admin_key_env == "MY_ADMIN"
    assert config.provider("oai").api_root == "https://api.example.com/openai/v1"
    assert config.provider("ant").api_root == "https://api.anthropic.example/v1"
    assert config.aliases["both"] == ("oai/m1", "ant/claude-x")
    assert config.rate_limits.requests_per_minute == 60
    assert config.timeouts.connect == 1.0


def test_default_config_is_the_embedded_default():
    config = default_config("http://127.0.0.1:8900")
    (provider,) = config.providers
    assert (provider.name, provider.format, provider.models) == ("mock", "openai", ("mock-chat",))
    assert dict(config.aliases) == {"gpt-4o-mini": ("mock/mock-chat",),
                                    "claude-3-5-haiku-latest": ("mock/mock-chat",)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('cors-origin = ["*"]\n[[provider]]\nname="a"\nformat="openai"\nbase-url="http://x"',
         "cors-origin: unknown field; did you mean 'cors-origins'?"),
        ('[[provider]]\nname="a"\nformat="opanai"\nbase-url="http://x"',
         "provider[0].format: 'opanai' is not valid; did you mean 'openai'?"),
        ('[[provider]]\nname="a"\nformat="openai"\nbase_url="http://x"',
         "provider[0].base_url: unknown field; did you mean 'base-url'?"),
        ('[[provider]]\nname="a"\nformat="openai"\nbase-url="http://x"\n[aliases]\nx="b/m"',
         "aliases.x: unknown provider 'b'; known providers: a"),
        ('cors-allow-credentials = true\n[[provider]]\nname="a"\nformat="openai"\n'
         'base-url="http://x"', "never '*'"),
        ("max-body-bytes = 'big'", "max-body-bytes: expected an integer, got string 'big'"),
        ('[[provider]]\nname="a"\nformat="openai"\nbase-url="http://x"\napi-key-envs="KEY"',
         'provider[0].api-key-envs: expected an array, got string'),
        ('[[provider]]\nformat="openai"\nbase-url="http://x"',
         "provider[0].name: missing required field"),
        ('[[provider]]\nname="a"\nformat="openai"\nbase-url="ftp://x"',
         "provider[0].base-url: 'ftp://x' is not valid: use an http:// or https:// URL"),
        ('[[provider]]\nname="a"\nformat="openai"\nbase-url="http://x"\n[aliases]\nx="m"',
         'aliases.x: \'m\' is not valid: use "provider/model"'),
        ('cors-max-age = -1\n[[provider]]\nname="a"\nformat="openai"\nbase-url="http://x"',
         "cors-max-age: -1 is below the minimum 0"),
        ("[[provider", "invalid TOML"),
    ],
)
def test_config_errors_are_one_line_and_name_the_field(tmp_path, text, message):
    path = tmp_path / "proxy.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert message in str(exc.value)
    assert str(path) in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("field", ["api-key-envs = [\"{v}\"]", "admin-key-env = \"{v}\""])
def test_a_key_pasted_where_a_variable_name_belongs_is_never_echoed(tmp_path, field):
    secret = "sk-proj-Abc123-pasted-by-mistake"
    line = field.format(v=secret)
    top, provider = ("", line) if field.startswith("api") else (line, "")
    path = tmp_path / "proxy.toml"
    path.write_text(f'{top}\n[[provider]]\nname="a"\nformat="openai"\nbase-url="http://x"\n'
                    f"{provider}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = str(exc.value)
    assert secret not in message
    assert "Abc123" not in message
    assert "must be the NAME of an environment variable" in message
    assert "never the secret itself; the value is not shown" in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_upstream_key_env_is_a_config_error(monkeypatch):
    from gatecheck.proxy import create_app

    monkeypatch.delenv("GATECHECK_NOT_SET_KEY", raising=False)
    raw = {"provider": [{"name": "a", "format": "openai", "base-url": "http://x",
                         "api-key-envs": ["GATECHECK_NOT_SET_KEY"]}]}
    with pytest.raises(ConfigError, match="GATECHECK_NOT_SET_KEY is not set"):
        create_app(parse_config(raw))


def test_cli_bad_config_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("nonsense = 1\n")
    assert main(["proxy", "--config", str(path), "--in-memory"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gatecheck: error: ")
    assert "nonsense" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [["--port", "70000"], ["--upstream", "ftp://x"], ["--config", "a.toml", "--upstream", "http://x"],
     ["--grace", "-1"], ["--grace", "nan"], ["--grace", "inf"]],
)
def test_cli_usage_errors(argv):
    parser = argparse.ArgumentParser()
    command.configure(parser)
    with pytest.raises(UsageError):
        command.build(parser.parse_args(["--in-memory", *argv]))


def test_cli_negative_grace_exits_2_with_one_line(capsys):
    assert main(["proxy", "--grace", "-1", "--in-memory"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "gatecheck: error: --grace -1: must be 0 or more seconds"


def test_cli_state_dir_and_in_memory_are_exclusive(capsys):
    assert main(["proxy", "--state-dir", "x", "--in-memory"]) == 2


def test_command_build_uses_state_dir_and_admin_env(tmp_path, monkeypatch):
    monkeypatch.setenv("GATECHECK_ADMIN_KEY", ADMIN)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    app, admin = command.build(parser.parse_args(["--state-dir", str(tmp_path)]))
    assert admin == ADMIN
    assert (tmp_path / "proxy.sqlite").exists()
    app.store.close()


def test_command_generates_admin_key_when_unset(monkeypatch, capsys):
    monkeypatch.delenv("GATECHECK_ADMIN_KEY", raising=False)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    _, admin = command.build(parser.parse_args(["--in-memory"]))
    assert admin.startswith("gk-")
    assert admin in capsys.readouterr().err


@pytest.mark.anyio
async def test_access_log_one_json_line_per_request_without_secrets(caplog, monkeypatch, inproc):
    secret = "sk-" "upstreamLOGSECRET0123456789abcdef"  # split: a fake key
    monkeypatch.setenv("GATECHECK_TEST_LOG_KEY", secret)

    async def handler(request):
        return json_reply(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})

    caplog.set_level(logging.INFO, logger="gatecheck.proxy.access")
    async with inproc(handler, provider={"api-key-envs": ["GATECHECK_TEST_LOG_KEY"]}) as c:
        await c.post("/v1/chat/completions", json={**chat_body(), "model": "m"},
                     headers={**bearer(), "x-request-id": "log-test-1"})
        await c.get(f"/v1/{ADMIN}/leak-attempt")
    lines = [r.getMessage() for r in caplog.records if r.name == "gatecheck.proxy.access"]
    assert len(lines) == 2
    first = orjson.loads(lines[0])
    assert first["request_id"] == "log-test-1"
    assert first["key_id"] == "admin"
    assert (first["model"], first["status"], first["input_tokens"], first["output_tokens"]) == (
        "m", 200, 3, 1)
    assert first["duration_ms"] >= 0
    assert all(ADMIN not in line and secret not in line for line in lines)


def test_shipped_example_config_is_valid():
    from pathlib import Path

    import gatecheck.proxy

    config = load_config(Path(gatecheck.proxy.__file__).with_name("example.toml"))
    assert [p.name for p in config.providers] == ["openai", "anthropic"]
    assert config.aliases["default"] == ("openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest")
