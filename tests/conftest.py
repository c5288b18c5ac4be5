"""Shared fixtures live in plugin modules under tests/plugins/ (one per real service)."""

pytest_plugins = [
    "tests.plugins.services",
]
