"""The provider availability matrix: bounded probes, a SQLite history, and its page.

    with GatewayClient(target.root_url, auth) as client:
        results = probe_models(client, target.name, target.matrix)
    history = History("reports/history.sqlite")
    history.record(results)
    html = render_matrix_html(history.matrix(), generated_at="...")

``gatecheck matrix`` does exactly this (``plan_probes``, ``run_probes``, ``write_outputs``)
for the targets it is given, or for the offline demo (``demo``) when given none.
"""

from __future__ import annotations

from gatecheck.matrix._run import ProbePlan, plan_probes, run_probes, write_outputs
from gatecheck.matrix.history import DEFAULT_DB, History, MatrixRow, entry_status
from gatecheck.matrix.page import render_matrix_html, render_matrix_md, summary_line
from gatecheck.matrix.probe import (
    ERROR_CLASSES,
    ErrorClass,
    ProbeResult,
    ProbeSettings,
    classify_status,
    probe,
    probe_models,
)

__all__ = [
    "DEFAULT_DB",
    "ERROR_CLASSES",
    "ErrorClass",
    "History",
    "MatrixRow",
    "ProbePlan",
    "ProbeResult",
    "ProbeSettings",
    "classify_status",
    "entry_status",
    "plan_probes",
    "probe",
    "probe_models",
    "render_matrix_html",
    "render_matrix_md",
    "run_probes",
    "summary_line",
    "write_outputs",
]
