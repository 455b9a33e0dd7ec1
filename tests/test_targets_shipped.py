"""The shipped targets.toml: valid, faithful to the embedded default, and free of secrets."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gatecheck import Redactor
from gatecheck.options import resolve_target_names
from gatecheck.targets import load_targets, schema_path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "targets.toml"
REMOTE = ["portkey-cloud", "puter", "ccproxy", "gatewayz", "claude-proxy"]

# Every check id of research/conformance-checklist.md (copied so a fresh clone can test it).
CHECKLIST_IDS = frozenset(
    [f"W-{i}" for i in range(1, 9)]
    + [f"AUTH-{i}" for i in range(1, 13)]
    + [f"STR-{i}" for i in range(1, 5)]
    + [f"STR-O{i}" for i in range(1, 11)]
    + [f"STR-A{i}" for i in range(1, 10)]
    + [f"ERR-{i}" for i in range(1, 13)]
    + [f"TOK-{i}" for i in range(1, 8)]
    + [f"CORS-{i}" for i in range(1, 10)]
    + [f"ALIAS-{i}" for i in range(1, 6)]
    + [f"MOD-{i}" for i in range(1, 6)]
    + [f"HEALTH-{i}" for i in range(1, 6)]
    + [f"LIM-{i}" for i in range(1, 8)]
    + [f"HDR-{i}" for i in range(1, 8)]
)
# Shapes of real credentials: provider prefixes, bearer values, long random-looking runs.
KEY_SHAPES = re.compile(
    r"\b(?:sk|pk|gk|rk|cpk)[-_][A-Za-z0-9_-]{6,}"
    r"|\bBearer\s+\S{6,}"
    r"|\b[0-9a-f]{32,}\b"
    r"|\b[A-Za-z0-9_-]{32,}\b"
)


@pytest.fixture(scope="module")
def registry():
    return load_targets(SHIPPED, environ={})


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path + "." + key, key
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def test_schema_is_valid_2020_12_and_documents_every_field():
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    undocumented = []
    defs = schema["$defs"]

    def documented(sub: dict[str, Any]) -> bool:
        ref = sub.get("$ref", "")
        return "description" in sub or "description" in defs.get(ref.rsplit("/", 1)[-1], {})

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not documented(sub):
                    undocumented.append(f"{where}.{name}")
            for key, sub in node.items():
                if key != "if":  # conditions restate fields documented elsewhere
                    walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                walk(sub, f"{where}[{index}]")

    walk(schema, "#")
    assert undocumented == []


def test_shipped_file_loads_with_every_profile(registry):
    assert registry.names == ["reference", "reference-anthropic", "mock", "litellm", "portkey",
                              *REMOTE]


def test_reference_is_exactly_the_embedded_default(registry):
    ref = registry.get("reference")
    assert ref.needs_start
    assert ref.embedded == "reference"
    assert dict(ref.aliases) == {
        "gpt-4o-mini": "mock/mock-chat",
        "claude-3-5-haiku-latest": "mock/mock-chat",
    }
    assert ref.models.listed is not None
    assert sorted(ref.models.listed) == ["claude-3-5-haiku-latest", "gpt-4o-mini", "mock-chat"]
    assert ref.models.resolved_header == "x-gatecheck-resolved-model"
    assert ref.quirks.model_echo == "requested"
    health = ref.quirks.health
    assert health is not None
    assert health.path == "/health"
    assert health.liveness_path == "/health/live"
    assert health.requires_auth is False
    assert ref.auth.admin_env == "GATECHECK_ADMIN_KEY"
    assert ref.auth.key_prefix == "gk-"
    assert set(ref.surfaces) == {"openai", "anthropic"}
    assert ref.deviations == ()


def test_reference_anthropic_differs_from_reference_only_where_it_must(registry):
    ref, ant = registry.get("reference"), registry.get("reference-anthropic")
    assert ant.embedded == "reference-anthropic"
    # an Anthropic upstream passes thinking through and has no embeddings
    assert ant.features == (ref.features - {"embeddings"}) | {"anthropic-passthrough",
                                                              "thinking"}
    assert not ref.claims("anthropic-passthrough")
    # its own env names, so one run can start both without one's keys replacing the other's
    assert {ant.auth.env, ant.auth.admin_env}.isdisjoint({ref.auth.env, ref.auth.admin_env})
    for same in ("aliases", "models", "quirks", "surfaces", "deviations"):
        assert getattr(ant, same) == getattr(ref, same), same


def test_mock_is_a_raw_provider_without_gateway_features(registry):
    mock = registry.get("mock")
    assert mock.embedded == "mock"
    assert mock.auth.scheme == "none"
    assert mock.missing_secret is None
    for feature in ("keys", "cors", "health", "rate-limits", "aliases"):
        assert not mock.claims(feature), feature
    assert mock.claims("mock-directives")
    assert mock.models.default == "mock-chat"


def test_remote_profiles_hold_only_env_names(registry, raw):
    for name in REMOTE:
        target = registry.get(name)
        assert target.is_remote
        assert target.auth.env is not None
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*", target.auth.env)
        assert target.version, f"{name}: a remote profile is pinned to a version"
    # The detector itself must see a planted key, or an empty result proves nothing.
    assert KEY_SHAPES.search('env = "sk-ant-api03-abcdef123456"')
    leaks = [(where, value) for where, value in _strings(raw) if KEY_SHAPES.search(value)]
    assert leaks == []


def test_no_shipped_string_is_key_shaped_to_the_redactor(raw):
    fresh = Redactor()
    changed = [(w, v) for w, v in _strings(raw) if fresh.text(v) != v]
    assert changed == []


def test_remote_targets_are_never_selected_by_default(registry):
    names = resolve_target_names(None, {})
    assert [t.name for t in registry.select(names)] == ["reference"]
    assert all(not t.is_remote for t in registry.select(["embedded"]))


def test_missing_remote_secret_names_the_variable(registry, monkeypatch):
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    portkey = registry.get("portkey-cloud")
    assert portkey.missing_secret == "PORTKEY_API_KEY"


def test_deviation_ids_are_checklist_ids(registry):
    registry.check_deviation_ids(CHECKLIST_IDS)
    for target in registry:
        for dev in target.deviations:
            assert dev.reason.strip(), (target.name, dev.key)


def test_portkey_profile_carries_report_004(registry):
    portkey = registry.get("portkey-cloud")
    assert portkey.api_base_url() == "https://api.portkey.ai/v1"
    assert portkey.auth.scheme == "header"
    assert portkey.auth.header == "x-portkey-api-key"
    models = [m.model for m in portkey.matrix]
    assert models[:7] == [
        "@deepinfra/zai-org/GLM-4.5-Air",
        "@deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct",
        "@openrouter/openai/gpt-3.5-turbo",
        "@xai/grok-3",
        "@cerebras/llama3.1-8b",
        "@novita/meta-llama/llama-3.1-8b-instruct",
        "@nebius/meta-llama/Meta-Llama-3.1-8B-Instruct",
    ]
    assert [m.provider for m in portkey.matrix][-1] == "HuggingFace"
    assert all(m.startswith("@") for m in models)


def test_puter_quirks(registry):
    puter = registry.get("puter")
    assert puter.surfaces["anthropic"].auth == ("bearer",)
    assert puter.quirks.invalid_json_status == 500
    assert puter.quirks.model_echo == "default-substituted"
    assert puter.quirks.rate_limits.retry_after is False
    # Only the x-api-key check of AUTH-2 fails; Bearer on /v1/messages works.
    assert puter.deviation("AUTH-2", "anthropic", "test_auth2_x_api_key") is not None
    assert puter.deviation("AUTH-2", "anthropic", "test_auth2_bearer_on_anthropic") is None
    assert puter.deviation("AUTH-2", "openai", "test_auth2_x_api_key") is None
    assert puter.deviation("ERR-6") is not None


def test_ccproxy_quirks(registry):
    cc = registry.get("ccproxy")
    assert set(cc.surfaces) == {"openai"}
    assert cc.deviation("AUTH-4", "openai", "test_auth4_wrong_openai") is not None  # 403
    health = cc.quirks.health
    assert health is not None
    assert health.path == "/health/liveliness"
    assert health.requires_auth is True
    assert "/health" in health.never_poll
    assert cc.root_url == "https://coder.visiquate.com"


def test_gatewayz_quirks(registry):
    gz = registry.get("gatewayz")
    assert gz.quirks.upstream_auth_status == 401
    assert all(dict(m.extra_body) == {"provider": "portkey"} for m in gz.matrix)


def _suite_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "suites").glob("*.py")))


def test_features_the_suites_gate_on_are_in_the_vocabulary():
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    vocabulary = set(schema["$defs"]["feature"]["enum"]) | {"auth"}  # "auth" is derived
    used = set(re.findall(r"""feature=["']([a-z-]+)["']""", _suite_sources()))
    assert used <= vocabulary, sorted(used - vocabulary)


def test_checks_named_by_deviations_exist_in_the_suites(registry):
    defined = set(re.findall(r"^def (test_[A-Za-z0-9_]+)\(", _suite_sources(), re.MULTILINE))
    if not defined:
        pytest.skip("no suites in this checkout")
    registry.check_deviation_ids(CHECKLIST_IDS, defined)


def _suite_checks() -> list[tuple[str, str, str | None, str | None]]:
    """(check id, test function, feature, surface) of every @check in suites/."""
    import ast

    found = []
    for path in sorted((ROOT / "suites").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name)
                        and deco.func.id == "check" and deco.args):
                    words = {k.arg: ast.literal_eval(k.value) for k in deco.keywords}
                    found.append((ast.literal_eval(deco.args[0]), node.name,
                                  words.get("feature"), words.get("surface")))
    return found


def test_every_shipped_deviation_covers_a_check_its_target_runs(registry):
    # A deviation whose checks all skip on its target (a feature or surface it does not
    # claim) is never verified: the plugin warns about it at run time; none is shipped.
    checks = _suite_checks()
    if not checks:
        pytest.skip("no suites in this checkout")
    dead = []
    for target in registry:
        for dev in target.deviations:
            runnable = [name for check_id, name, feature, surface in checks
                        if dev.matches(check_id, surface, name)
                        and (feature is None or target.claims(feature))
                        and (surface is None or target.has_surface(surface))]
            if not runnable:
                dead.append(f"{target.name}:{dev.key}")
    assert dead == []
