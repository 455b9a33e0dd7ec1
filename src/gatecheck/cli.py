"""The `gatecheck` command: one subcommand per module, imported only when it runs.

Each command module exposes ``configure(parser)`` (cheap: argparse only, no heavy imports)
and ``run(args) -> int``. Heavy imports (uvicorn, locust, pytest) happen inside ``run`` so
``gatecheck --help`` stays fast and locust's gevent patching never leaks into other commands.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from gatecheck._exceptions import HarnessError, UsageError

__all__ = ["COMMANDS", "main"]


class CommandModule(Protocol):
    HELP: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# name -> module; a module that is not there yet is left out of the parser.
COMMANDS: dict[str, str] = {
    "run": "gatecheck.runner.command",
    "targets": "gatecheck.targets.command",
    "mock": "gatecheck.mock.command",
    "proxy": "gatecheck.proxy.command",
    "load": "gatecheck.load.command",
    "calibrate": "gatecheck.load.calibrate_command",
    "report": "gatecheck.report.command",
    "matrix": "gatecheck.matrix.command",
    "publish": "gatecheck.report.publish_command",
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _load(module_name: str) -> CommandModule | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise
    return cast(CommandModule, module)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gatecheck",
        description="Conformance and load harness for OpenAI- and Anthropic-compatible gateways.",
    )
    from gatecheck import __version__

    parser.add_argument("--version", action="version", version=f"gatecheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (2: bad input or config, 1: failure)."""
    from gatecheck._exceptions import ConfigError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        module = getattr(args, "_module", None)
        if module is None:
            parser.print_help()
            return 2
        return int(module.run(args))
    except (UsageError, ConfigError) as exc:
        # A config file that cannot be used is bad input like a bad flag: exit 2, one line.
        print(f"gatecheck: error: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"gatecheck: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gatecheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
