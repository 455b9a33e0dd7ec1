"""The `gatecheck` command: one subcommand per module, and only the one that runs is imported.

Each command module exposes ``configure(parser)`` and ``run(args) -> int`` and is a thin
layer over a library function. ``gatecheck --help`` lists the commands from the table below
without importing any of them, and ``gatecheck load`` never imports what ``gatecheck run``
needs (Locust's gevent patching stays in Locust's own child process anyway), so each module
imports what it uses at its top.

Exit statuses: 0 success, 1 a failure (a MUST check failed, a harness error), 2 bad input
or a bad config file, 3 inconclusive (``gatecheck run``: see its ``--help``), 130 Ctrl-C.
Every error is one line on stderr, redacted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from gatecheck import ConfigError, HarnessError, UsageError, __version__, default_redactor

__all__ = ["COMMANDS", "build_parser", "main"]


class CommandModule(Protocol):
    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# name -> one line of help; the module is gatecheck.cli.<name>.
COMMANDS: dict[str, str] = {
    "run": "run the conformance suites against targets (default: the embedded reference)",
    "checks": "list every conformance check: id, level, category, surface, feature, title",
    "targets": "validate targets.toml and list its targets (never contacts them)",
    "mock": "serve the mock upstream (an OpenAI + Anthropic simulator with latency and faults)",
    "proxy": "serve the reference proxy (OpenAI + Anthropic front doors over either upstream "
             "format)",
    "load": "load a target with Locust (chat, stream, ramp, open-loop rate, capacity at an "
            "SLO) and summarise it, with the gateway's own overhead when a mock is behind it",
    "calibrate": "measure the load generator's accuracy and its overhead floor against the "
                 "mock's known latency model",
    "report": "re-render a run's reports (Markdown, HTML) from its results, or compare two runs",
    "matrix": "probe provider models through targets and keep an availability history",
    "publish": "publish reports/ as a static site (index of runs, latest per target, matrix, "
               "load)",
    "interop": "the real LiteLLM and Portkey gateways next to the reference: runs and a "
               "compatibility matrix",
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _command(name: str) -> CommandModule:
    return cast(CommandModule, importlib.import_module(f"gatecheck.cli.{name}"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``only``: configure just that command (the others list their help)."""
    parser = _Parser(
        prog="gatecheck",
        description="Conformance and load harness for OpenAI- and Anthropic-compatible gateways.",
    )
    parser.add_argument("--version", action="version", version=f"gatecheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, text in COMMANDS.items():
        module = _command(name) if only is None or name == only else None
        command_parser = sub.add_parser(name, help=text, description=text)
        if module is not None:
            module.configure(command_parser)
            command_parser.set_defaults(_module=module)
    return parser


def _say_error(message: object) -> None:
    """One line on stderr: redacted, and with nothing a terminal would act on."""
    line = default_redactor().text(str(message))
    line = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in line)
    print(f"gatecheck: error: {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (see the module docstring)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_in if not a.startswith("-")), "")
    try:
        parser = build_parser(only=chosen if chosen in COMMANDS else "")
        args = parser.parse_args(args_in)
        module = getattr(args, "_module", None)
        if module is None:
            parser.print_help()
            return 2
        return int(module.run(args))
    except (UsageError, ConfigError) as exc:
        # A config file that cannot be used is bad input like a bad flag: exit 2, one line.
        _say_error(exc)
        return 2
    except HarnessError as exc:
        _say_error(exc)
        return 1
    except OSError as exc:  # a path that cannot be read or written: say which, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        _say_error(f"{where}{exc.strerror or exc}")
        return 1
    except KeyboardInterrupt:
        print("gatecheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
