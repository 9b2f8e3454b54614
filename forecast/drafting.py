"""A page read into a report draft, with what the tracker suggests for it.

``suggest`` compares a draft (``forecast.intake.extract``) with what is stored: the open
questions it may bear on (``forecast.suggestions.questions``), the logged reports it may
echo (``forecast.suggestions.echoes``, across languages) and the attributions in its text
that could be its origin. Suggestions only: nothing is stored and nothing enters a forecast
until an analyst logs the report and assesses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forecast import evidence
from forecast.intake.extract import Draft
from forecast.suggestions import (
    Echo,
    EchoIndex,
    OriginCandidate,
    QuestionIndex,
    QuestionSuggestion,
    QuestionText,
    Text,
    origin_candidates,
)

if TYPE_CHECKING:
    from forecast.api import Tracker

DRAFT_ID = "draft"  # the draft's id among the stored reports' (ids never take this form)


@dataclass(frozen=True)
class Suggested:
    """A draft and the suggestions for it, best first."""

    draft: Draft
    questions: list[QuestionSuggestion]
    echoes: list[Echo]
    origins: list[OriginCandidate]
    titles: dict[str, str]  # the titles of the questions and reports suggested, by id

    def to_json(self) -> dict[str, Any]:
        d = self.draft
        return {
            "url": d.url,
            "title": d.title,
            "published": None if d.published is None else d.published.isoformat(),
            "outlet": d.outlet,
            "language": d.language,
            "encoding": d.encoding,
            "text": d.text,
            "questions": [
                {
                    "id": s.question_id,
                    "title": self.titles[s.question_id],
                    "score": s.score,
                    "matched": [list(m) for m in s.matched],
                }
                for s in self.questions
            ],
            "echoes": [
                {
                    "report": e.report_id,
                    "title": self.titles[e.report_id],
                    "score": e.score,
                    "names": [list(n) for n in e.shared_names],
                    "numbers": list(e.shared_numbers),
                    "dates": list(e.shared_dates),
                }
                for e in self.echoes
            ],
            "origins": [{"who": o.who, "phrase": o.phrase} for o in self.origins],
        }


def suggest(tracker: Tracker, draft: Draft) -> Suggested:
    """The open questions ``draft`` may bear on, the reports it may echo, and its
    attributions."""
    history = tracker.history(None)
    questions = [
        QuestionText.of(q)
        for q in history.questions
        if evidence.resolution_as_of(history, q.id, None) is None  # open, or awaiting one
    ]
    latest = evidence.known_as_of(history.reports, lambda r: r.id, None)
    reports = [Text.of(r) for r in latest.values() if not r.retracted]
    day = None if draft.published is None else draft.published.date()
    text = Text(DRAFT_ID, draft.title, draft.text, day)
    titles = {q.id: q.title for q in questions} | {r.id: r.title for r in reports}
    return Suggested(
        draft,
        QuestionIndex(questions).suggest(text) if questions else [],
        EchoIndex(reports).echoes(text) if reports else [],
        origin_candidates(text.whole),
        titles,
    )
