"""Real gateways as targets: install LiteLLM and Portkey at pinned versions and start them on
loopback over gatecheck's mock upstream.

    from gatecheck.interop import install, start

    install("litellm")                       # once; cached under .gatecheck/interop/
    with start("litellm", mock_url) as gw:   # a free loopback port, bounded start and stop
        gw.base_url, gw.env, gw.headers      # where it is, what a run exports, what it sends

The data these use (LiteLLM's config, Portkey's npm project and loopback preload) lives in
``interop/`` at the top of the checkout; ``interop/README.md`` describes it. ``nox -s
interop`` is the whole flow: install, start the mock, start each gateway, run the suites.
"""

from __future__ import annotations

from gatecheck.interop._install import InstalledGateway, install, installed, node_tools
from gatecheck.interop._process import stop_group
from gatecheck.interop._specs import (
    GATEWAYS,
    GatewaySpec,
    data_dir,
    default_cache_dir,
    gateway_spec,
)
from gatecheck.interop._start import GatewayLaunch, RunningGateway, launch_for, start

__all__ = [
    "GATEWAYS",
    "GatewayLaunch",
    "GatewaySpec",
    "InstalledGateway",
    "RunningGateway",
    "data_dir",
    "default_cache_dir",
    "gateway_spec",
    "install",
    "installed",
    "launch_for",
    "node_tools",
    "start",
    "stop_group",
]
