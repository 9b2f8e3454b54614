"""Stored forecasts as records: snapshots and imported reference series.

Pure values, like the records of :mod:`forecast.domain`: the store reads and writes them,
and the modules that take, score and import them (``snapshots``, ``reference``) build on
them, so the store never has to import anything above itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from forecast.clock import utc

REASONS = ("manual", "daily", "created", "evidence", "resolution", "backfill", "edit")
"""What may trigger a snapshot: a person, the daily cron, a question's creation, logged
evidence, a resolution, a reconstruction from logged times, or an edit of the model."""

DAY_ENDS = ("daily", "backfill")
"""The reasons whose snapshot stands for its whole day, so a backfill leaves that day alone.
A snapshot taken at a write records the moment; the day's end may still differ from it."""

BASES = ("live", "backfilled", "imported")
"""What a stored forecast rests on, strongest first (see :attr:`Snapshot.basis`)."""


@dataclass(frozen=True)
class Snapshot:
    """One question's forecast as it stood at ``taken_at`` (knowledge time)."""

    question_id: str
    taken_at: datetime
    probability: float | None  # binary/event headline; None for choice questions
    vector: tuple[tuple[str, float], ...] = ()  # event: (deadline, P); choice: (option, P)
    reason: str = "manual"
    taken_by: str = ""
    id: int | None = None  # given by the store
    imported_at: datetime | None = None  # set when it came in through an import
    imported_by: str = ""

    @property
    def basis(self) -> str:
        """What the stored forecast rests on (one of :data:`BASES`).

        "imported": it came in through an import, so this store never saw it taken;
        "backfilled": rebuilt here after the fact from logged times; "live": taken here as
        the forecast stood.
        """
        if self.imported_at is not None:
            return "imported"
        return "backfilled" if self.reason == "backfill" else "live"

    @property
    def day(self) -> date:
        """The UTC day the snapshot was taken on."""
        return utc(self.taken_at).date()

    def values(self) -> np.ndarray:
        """The vector's probabilities, in stored order (deadlines or options)."""
        return np.array([p for _, p in self.vector], dtype=float)


@dataclass(frozen=True)
class ReferenceSet:
    """An imported reference: its name and where it came from."""

    name: str
    questions_file: str = ""
    series_file: str = ""
    logged_at: datetime | None = None
    logged_by: str = ""


@dataclass(frozen=True)
class ReferenceQuestion:
    """One question of a reference; ``outcome`` is 1 (YES), 0 (NO) or None (unresolved)."""

    reference: str
    qid: str
    question: str = ""
    opened: datetime | None = None
    deadline: datetime | None = None
    outcome: float | None = None
    resolved_on: date | None = None
