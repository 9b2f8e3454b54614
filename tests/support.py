"""Helpers shared by the test modules (the dashboard's are in ``dashboard_support``)."""

from __future__ import annotations

import os
from datetime import datetime

FULL_SUITE = os.environ.get("FORECAST_FULL_SUITE", "") == "1"


def examples(n: int) -> int:
    """How many examples a property test draws: ``n`` in the full suite (CI), a fifth of
    them (at least 10) in the everyday run. Hypothesis replays the failing examples it has
    found before (its database) whatever the count."""
    return n if FULL_SUITE else max(10, n // 5)


class Clock:
    """A store clock the test sets (``Tracker.open(clock=...)``): it reads the time it was
    last set to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _declared(name: str | None, type_: str, parent_names: object) -> bool:
    from forecast.store.search import derived

    return not derived(name)


# Alembic's comparison of a migrated database with the declared schema, leaving out the
# search index (derived data the migrations add beside the declared tables).
DECLARED = {"compare_type": True, "include_name": _declared}
