"""The wire protocols, as facts and pure functions: what each front door looks like.

``openai`` (Chat Completions) and ``anthropic`` (Messages) each hold their protocol's facts
once: paths, version header, the status / error-type tables, event names and the request
builder that the mock, the proxy, the load users and the matrix probes share;
``translate`` converts between them (for the proxy). The checks keep their own independent
tables as the judge (``gatecheck.checks``): an implementation table never grades itself.
"""

from __future__ import annotations

from gatecheck import SURFACES, Surface

__all__ = ["SURFACES", "Surface"]
