"""The demo scenario (``forecast demo``): loaded once, and safe to load again.

The scenario file ships with the package; :func:`forecast.settings.demo_file` says where it
is. Loading it a second time changes nothing; loading it into a database that holds only
some of its questions is refused, since the rest could not be told apart from edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from forecast import scenario
from forecast.domain import ForecastError

if TYPE_CHECKING:
    from forecast.api import Tracker


@dataclass(frozen=True)
class DemoLoad:
    """What loading the demo did."""

    already_loaded: bool  # every question of the demo was there: nothing was stored
    questions: int  # questions of the demo
    counts: dict[str, int]  # records imported, per kind (empty when already loaded)


def load(tracker: Tracker, text: str, *, name: str = "demo") -> DemoLoad:
    """Import the scenario ``text`` unless it is there already; all of it, or nothing."""
    loaded = scenario.load_all(text, name=name)
    history = loaded.history
    stored = {q.id for q in tracker.history([q.id for q in history.questions]).questions}
    present = [q.id for q in history.questions if q.id in stored]
    if present and len(present) == len(history.questions):
        return DemoLoad(already_loaded=True, questions=len(present), counts={})
    if present:
        raise ForecastError(
            f"question {present[0]!r} of the demo exists but others do not: use a fresh database"
        )
    counts = tracker.import_history(history, snapshots=loaded.snapshots)
    return DemoLoad(already_loaded=False, questions=len(history.questions), counts=counts)


def holds_only(tracker: Tracker, text: str, *, name: str = "demo") -> bool:
    """The store holds the demo scenario ``text`` and nothing else: no question, source,
    report, assessment or resolution added or changed since (snapshots may be)."""
    history = scenario.load_all(text, name=name).history
    counts = tracker.counts()
    expected = {
        "questions": len(history.questions),
        "source_versions": len(history.sources),
        "reports": len(history.reports),
        "assessments": len(history.assessments),
        "resolutions": len(history.resolutions),
    }
    if any(counts.get(table) != n for table, n in expected.items()):
        return False
    ids = [q.id for q in history.questions]
    return len(tracker.history(ids).questions) == len(ids)
