"""The one way gatecheck prints: every line redacted, and nothing a terminal would act on.

Text a target sent (an error body in an assertion message, a header in a pytest traceback)
can hold the user's own credentials (a gateway that echoes request headers) and escape
sequences (one that clears the screen and prints a fake verdict). ``clean_line`` removes
both; ``say`` prints through it; ``relay`` copies a child process's output through it line
by line (``gatecheck run``'s pytest).
"""

from __future__ import annotations

import sys
from typing import IO

from gatecheck._redact import default_redactor, neutralise

__all__ = ["MAX_LINE", "clean_line", "relay", "say"]

# A line longer than this is cut (and says so): one endless line from a target must not
# hold the whole output in memory.
MAX_LINE = 16_384


def clean_line(text: str) -> str:
    """``text`` redacted, then with control characters and escape sequences shown escaped."""
    return neutralise(default_redactor().text(text))


def say(text: str, *, file: IO[str] | None = None) -> None:
    """Print one line (or several) through :func:`clean_line`."""
    out = file or sys.stdout
    for line in text.split("\n"):
        out.write(clean_line(line) + "\n")
    out.flush()


def relay(source: IO[bytes], sink: IO[str] | None = None) -> None:
    """Copy ``source`` to ``sink`` (stdout) line by line, each through :func:`clean_line`.

    Reads until end of file; a line past ``MAX_LINE`` bytes is printed cut, with a note.
    """
    out = sink or sys.stdout
    while True:
        raw = source.readline(MAX_LINE)
        if not raw:
            return
        cut = not raw.endswith(b"\n") and len(raw) >= MAX_LINE
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        out.write(clean_line(line) + (" [line cut]" if cut else "") + "\n")
        if cut:  # skip the rest of that line
            while raw and not raw.endswith(b"\n"):
                raw = source.readline(MAX_LINE)
        out.flush()
