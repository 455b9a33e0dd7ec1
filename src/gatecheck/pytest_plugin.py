"""gatecheck's pytest plugin (registered as a pytest11 entry point).

The conformance options and fixtures are added by the suites; until a run names a target
this plugin does nothing to an ordinary pytest session.
"""

from __future__ import annotations
