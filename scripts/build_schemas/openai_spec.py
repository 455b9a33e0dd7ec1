"""Extract the OpenAI wire schemas from the official OpenAPI document into 2020-12 files.

Every `$ref` a root needs is copied into its `$defs`, every OpenAPI 3.0 `nullable: true`
becomes `anyOf [..., {type: null}]` (a 2020-12 validator ignores `nullable`, so OpenAI's own
example chunk would fail otherwise), and OpenAPI-only keys (`x-*`, `example`) are dropped.
A `oneOf` with an OpenAPI `discriminator` becomes an if/then chain on the tag: the same
instances pass, but an error names the branch the tag selects (not "valid under none of the
given schemas") and validation stops trying every branch (1 ms -> 0.1 ms per request).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from _walk import Schema, known_values, refs, walk

# The full document (3 MB) is kept outside the repository; the build reads a subset of it
# committed next to this file: the component schemas the roots need, unmodified, and the
# examples of the endpoints gatecheck judges. `build.py --from-spec PATH` refreshes it.
SUBSET = Path(__file__).resolve().parent / "openai-openapi.subset.json"
SPEC_SOURCE = (
    "openai/openai-openapi openapi.yaml @ f85dbe223d40e1a31cba812ab2d755c7e98a92a3 (MIT)"
)
_EXAMPLE_PATHS = {
    "/chat/completions": "post", "/models": "get", "/models/{model}": "get",
    "/responses": "post", "/embeddings": "post",
}
_PREFIX = "#/components/schemas/"

# schema name -> component schema it is extracted from
ROOTS = {
    "openai/chat-completion-request": "CreateChatCompletionRequest",
    "openai/chat-completion": "CreateChatCompletionResponse",
    "openai/chat-completion-chunk": "CreateChatCompletionStreamResponse",
    "openai/error": "ErrorResponse",
    "openai/model": "Model",
    "openai/model-list": "ListModelsResponse",
    "openai/response-request": "CreateResponse",
    "openai/response": "Response",
    "openai/response-stream-event": "ResponseStreamEvent",
    "openai/embedding-request": "CreateEmbeddingRequest",
    "openai/embedding-list": "CreateEmbeddingResponse",
}
# root -> (component, file): the root references that component, and everything it needs, in
# that file instead of copying them (every lifecycle event of a Responses stream carries a
# whole `Response`, and its output items are the ones response.json already defines).
EXTERNAL = {"openai/response-stream-event": ("Response", "response.json")}
# root -> {JSON pointer: why}: properties the spec types non-null that its own examples (and
# OpenAI's API) send as null. Allowed null in every profile: the strict profile judges what
# the specs require, and OpenAI's own answers, which a passthrough gateway relays, meet it.
_SENT_AS_NULL = {
    "openai/response": {
        "/$defs/ModelResponseProperties/properties/user":
            "every Responses example of OpenAI's spec sends \"user\": null (the SDK reads it "
            "as Optional; Open Responses' ResponseResource requires it, string or null)",
        "/allOf/2/properties/usage":
            "OpenAI's own stream example sends \"usage\": null in response.created and "
            "response.in_progress, before any token is counted (Open Responses: ResponseUsage "
            "or null)",
    },
}
# Roots whose event `type` tag WARNs on unknown values: OpenAI adds Responses stream events
# (the shell_call ones came in 2026), and a client skips types it does not know.
_OPEN_TAGS = {"openai/response-stream-event": "OpenAI adds Responses stream event types; "
              "an unknown type is reported, not failed (clients skip it)"}


def load_spec(path: Path = SUBSET) -> dict[str, Any]:
    """The committed subset (JSON), or the full OpenAPI YAML when given its path."""
    if path.suffix == ".json":
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    with path.open("rb") as fh:
        # CSafeLoader: the document is 3 MB; the pure-Python loader is ~30x slower on it.
        spec: dict[str, Any] = yaml.load(fh, Loader=yaml.CSafeLoader)
    return spec


def subset(spec: dict[str, Any], source: Path) -> dict[str, Any]:
    """What the build needs from the full document, unmodified, with its provenance."""
    components: dict[str, Any] = spec["components"]["schemas"]
    needed: dict[str, Any] = {}
    todo = list(ROOTS.values())
    while todo:
        name = todo.pop()
        if name not in needed:
            needed[name] = components[name]
            prefix = "#/components/schemas/"
            todo.extend(r[len(prefix):] for r in refs(components[name]) if r.startswith(prefix))
    examples = {
        path: {method: {"x-oaiMeta": spec["paths"][path][method]["x-oaiMeta"]}}
        for path, method in _EXAMPLE_PATHS.items()
    }
    return {
        "x-gatecheck-subset-of": {
            "source": SPEC_SOURCE,
            "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
            "openapi": spec["openapi"],
            "info.version": spec["info"]["version"],
        },
        "paths": examples,
        "components": {"schemas": dict(sorted(needed.items()))},
    }


def denullable(node: Schema) -> Schema:
    """`{..., nullable: true}` -> `{anyOf: [{...}, {type: null}]}` (description kept outside)."""
    nullable = node.pop("nullable", None)
    if nullable is not True:
        return node
    outer: Schema = {}
    if "description" in node:
        outer["description"] = node.pop("description")
    if "default" in node:
        outer["default"] = node.pop("default")
    outer["anyOf"] = [node, {"type": "null"}]
    return outer


def _clean(node: Schema) -> Schema:
    for key in [k for k in node if k.startswith("x-") or k == "example"]:
        del node[key]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_PREFIX):
        node["$ref"] = "#/$defs/" + ref[len(_PREFIX):]
    return node


def rewrite(schema: Any, *, nullable: bool = True) -> Any:
    """Clean one component schema; `nullable=False` keeps the spec's raw `nullable` (tests)."""
    def fn(node: Schema) -> Schema:
        node = _clean(node)
        return denullable(node) if nullable else node

    return walk(schema, fn)


