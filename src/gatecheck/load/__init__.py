"""Load runs with Locust: users, exact samples, open-loop pacing and run summaries.

The locustfiles in ``locustfiles/`` are thin: they subclass the users of
``gatecheck.load.users`` (which imports Locust, and so gevent, first). This package's
``__init__`` imports neither, so ``gatecheck load --help`` stays cheap and the summary code
can be used on samples.jsonl anywhere.
"""

from __future__ import annotations

from gatecheck.load._launch import SCENARIOS, LocustRun, locate_locustfile, new_run_dir
from gatecheck.load._options import (
    WIRES,
    calibration_options,
    feature_of,
    parse_duration,
    parse_processes,
    parse_rate,
    surface_of,
)
from gatecheck.load._pacer import Arrival, Pacer
from gatecheck.load._report import print_summary
from gatecheck.load._samples import Sample, SampleBook, read_samples, write_samples
from gatecheck.load._stats import PERCENTILES, describe, percentile
from gatecheck.load._summary import DEFINITIONS, buffering, client_health, summarize

__all__ = [
    "DEFINITIONS",
    "PERCENTILES",
    "SCENARIOS",
    "WIRES",
    "Arrival",
    "LocustRun",
    "Pacer",
    "Sample",
    "SampleBook",
    "buffering",
    "calibration_options",
    "client_health",
    "describe",
    "feature_of",
    "locate_locustfile",
    "new_run_dir",
    "parse_duration",
    "parse_processes",
    "parse_rate",
    "percentile",
    "print_summary",
    "read_samples",
    "summarize",
    "surface_of",
    "write_samples",
]
