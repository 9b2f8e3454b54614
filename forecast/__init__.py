"""forecast: a scenario forecasting and probability tracker.

The model (``domain``, ``updating``, ``event_dates``, ``trajectory``, ``readmodel``,
``scoring``) is pure; ``store`` persists it; ``api`` is the one way in that the CLI
(``cli``) and the dashboard use. ``docs/ARCHITECTURE.md`` has the whole map.
"""

__version__ = "0.1.0"
