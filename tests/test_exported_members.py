"""The public surface: every name in gatecheck.__all__ exists, once, in sorted order."""

from __future__ import annotations

import inspect
import subprocess
import sys

import gatecheck


def test_all_names_exist():
    missing = [name for name in gatecheck.__all__ if not hasattr(gatecheck, name)]
    assert missing == []


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical.
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted_and_unique():
    assert len(set(gatecheck.__all__)) == len(gatecheck.__all__)
    assert list(gatecheck.__all__) == sorted(gatecheck.__all__, key=_isort_key)


def test_public_classes_claim_gatecheck_as_home():
    # Re-exported names should come from the package, not from a dependency.
    for name in gatecheck.__all__:
        member = getattr(gatecheck, name)
        if not (inspect.isclass(member) or inspect.isfunction(member)):
            continue
        module = getattr(member, "__module__", "gatecheck")
        assert module.startswith("gatecheck"), (name, module)


def test_import_gatecheck_stays_light():
    # CLI startup imports the package; the client (httpx, asyncio) loads on first use only.
    code = "import sys, gatecheck; print('httpx' in sys.modules); gatecheck.GatewayClient; " \
           "print('httpx' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.split() == ["False", "True"]
