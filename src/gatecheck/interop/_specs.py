"""What each real gateway is: its pinned version, how it is installed and where its data lives.

The versions are the ones gatecheck's analysis of these gateways was made on (issue 16);
moving to a newer one is a deliberate change of its own, with the analysis redone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from gatecheck import UsageError

__all__ = [
    "CACHE_ENV",
    "GATEWAYS",
    "GatewaySpec",
    "data_dir",
    "default_cache_dir",
    "gateway_spec",
]

Runtime = Literal["python", "node"]

CACHE_ENV = "GATECHECK_INTEROP_CACHE"  # overrides the cache directory


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    """A real gateway gatecheck can install and start over its mock upstream."""

    name: str
    runtime: Runtime
    version: str
    # python: pip requirement strings for the gateway's own virtualenv;
    # node: the files copied from interop/<name>/ into the npm project (package.json first).
    requirements: tuple[str, ...]
    description: str
    docs: str

    @property
    def fingerprint(self) -> str:
        """What an install must match to be reused (changes with any pin)."""
        return f"{self.name} {self.runtime} {self.version} {' '.join(self.requirements)}"


LITELLM = GatewaySpec(
    name="litellm",
    runtime="python",
    version="1.106.2",
    # prisma beside litellm[proxy]: without it the proxy's auth error path itself fails,
    # and every auth failure (missing or wrong key) answers 500 instead of 401.
    requirements=("litellm[proxy]==1.106.2", "prisma==0.15.0"),
    description="LiteLLM proxy (BerriAI/litellm), from the Python registry",
    docs="https://docs.litellm.ai/docs/proxy/configs",
)

PORTKEY = GatewaySpec(
    name="portkey",
    runtime="node",
    version="1.15.2",
    # package.json pins @portkey-ai/gateway@1.15.2 and overrides @hono/node-server to
    # 1.13.8 (1.14+ breaks its streaming on Node); the lockfile pins the rest.
    requirements=("package.json", "package-lock.json", "loopback.mjs"),
    description="Portkey AI gateway (Portkey-AI/gateway), from the npm registry",
    docs="https://github.com/Portkey-AI/gateway#readme",
)

GATEWAYS: dict[str, GatewaySpec] = {spec.name: spec for spec in (LITELLM, PORTKEY)}


def gateway_spec(name: str) -> GatewaySpec:
    """The spec named ``name``; an unknown name is a one-line UsageError."""
    try:
        return GATEWAYS[name]
    except KeyError:
        known = ", ".join(sorted(GATEWAYS))
        raise UsageError(f"unknown gateway {name!r}: expected one of {known}") from None


def data_dir(name: str | None = None) -> Path:
    """The interop data folder (``interop/`` of the checkout, linked into the package as
    ``gatecheck/interop/data``); with ``name``, that gateway's subfolder."""
    root = Path(str(resources.files("gatecheck.interop").joinpath("data"))).resolve()
    if not (root / "README.md").is_file():
        raise UsageError(f"gatecheck's interop data is missing ({root}): reinstall gatecheck "
                         "from a checkout")
    return root / name if name else root


def default_cache_dir(cwd: Path | None = None) -> Path:
    """Where gateways are installed: ``$GATECHECK_INTEROP_CACHE``, else ``.gatecheck/interop``.

    The default is relative to the checkout when gatecheck runs from one (it is gitignored
    there), else to the current directory.
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "interop").is_dir():
        return checkout / ".gatecheck" / "interop"
    return (cwd or Path.cwd()) / ".gatecheck" / "interop"
