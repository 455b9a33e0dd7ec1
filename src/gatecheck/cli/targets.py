"""`gatecheck targets`: validate targets.toml and show what each target claims (no network)."""

from __future__ import annotations

import argparse
import json
import os

from gatecheck import default_redactor
from gatecheck.options import TARGETS_FILE
from gatecheck.pytest.catalogue import load_catalogue, validate_registry
from gatecheck.pytest.runner import locate_suites
from gatecheck.targets import TargetConfig, load_targets


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options."""
    TARGETS_FILE.add_to(parser.add_argument)
    parser.add_argument(
        "names", nargs="*", metavar="NAME",
        help="targets to show (default: all; 'embedded' and 'remote' select groups)",
    )
    parser.add_argument("--json", action="store_true", help="print each target as JSON")
    parser.add_argument("--ready", action="store_true",
                        help="print only the names (comma-separated, one line) of the "
                             "targets whose credentials are set, of NAME... or else "
                             "$GATECHECK_TARGET; nothing when none is (a nightly job skips)")
    parser.add_argument("--suites", default=None, metavar="DIR",
                        help="the suites whose check ids deviations may name (default: "
                             "./suites, else the shipped ones)")


def _row(target: TargetConfig) -> list[str]:
    kind = f"embedded:{target.embedded}" if target.is_embedded else "remote"
    env = target.auth.env
    if target.auth.scheme == "none" or env is None:
        secret = "no credentials"
    elif target.needs_start:
        secret = f"${env} minted by the run"
    else:
        # Only whether it is set, never the value.
        secret = f"${env} {'set' if os.environ.get(env) else 'unset'}"
    return [
        target.name,
        kind,
        default_redactor().url(target.base_url),  # a user:password@ URL is a secret
        "+".join(target.surfaces),
        secret,
        f"{len(target.features)} features",
        f"{len(target.deviations)} deviations",
    ]


def run(args: argparse.Namespace) -> int:
    """Load (which validates) the registry and print it; a bad file raises ConfigError."""
    registry = load_targets(args.gatecheck_targets_file)
    validate_registry(registry, load_catalogue(locate_suites(args.suites)))
    if args.ready:
        wanted = args.names or [n.strip() for n in os.environ.get("GATECHECK_TARGET", "")
                                .split(",") if n.strip()] or ["all"]
        ready = [t.name for t in registry.select(wanted)
                 if t.needs_start or t.missing_secret is None]  # embedded: minted by the run
        if ready:
            print(",".join(ready))
        return 0
    selected = registry.select(args.names or ["all"])
    if args.json:
        for target in selected:
            print(json.dumps(target.summary(), sort_keys=True))
        return 0
    rows = [_row(target) for target in selected]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"{registry.file}: {len(registry)} targets, valid")
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print(("  " + "  ".join(cells)).rstrip())
    return 0
