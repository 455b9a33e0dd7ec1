"""Tests of gatecheck.load: summaries on synthetic samples, and short Locust runs."""