def _tag(defs: dict[str, Schema], ref: str, prop: str, depth: int = 0) -> str | None:
    target = defs.get(ref.removeprefix("#/$defs/"), {})
    spec = target.get("properties", {}).get(prop, {})
    values = spec.get("enum", [spec["const"]] if "const" in spec else [])
    tagged = len(values) == 1 and prop in target.get("required", ())
    if tagged and isinstance(values[0], str):
        return values[0]
    # `X = allOf [$ref Base, {extra properties}]` (FunctionToolCallOutputResource): the tag
    # is the base's, since every part of an allOf must hold
    for part in target.get("allOf", ()) if depth < 3 else ():
        inner = part.get("$ref") if isinstance(part, dict) else None
        found = _tag(defs, inner, prop, depth + 1) if isinstance(inner, str) else None
        if found is not None:
            return found
    return None


def discriminate(root: Schema) -> Schema:
    """`oneOf` + `discriminator` over tagged `$ref`s -> `properties.tag.enum` + if/then."""
    defs: dict[str, Schema] = root.get("$defs", {})

    def fn(node: Schema) -> Schema:
        prop = node.get("discriminator", {}).get("propertyName")
        # ResponseStreamEvent is an `anyOf` with a discriminator; the tags make it exclusive
        union = "oneOf" if "oneOf" in node else "anyOf"
        members = node.get(union)
        if not prop or not isinstance(members, list) or "mapping" in node["discriminator"]:
            return node
        tags = [_tag(defs, m.get("$ref", ""), prop) if set(m) == {"$ref"} else None
                for m in members]
        if None in tags or len(set(tags)) != len(tags):
            return node  # not a clean tagged union: keep the spec's oneOf
        rest = {k: v for k, v in node.items() if k not in (union, "discriminator")}
        return {
            **rest,
            "type": "object",
            "required": [prop],
            "properties": {prop: {"type": "string", "enum": tags}},
            "allOf": [
                {"if": {"properties": {prop: {"const": t}}, "required": [prop]}, "then": m}
                for t, m in zip(tags, members, strict=True)
            ],
        }

    result: Schema = walk(root, fn)
    return result


