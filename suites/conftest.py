"""Loads gatecheck's pytest plugin where, and only where, its suites are collected."""

pytest_plugins = ["gatecheck.pytest.plugin"]
