"""interop/: the LiteLLM config, the Portkey npm project and the interop targets agree with the
pins in gatecheck.interop and with what the run sets at start."""

from __future__ import annotations

import json

import pytest
import yaml

from gatecheck.interop import GATEWAYS, data_dir, launch_for
from gatecheck.targets import load_targets


@pytest.fixture(scope="module")
def litellm_config():
    return yaml.safe_load((data_dir("litellm") / "config.yaml").read_text(encoding="utf-8"))


def _deployments(config):
    return {entry["model_name"]: entry["litellm_params"] for entry in config["model_list"]}


def test_litellm_routes_the_reference_models_and_the_mocks_own(litellm_config):
    reference = load_targets().select(["reference"])[0]
    routed = _deployments(litellm_config)
    assert {reference.models.default, reference.models.anthropic, "mock-chat"} <= set(routed)


def test_litellm_deployments_use_each_format_against_the_mock(litellm_config):
    routed = _deployments(litellm_config)
    assert routed["gpt-4o-mini"]["model"].startswith("openai/")
    assert routed["gpt-4o-mini"]["api_base"] == "os.environ/GATECHECK_MOCK_OPENAI_BASE"
    assert routed["claude-3-5-haiku-latest"]["model"].startswith("anthropic/")
    anthropic_base = routed["claude-3-5-haiku-latest"]["api_base"]
    assert anthropic_base == "os.environ/GATECHECK_MOCK_ANTHROPIC_BASE"


def test_litellm_secrets_come_from_the_environment(litellm_config):
    assert litellm_config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    for params in _deployments(litellm_config).values():
        assert params["api_key"].startswith("os.environ/")


def _env_names(node):
    if isinstance(node, dict):
        return set().union(*(_env_names(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_env_names(v) for v in node)) if node else set()
    if isinstance(node, str) and node.startswith("os.environ/"):
        return {node.removeprefix("os.environ/")}
    return set()


def test_every_variable_the_litellm_config_names_is_set_at_start(litellm_config):
    named = _env_names(litellm_config)
    launch = launch_for("litellm", ("litellm",), port=4000, mock_url="http://127.0.0.1:9999",
                        environ={})
    assert named
    assert named <= set(launch.env)
    assert launch.env["GATECHECK_MOCK_OPENAI_BASE"] == "http://127.0.0.1:9999/v1"
    assert launch.env["GATECHECK_MOCK_ANTHROPIC_BASE"] == "http://127.0.0.1:9999"


def test_portkey_project_pins_the_gateway_and_node_server():
    package = json.loads((data_dir("portkey") / "package.json").read_text(encoding="utf-8"))
    assert package["dependencies"] == {"@portkey-ai/gateway": GATEWAYS["portkey"].version}
    assert package["overrides"] == {"@hono/node-server": "1.13.8"}


def test_portkey_lockfile_matches_the_pins():
    lock = json.loads((data_dir("portkey") / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    assert packages["node_modules/@portkey-ai/gateway"]["version"] == GATEWAYS["portkey"].version
    assert packages["node_modules/@hono/node-server"]["version"] == "1.13.8"
    # no registry address in the committed lockfile: npm resolves by name and version
    assert not any("resolved" in entry for entry in packages.values())


def test_litellm_spec_pins_litellm_and_prisma_exactly():
    spec = GATEWAYS["litellm"]
    assert f"litellm[proxy]=={spec.version}" in spec.requirements
    assert any(req.startswith("prisma==") for req in spec.requirements)


def test_the_shipped_registry_starts_both_gateways_over_the_mock():
    registry = load_targets()
    litellm, portkey = registry.select(["litellm", "portkey"])
    assert (litellm.embedded, portkey.embedded) == ("litellm", "portkey")
    assert litellm.needs_start
    assert portkey.needs_start
    assert litellm.auth.env == "LITELLM_MASTER_KEY"  # what gatecheck.interop exports
    assert portkey.auth.scheme == "none"
    assert litellm.models.default == "gpt-4o-mini"
    # Portkey is routed by headers: the provider per surface, the mock as the custom host
    assert portkey.surfaces["openai"].headers["x-portkey-provider"].literal == "openai"
    assert portkey.surfaces["anthropic"].headers["x-portkey-provider"].literal == "anthropic"
    host = portkey.headers["x-portkey-custom-host"]
    assert host.env == "GATECHECK_PORTKEY_CUSTOM_HOST"
    assert portkey.extra_headers("anthropic", {"GATECHECK_PORTKEY_CUSTOM_HOST": "http://m/v1"}) \
        == {"x-portkey-custom-host": "http://m/v1", "x-portkey-provider": "anthropic"}
