"""The OpenAI Responses API: its wire facts (``wire``) and what produces it.

The producers, shared by the mock upstream and the reference proxy's translators so both
emit one grammar, are re-exported here: ``StreamWriter`` (an event stream, numbered),
``response_object`` and ``echo`` (a whole Response), ``usage`` (a ResponseUsage). The judges
live in ``gatecheck.checks.responses`` and keep their own expectations.
"""

from __future__ import annotations

from gatecheck.protocols.responses import wire
from gatecheck.protocols.responses._emit import StreamWriter, echo, response_object, usage

__all__ = ["StreamWriter", "echo", "response_object", "usage", "wire"]
