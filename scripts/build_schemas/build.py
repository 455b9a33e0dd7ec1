"""Regenerate schemas/**/*.json: `.venv/bin/python scripts/build_schemas/build.py [--check]`.

The OpenAI files come from the official OpenAPI document (through the committed subset
openai-openapi.subset.json; `--from-spec ../shared/specs/openai-openapi.yaml` refreshes it),
the Anthropic files from the installed anthropic SDK, the gatecheck files from
gatecheck_api.py. `--check` exits 1 when a committed file differs from what would be
generated (tests/test_schemas_examples.py checks the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anthropic_sdk  # noqa: E402  (sibling modules, found through the path set above)
import gatecheck_api  # noqa: E402
import gatecheck_artefacts  # noqa: E402
import openai_spec  # noqa: E402

ROOT = HERE.parents[1] / "schemas"
BASE_ID = "https://gatecheck.dev/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate(spec: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every schema file, keyed by its name (`openai/chat-completion`)."""
    bodies = {**openai_spec.build(spec), **anthropic_sdk.build(), **gatecheck_api.build(),
              **gatecheck_artefacts.build()}
    out: dict[str, dict[str, Any]] = {}
    for name, body in sorted(bodies.items()):
        head = {"$schema": DIALECT, "$id": f"{BASE_ID}{name}.json", "title": name}
        out[name] = {**head, **{k: v for k, v in body.items() if k not in head}}
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--from-spec", type=Path, help="full openapi.yaml: refresh the subset")
    args = parser.parse_args(argv)
    if args.from_spec:
        full = openai_spec.load_spec(args.from_spec)
        text = render(openai_spec.subset(full, args.from_spec))
        openai_spec.SUBSET.write_text(text, encoding="utf-8")
    stale = []
    for name, schema in generate().items():
        path = ROOT / f"{name}.json"
        text = render(schema)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "stale" if args.check else "written"
    print(f"{len(stale)} schema file(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
