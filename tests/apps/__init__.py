"""Test-only target apps (STYLE 24): tiny ASGI gateways the plugin and runner tests point at."""
