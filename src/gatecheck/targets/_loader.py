"""targets.toml: discover() -> the shared config pipeline (gatecheck.config) -> Registry.

Modelled on schemathesis config/__init__.py and config/_validator.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from gatecheck import UsageError
from gatecheck.config import (
    parse_toml,
    read_toml,
    semantic_error,
    shipped_validator,
    show_url,
    url_problem,
    validate,
)
from gatecheck.options import TARGETS_FILE
from gatecheck.targets._errors import RULES, secret_in_auth
from gatecheck.targets._model import EMBEDDED, TargetConfig
from gatecheck.targets._registry import Registry

__all__ = ["discover", "load_targets", "parse_targets", "schema_path", "shipped_targets"]

FILE_NAME = "targets.toml"
SCHEMA = ("gatecheck.schemas", "data/targets.schema.json")


def shipped_targets() -> Path:
    """The registry shipped with gatecheck (the checkout's own targets.toml)."""
    return Path(str(resources.files("gatecheck.targets").joinpath(FILE_NAME)))


def schema_path() -> Path:
    """The targets schema shipped with gatecheck (schemas/targets.schema.json)."""
    package, resource = SCHEMA
    return Path(str(resources.files(package).joinpath(resource)))


def _validator() -> Draft202012Validator:
    return shipped_validator(*SCHEMA)


def discover(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path:
    """Locate targets.toml: explicit path > $GATECHECK_TARGETS_FILE > ./targets.toml > shipped.

    An explicit path or env var that names a missing file is a UsageError: silently falling
    back to another registry would check the wrong gateways.
    """
    env = os.environ if environ is None else environ
    chosen = path if path is not None else env.get(TARGETS_FILE.env) or None
    if chosen is not None:
        explicit = Path(chosen)
        if not explicit.is_file():
            via = f"${TARGETS_FILE.env}" if path is None else TARGETS_FILE.flag
            raise UsageError(f"{via} {explicit}: no such file")
        return explicit
    local = (cwd or Path.cwd()) / FILE_NAME
    if local.is_file():
        return local
    shipped = shipped_targets()
    if shipped.is_file():
        return shipped
    raise UsageError(f"no {FILE_NAME} in {local.parent} and none shipped with gatecheck")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_targets(source: str, file: str = FILE_NAME) -> Registry:
    """Parse and validate targets.toml text; every problem is one-line ConfigError."""
    return _from_data(parse_toml(source, file), file)


def _from_data(data: dict[str, Any], file: str) -> Registry:
    secret = secret_in_auth(file, data)
    if secret is not None:
        raise secret
    validate(data, _validator(), file, RULES)
    _check_semantics(file, data)
    targets = tuple(TargetConfig.from_dict(item) for item in data["target"])
    return Registry(targets, file=file)


def load_targets(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> Registry:
    """Locate, read, validate and freeze the target registry."""
    found = discover(path, environ=environ)
    file = _display(found)
    data, _ = read_toml(found, file)
    registry = _from_data(data, file)
    return registry.with_env_overrides(os.environ if environ is None else environ)


def _check_semantics(file: str, data: dict[str, Any]) -> None:
    """Rules JSON Schema cannot say: unique names and references inside one target."""
    seen: dict[str, int] = {}
    for index, target in enumerate(data["target"]):
        here: list[str | int] = ["target", index]
        name = target["name"]
        if name in seen:
            raise semantic_error(
                file, [*here, "name"], f"duplicate name {name!r} (also target[{seen[name]}])"
            )
        seen[name] = index
        if target["base-url"] != EMBEDDED and "embedded" in target:
            raise semantic_error(
                file, [*here, "embedded"], 'only allowed when base-url = "embedded"'
            )
        _check_urls(file, here, target)
        auth = target["auth"]
        surfaces: dict[str, Any] = target["surfaces"]
        for surface, conf in surfaces.items():
            placements = conf["auth"]
            if "header" in placements and "header" not in auth:
                raise semantic_error(
                    file, [*here, "surfaces", surface, "auth"], "'header' needs auth.header"
                )
            if set(placements) - {"none"} and "env" not in auth:
                raise semantic_error(
                    file, [*here, "auth", "env"], f"missing: the {surface} surface takes a secret"
                )
        for key in target.get("deviations", {}):
            _, _, surface = key.partition(":")
            if surface and surface not in surfaces:
                raise semantic_error(
                    file, [*here, "deviations", key], f"the target has no {surface} surface"
                )
        _check_claims(file, here, target)
        for m_index, entry in enumerate(target.get("matrix", ())):
            surface = entry.get("surface", "openai")
            if surface not in surfaces:
                raise semantic_error(
                    file,
                    [*here, "matrix", m_index, "surface"],
                    f"the target has no {surface} surface",
                )


def _check_urls(file: str, here: list[str | int], target: dict[str, Any]) -> None:
    """What the schema's URL pattern lets through (a port past 65535, a broken [IPv6] host,
    no host): the rule ``--base-url`` and GATECHECK_<NAME>_BASE_URL are held to as well."""
    urls: list[tuple[list[str | int], Any]] = [
        (["base-url"], target["base-url"]), (["mock-url"], target.get("mock-url"))]
    urls += [(["surfaces", surface, "base-url"], conf.get("base-url"))
             for surface, conf in target["surfaces"].items()]
    for path, url in urls:
        if isinstance(url, str) and url != EMBEDDED:
            problem = url_problem(url)
            if problem is not None:
                raise semantic_error(file, [*here, *path],
                                     f"{show_url(url)!r} is not valid: {problem}")


# feature -> (the quirk it needs, said as a TOML path): a claim the checks cannot act on.
_FEATURE_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    "health": (("quirks", "health", "path"), "quirks.health.path"),
    "readiness": (("quirks", "health", "readiness-path"), "quirks.health.readiness-path"),
    "body-limit": (("quirks", "limits", "body-bytes"), "quirks.limits.body-bytes"),
    "message-limit": (("quirks", "limits", "messages"), "quirks.limits.messages"),
}
# Checks of how a gateway treats the client's credentials: with auth.scheme = "none" they
# do not apply (AUTH-3 states the finding instead), so no deviation can name them.
_CREDENTIAL_CHECKS = frozenset({"AUTH-1", "AUTH-2", "AUTH-4", "AUTH-6", "AUTH-8"})


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _check_claims(file: str, here: list[str | int], target: dict[str, Any]) -> None:
    """A claimed feature without the quirk it needs; a deviation its own settings make
    unverifiable; a gateway in front of the mock whose mock nobody can find."""
    features = set(target.get("features", ()))
    for feature, (path, said) in _FEATURE_NEEDS.items():
        if feature in features and _get(target, path) is None:
            raise semantic_error(file, [*here, "features"],
                                 f"claims {feature!r} but sets no {said}")
    if ("mock-upstream" in features and target["base-url"] != EMBEDDED
            and "mock-url" not in target):
        raise semantic_error(file, [*here, "features"],
                             "claims 'mock-upstream' but names no mock-url (where the mock "
                             "behind the gateway listens)")
    if target["auth"]["scheme"] == "none":
        for key in target.get("deviations", {}):
            if key.partition(":")[0] in _CREDENTIAL_CHECKS:
                raise semantic_error(
                    file, [*here, "deviations", key],
                    "contradicts auth.scheme = \"none\": checks of the client's credentials "
                    "do not apply to a gateway without its own, so this can never be verified")
