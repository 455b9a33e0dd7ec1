"""Target-supplied text made safe for a terminal: controls shown escaped, never emitted.

A gateway's error body can hold escape sequences that clear the screen and print a fake
green "overall PASS", set the window title (OSC), move the cursor, ring the bell, or
overwrite a line with a carriage return or backspaces. ``for_terminal`` shows every such
character as a Python-style escape (``\\x1b[2J``, ``\\r``, ``\\x9b``, ``\\u202e``), so the
sequence is visible as text and has no effect; every printable character, any script or
emoji, is kept as is.

Escaped: all C0 controls but newline and tab (tab only when ``tabs`` is true), DEL, all C1
controls (U+0080-U+009F; U+009B is a one-character CSI on many terminals), the Unicode line
and paragraph separators, the bidirectional marks, embeddings, overrides and isolates (they
reorder what is shown: "Trojan Source"), and lone surrogates (which cannot be encoded for
output at all). A CR LF pair becomes a plain newline. Linear in the length; text with
nothing to escape is returned as is.

Why not a library: ``rich.markup.escape`` and ``click.unstyle`` handle their own markup or
strip only the SGR sequences they know; stripping hides evidence, escaping keeps it.
"""

from __future__ import annotations

import re

__all__ = ["HIDING", "for_terminal"]

_CONTROLS = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
             "\u2066-\u2069\ud800-\udfff")
# Where newlines are kept, a CR LF pair is one newline; on one line, both are escaped.
_UNSAFE = re.compile(f"\r\n|[{_CONTROLS}]")
_UNSAFE_NO_TABS = re.compile(f"\r\n|[\t{_CONTROLS}]")
_UNSAFE_ONE_LINE = re.compile(f"[\n{_CONTROLS}]")
_UNSAFE_ONE_LINE_NO_TABS = re.compile(f"[\t\n{_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# What a terminal shows as nothing: escape sequences (whole), other controls but tab and
# newline, and zero-width characters. A hostile echo can put them inside a secret to hide it
# from an exact match while a terminal still shows it whole (the redactor drops them then).
HIDING = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI (ESC [ or C1 CSI), parameters and final byte
    "|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]{0,256}(?:\x07|\x1b\\\\|\x9c)?"  # OSC and its end
    "|\x1b[@-_]?"  # other escapes
    "|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff]"
)


def _escape(m: re.Match[str]) -> str:
    char = m.group(0)
    if char == "\r\n":
        return "\n"
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: str, *, newlines: bool = True, tabs: bool = True) -> str:
    """``text`` with every control character and escape sequence shown escaped.

    ``newlines=False`` escapes newlines too (for one-line output such as a summary);
    ``tabs=False`` escapes tabs.
    """
    if text.isprintable():  # the common case: nothing to do, at C speed
        return text
    if newlines:
        pattern = _UNSAFE if tabs else _UNSAFE_NO_TABS
    else:
        pattern = _UNSAFE_ONE_LINE if tabs else _UNSAFE_ONE_LINE_NO_TABS
    return pattern.sub(_escape, text)
