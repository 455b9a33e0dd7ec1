"""The config pipeline: discover() -> tomllib -> JSON Schema -> from_dict() -> Registry.

Modelled on schemathesis config/__init__.py and config/_validator.py.
"""

from __future__ import annotations

import functools
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatecheck._exceptions import ConfigError, UsageError
from gatecheck.options import TARGETS_FILE
from gatecheck.targets import _errors
from gatecheck.targets._model import EMBEDDED, TargetConfig
from gatecheck.targets._registry import Registry

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = ["discover", "load_targets", "parse_targets", "schema_path"]

FILE_NAME = "targets.toml"
SCHEMA_NAME = "targets.schema.json"
# src/gatecheck/targets/_loader.py -> the repository root of a source checkout.
_REPO_ROOT = Path(__file__).resolve().parents[3]
_HERE = Path(__file__).resolve().parent
# Where an installed wheel carries the repo's top-level files (the lead's packaging rule
# force-includes them): schemas/ as gatecheck/schemas/data/ (as gatecheck.schemas expects)
# and targets.toml as gatecheck/targets/data/targets.toml.
_WHEEL_SCHEMA = _HERE.parent / "schemas" / "data" / SCHEMA_NAME
_WHEEL_TARGETS = _HERE / "data" / FILE_NAME


def schema_path() -> Path:
    """The targets schema: the checkout's schemas/ first, else the wheel's copy."""
    for candidate in (_REPO_ROOT / "schemas" / SCHEMA_NAME, _WHEEL_SCHEMA):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"{SCHEMA_NAME}: not found in {_REPO_ROOT / 'schemas'} or {_WHEEL_SCHEMA.parent}"
    )


@functools.cache
def _validator() -> Draft202012Validator:
    # Imported here, not at the top: every `gatecheck` command imports this package to
    # declare its options, and only the ones that load a registry need jsonschema.
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def discover(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path:
    """Locate targets.toml: explicit path > $GATECHECK_TARGETS_FILE > ./targets.toml > the repo's.

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
    for fallback in (_REPO_ROOT / FILE_NAME, _WHEEL_TARGETS):
        if fallback.is_file():
            return fallback
    raise UsageError(f"no {FILE_NAME} in {local.parent} and none shipped with gatecheck")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_targets(source: str, file: str = FILE_NAME) -> Registry:
    """Parse and validate targets.toml text; every problem is one-line ConfigError."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise _errors.from_toml_error(file, exc, source) from None
    secret = _errors.secret_in_auth(file, data)
    if secret is not None:
        raise secret
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(data))
    if error is not None:
        raise _errors.from_validation_error(file, error) from None
    _check_semantics(file, data)
    targets = tuple(TargetConfig.from_dict(item) for item in data["target"])
    return Registry(targets, file=file)


def load_targets(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> Registry:
    """Locate, read, validate and freeze the target registry."""
    found = discover(path, environ=environ)
    file = _display(found)
    try:
        source = found.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    registry = parse_targets(source, file)
    return registry.with_env_overrides(os.environ if environ is None else environ)


def _check_semantics(file: str, data: dict[str, Any]) -> None:
    """Rules JSON Schema cannot say: unique names and references inside one target."""
    seen: dict[str, int] = {}
    for index, target in enumerate(data["target"]):
        here: list[str | int] = ["target", index]
        name = target["name"]
        if name in seen:
            raise _errors.semantic(
                file, [*here, "name"], f"duplicate name {name!r} (also target[{seen[name]}])"
            )
        seen[name] = index
        if target["base-url"] != EMBEDDED and "embedded" in target:
            raise _errors.semantic(
                file, [*here, "embedded"], 'only allowed when base-url = "embedded"'
            )
        auth = target["auth"]
        surfaces: dict[str, Any] = target["surfaces"]
        for surface, conf in surfaces.items():
            placements = conf["auth"]
            if "header" in placements and "header" not in auth:
                raise _errors.semantic(
                    file, [*here, "surfaces", surface, "auth"], "'header' needs auth.header"
                )
            if set(placements) - {"none"} and "env" not in auth:
                raise _errors.semantic(
                    file, [*here, "auth", "env"], f"missing: the {surface} surface takes a secret"
                )
        for key in target.get("deviations", {}):
            _, _, surface = key.partition(":")
            if surface and surface not in surfaces:
                raise _errors.semantic(
                    file, [*here, "deviations", key], f"the target has no {surface} surface"
                )
        for m_index, entry in enumerate(target.get("matrix", ())):
            surface = entry.get("surface", "openai")
            if surface not in surfaces:
                raise _errors.semantic(
                    file,
                    [*here, "matrix", m_index, "surface"],
                    f"the target has no {surface} surface",
                )
