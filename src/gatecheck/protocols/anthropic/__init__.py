"""Anthropic Messages surface: wire-format judges."""
