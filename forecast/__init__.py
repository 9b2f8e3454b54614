"""forecast: a scenario forecasting and probability tracker.

The domain core (``domain``, ``scales``, ``updating``, ``decay``, ``trajectory``,
``scoring``) is pure; ``store`` persists it; ``api`` is the one entry point that the
CLI (``cli``) and the dashboard call.
"""

__version__ = "0.1.0"
