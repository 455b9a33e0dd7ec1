"""Schemas of the files a gatecheck run writes: results.jsonl records and findings.json.

They are gatecheck's own contract (src/gatecheck/results.py owns the record); reports,
comparisons and CI tools read the files against them.
"""

from __future__ import annotations

from typing import get_args

from _walk import Schema

from gatecheck.findings import Severity
from gatecheck.results import LEVELS, OUTCOMES

SOURCE = "gatecheck's results contract (src/gatecheck/results.py)"
_TEXT_OR_NULL = {"type": ["string", "null"]}

_RESULT: Schema = {
    "description": "One line of results.jsonl: one check x target of a run.",
    "type": "object",
    "required": ["target", "check_id", "test", "title", "category", "level", "outcome"],
    "properties": {
        "run_id": _TEXT_OR_NULL,
        "target": {"type": "string", "minLength": 1},
        "target_url": _TEXT_OR_NULL,
        "profile": _TEXT_OR_NULL,
        "check_id": {"type": "string", "minLength": 1},
        "test": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "category": {"type": "string"},
        "level": {"enum": list(LEVELS)},  # the lists of the contract, never copies
        "feature": _TEXT_OR_NULL,
        "surface": _TEXT_OR_NULL,
        "outcome": {
            "enum": list(OUTCOMES),
            "description": "xfailed: a listed known deviation that still reproduces; "
            "inconclusive: the harness could not judge (never the target's fault).",
        },
        "stale": {
            "type": "boolean",
            "description": "failed because a listed known deviation no longer reproduces",
        },
        "started_at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        "duration_s": {"type": "number", "minimum": 0},
        "message": _TEXT_OR_NULL,
        "expected": {"description": "what the check expected (text, usually)"},
        "observed": {"description": "what came back (text, usually; redacted)"},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "note": _TEXT_OR_NULL,
        "cause": {"anyOf": [{"type": "string", "pattern": "^[a-z0-9-]+$"}, {"type": "null"}],
                  "description": "what the failure shows, a cause id of gatecheck.findings"},
        "cases": {
            "description": "every failed case of a check that tries several",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "message"],
                "properties": {
                    "label": {"type": "string"},
                    "message": {"type": "string"},
                    "expected": {},
                    "observed": {},
                    "cause": {"type": ["string", "null"]},
                    "exchange": {"anyOf": [{"type": "object"}, {"type": "null"}]},
                },
            },
        },
        "exchange": {
            "description": "the redacted exchange that showed the outcome, with its curl",
            "anyOf": [{"type": "object"}, {"type": "null"}],
        },
        "observations": {
            "description": "what the check saw for the report, not the verdict "
                           "(gatecheck.checks.observe): models listed, token figures, "
                           "request timings",
            "type": "object",
        },
    },
}


_EVIDENCE: Schema = {
    "type": "object",
    "required": ["check_id", "test", "message"],
    "properties": {
        "check_id": {"type": "string"},
        "test": {"type": "string", "description": "the test function and its parameters"},
        "message": {"type": "string"},
        "case": _TEXT_OR_NULL,
        "observed": _TEXT_OR_NULL,
        "request": {"type": ["string", "null"], "description": "method and URL, redacted"},
        "status": {"type": ["integer", "null"]},
        "response": {"type": ["string", "null"], "description": "the start of the "
                     "response body, redacted"},
        "curl": {"type": ["string", "null"], "description": "reproduces the request; "
                 "secrets appear as $ENV_NAME"},
    },
}

_FINDINGS: Schema = {
    "description": "findings.json: the defects of each target, each once, with every check "
    "that witnessed it (gatecheck.findings).",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "target", "title", "severity", "checks", "witnesses",
                     "recommendation", "evidence", "more_evidence"],
        "properties": {
            "id": {"type": "string", "minLength": 1,
                   "description": "the cause id (stable), or <check id>/<test> for a "
                   "failure of no known cause"},
            "target": {"type": "string"},
            "title": {"type": "string"},
            "severity": {"enum": list(get_args(Severity)),
                         "description": "from the strongest level among the witnesses "
                         "(MUST high, SHOULD medium, MAY low); info: an observed behaviour "
                         "of the gateway that failed no check"},
            "checks": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "witnesses": {"type": "integer", "minimum": 1},
            "recommendation": {"type": "string", "minLength": 1},
            "evidence": {"type": "array", "items": _EVIDENCE},
            "more_evidence": {"type": "integer", "minimum": 0},
        },
    },
}


def build() -> dict[str, Schema]:
    out = {"gatecheck/results-record": _RESULT, "gatecheck/findings": _FINDINGS}
    for body in out.values():
        body["x-gatecheck-source"] = SOURCE
    return out
