"""Shared fixtures live in plugin modules under tests/plugins/ (one per real service)."""

pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "tests.plugins.services",
    "tests.plugins.postgres",
    "tests.plugins.sandbox",
    "tests.plugins.llm_servers",
    "tests.plugins.browser",
]
