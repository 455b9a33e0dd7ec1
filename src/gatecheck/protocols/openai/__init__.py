"""OpenAI Chat Completions surface: wire-format judges."""
