"""CLI command groups beyond the core, one module per area; each exposes ``register(cli)``."""

MODULES = ("scoring", "learning", "team")