def _unrecurse(schema: Schema, name: str) -> Schema:
    """2019-09's `$recursiveAnchor`/`$recursiveRef: "#"` (CompoundFilter) as a plain `$ref`:
    2020-12 has neither keyword, and the component refers only to itself."""
    def fn(node: Schema) -> Schema:
        node.pop("$recursiveAnchor", None)
        if node.get("$recursiveRef") == "#":
            del node["$recursiveRef"]
            node["$ref"] = f"#/$defs/{name}"
        return node

    result: Schema = walk(schema, fn)
    return result


def _externalise(schema: Schema, external: dict[str, str]) -> Schema:
    def fn(node: Schema) -> Schema:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in external:
            node["$ref"] = external[ref.removeprefix("#/$defs/")]
        return node

    result: Schema = walk(schema, fn)
    return result


def extract(spec: dict[str, Any], component: str, *, nullable: bool = True,
            external: dict[str, str] | None = None) -> Schema:
    """The component and everything it references, as one self-contained schema.

    `external` maps components to the schema files that hold them: those are referenced
    by file (`response.json`) rather than copied in.
    """
    components: dict[str, Any] = spec["components"]["schemas"]
    external = external or {}
    needed: dict[str, Schema] = {}
    todo = [component]
    while todo:
        name = todo.pop()
        if name in needed or name in external:
            continue
        needed[name] = _externalise(
            _unrecurse(rewrite(components[name], nullable=nullable), name), external)
        todo.extend(r.rsplit("/", 1)[1] for r in refs(needed[name]) if r.startswith("#/$defs/"))
    root = dict(needed.pop(component))
    if needed:
        root["$defs"] = dict(sorted(needed.items()))
    # the raw form (nullable=False) is the spec untouched, for the test that shows it fails
    return discriminate(root) if nullable else root


def _open_objects(schema: Schema) -> Schema:
    """Drop `additionalProperties: false` (the Response echoes tool definitions that have it):
    gatecheck allows vendor fields on every answer (schemas/README.md)."""
    def fn(node: Schema) -> Schema:
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        return node

    result: Schema = walk(schema, fn)
    return result


def _allow_null(schema: Schema, pointer: str, why: str) -> None:
    """The subschema at ``pointer`` also accepts null (``_SENT_AS_NULL``), saying why."""
    *parents, key = pointer.strip("/").split("/")
    node: Any = schema
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[key] = {"anyOf": [node[key], {"type": "null"}], "x-gatecheck-null-because": why}


def _external(spec: dict[str, Any], root: str) -> dict[str, str] | None:
    if root not in EXTERNAL:
        return None
    component, file = EXTERNAL[root]
    held = extract(spec, component).get("$defs", {})
    return {component: file, **{name: f"{file}#/$defs/{name}" for name in held}}


def build(spec: dict[str, Any] | None = None) -> dict[str, Schema]:
    spec = spec if spec is not None else load_spec()
    out: dict[str, Schema] = {}
    for name, component in ROOTS.items():
        body = extract(spec, component, external=_external(spec, name))
        if "request" not in name:
            body = _open_objects(body)
        if name in _OPEN_TAGS:
            tags = body["properties"]["type"]["enum"]
            body["properties"]["type"] = {"type": "string",
                                          **known_values(tags, _OPEN_TAGS[name])}
        for pointer, why in _SENT_AS_NULL.get(name, {}).items():
            _allow_null(body, pointer, why)
        body["x-gatecheck-source"] = f"{SPEC_SOURCE}: components.schemas.{component}"
        out[name] = body
    # STR-O7: with stream_options.include_usage every chunk carries the `usage` key (null
    # until the last one). The spec says so in prose only; this variant makes it checkable.
    out["openai/chat-completion-chunk-include-usage"] = {
        "description": "A chunk of a stream requested with stream_options.include_usage: "
        "`usage` is present on every chunk, null except on the final one (STR-O7).",
        "allOf": [{"$ref": "chat-completion-chunk.json"}],
        "required": ["usage"],
        "x-gatecheck-source": f"{SPEC_SOURCE}: CreateChatCompletionStreamResponse.usage "
        "description",
    }
    return out
