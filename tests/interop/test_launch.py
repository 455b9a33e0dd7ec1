"""launch_for: the command line, environment and routing each gateway is started with."""

from __future__ import annotations

from gatecheck import default_redactor
from gatecheck.interop import data_dir, launch_for
from gatecheck.interop._start import OFFLINE_ENV

MOCK = "http://127.0.0.1:8901"
CALLER = {"PATH": "/usr/bin:/bin", "HOME": "/root", "DATABASE_URL": "postgresql://db/x",
          "HTTP_PROXY": "http://proxy.invalid:3128", "OPENAI_API_KEY": "sk-" + "caller" * 4}


def test_litellm_listens_on_loopback_with_the_committed_config():
    launch = launch_for("litellm", ("/venv/bin/litellm",), port=4123, mock_url=MOCK,
                        environ=CALLER)
    argv = list(launch.argv)
    assert argv[0] == "/venv/bin/litellm"
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "4123"
    assert argv[argv.index("--config") + 1] == str(data_dir("litellm") / "config.yaml")
    assert launch.ready_path == "/health/liveliness"


def test_litellm_starts_offline():
    launch = launch_for("litellm", ("litellm",), port=4000, mock_url=MOCK, environ=CALLER)
    for name, value in OFFLINE_ENV.items():
        assert launch.env[name] == value
    assert "LITELLM_LOCAL_MODEL_COST_MAP" in OFFLINE_ENV


def test_the_callers_environment_does_not_leak_into_the_gateway():
    launch = launch_for("litellm", ("litellm",), port=4000, mock_url=MOCK, environ=CALLER)
    assert launch.env["PATH"] == CALLER["PATH"]
    for name in ("DATABASE_URL", "HTTP_PROXY", "OPENAI_API_KEY"):
        assert name not in launch.env


def test_litellm_keys_are_fresh_distinct_and_redacted():
    first = launch_for("litellm", ("litellm",), port=4000, mock_url=MOCK, environ=CALLER)
    second = launch_for("litellm", ("litellm",), port=4000, mock_url=MOCK, environ=CALLER)
    master = first.run_env["LITELLM_MASTER_KEY"]
    assert master.startswith("sk-")  # LiteLLM refuses master keys without it
    assert master != second.run_env["LITELLM_MASTER_KEY"]
    assert first.env["GATECHECK_UPSTREAM_KEY"] != master  # upstream never sees the client key
    assert first.secret_env == ("LITELLM_MASTER_KEY",)
    assert master not in default_redactor().text(f"key={master}")


def test_the_gateway_reaches_the_mock_and_the_run_learns_nothing_hidden():
    launch = launch_for("litellm", ("litellm",), port=4000, mock_url=MOCK + "/", environ={})
    assert launch.env["GATECHECK_MOCK_OPENAI_BASE"] == MOCK + "/v1"
    # the run sets the target's mock-url itself (GATECHECK_<NAME>_MOCK_URL), by name
    assert set(launch.run_env) == {"LITELLM_MASTER_KEY"}


def test_portkey_is_preloaded_onto_loopback_and_routed_per_surface():
    command = ("/usr/bin/node", "--import", "/c/portkey/loopback.mjs", "/c/start-server.js")
    launch = launch_for("portkey", command, port=8788, mock_url=MOCK, environ=CALLER)
    assert launch.argv[:4] == command
    assert "--port=8788" in launch.argv
    assert launch.env["GATECHECK_LISTEN_HOST"] == "127.0.0.1"
    assert "HTTP_PROXY" not in launch.env  # Portkey reads it for its upstream calls
    assert launch.headers["openai"] == {"x-portkey-provider": "openai",
                                        "x-portkey-custom-host": MOCK + "/v1"}
    assert launch.headers["anthropic"]["x-portkey-provider"] == "anthropic"
    assert launch.run_env["GATECHECK_PORTKEY_CUSTOM_HOST"] == MOCK + "/v1"
    assert launch.secret_env == ()
