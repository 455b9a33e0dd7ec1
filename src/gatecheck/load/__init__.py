"""Load runs with Locust: users, exact samples, open-loop pacing, overhead and capacity.

The locustfiles in ``locustfiles/`` are thin: they subclass the users of
``gatecheck.load.users`` (which imports Locust, and so gevent, first). This package's
``__init__`` imports neither, so ``gatecheck load --help`` stays cheap and the summary code
can be used on samples.jsonl anywhere. ``LoadPlan.from_options`` checks a command line and
``run_load`` runs it, as ``gatecheck load`` does; ``measure_performance`` is the interop
session's short overhead and capacity runs against one gateway.
"""

from __future__ import annotations

from gatecheck.load._calibration import (
    ACCURACY,
    CALIBRATION_FILE,
    accuracy_checks,
    read_floor,
    self_check,
)
from gatecheck.load._capacity import CapacitySearch, Slo, judge, parse_slos
from gatecheck.load._launch import SCENARIOS, LocustRun, locate_locustfile
from gatecheck.load._options import (
    LOAD_OPTIONS,
    LOCUST_OPTIONS,
    WIRES,
    LoadSettings,
    add_load_options,
    calibration_options,
    feature_of,
    parse_duration,
    parse_processes,
    parse_rate,
    parse_warmup,
    surface_of,
)
from gatecheck.load._pacer import Arrival, Pacer
from gatecheck.load._perf import PerfConfig, measure_performance
from gatecheck.load._plan import EMBEDDED_DIRECTIVE, LoadPlan, check_web_port
from gatecheck.load._report import print_summary
from gatecheck.load._run import LoadOutcome, run_calibration, run_load, true_values
from gatecheck.load._samples import Sample, SampleBook, read_samples, write_samples
from gatecheck.load._stats import PERCENTILES, describe, percentile
from gatecheck.load._summary import DEFINITIONS, buffering, client_health, overhead, summarize
from gatecheck.load._truth import GroundTruth

__all__ = [
    "ACCURACY",
    "CALIBRATION_FILE",
    "DEFINITIONS",
    "EMBEDDED_DIRECTIVE",
    "LOAD_OPTIONS",
    "LOCUST_OPTIONS",
    "PERCENTILES",
    "SCENARIOS",
    "WIRES",
    "Arrival",
    "CapacitySearch",
    "GroundTruth",
    "LoadOutcome",
    "LoadPlan",
    "LoadSettings",
    "LocustRun",
    "Pacer",
    "PerfConfig",
    "Sample",
    "SampleBook",
    "Slo",
    "accuracy_checks",
    "add_load_options",
    "buffering",
    "calibration_options",
    "check_web_port",
    "client_health",
    "describe",
    "feature_of",
    "judge",
    "locate_locustfile",
    "measure_performance",
    "overhead",
    "parse_duration",
    "parse_processes",
    "parse_rate",
    "parse_slos",
    "parse_warmup",
    "percentile",
    "print_summary",
    "read_floor",
    "read_samples",
    "run_calibration",
    "run_load",
    "self_check",
    "summarize",
    "surface_of",
    "true_values",
    "write_samples",
]
