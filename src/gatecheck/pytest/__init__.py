"""gatecheck's pytest plugin and the conformance run built on it.

``plugin`` is the plugin itself (options, hooks, fixtures; loaded with
``-p gatecheck.pytest.plugin`` or by ``suites/conftest.py``), ``newhooks`` the hook it adds
(``pytest_gatecheck_event``), ``runner`` what ``gatecheck run`` does: the suites in a child
pytest, reports, the verdict and its exit status. The modules with a leading underscore are
the plugin's parts: run state, fixtures, result records, the deviation ledger.
"""

from __future__ import annotations

__all__: list[str] = []
