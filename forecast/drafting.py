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


class Suggester:
    """The suggestions' indexes over what is stored, built once for many drafts: the open
    questions (at once) and the logged reports (the echo index, when first needed: it is
    the slow part, about a second per thousand reports)."""

    def __init__(self, tracker: Tracker) -> None:
        history = tracker.history(None)
        questions = [
            QuestionText.of(q)
            for q in history.questions
            if evidence.resolution_as_of(history, q.id, None) is None  # open, or awaiting one
        ]
        latest = evidence.known_as_of(history.reports, lambda r: r.id, None)
        self._reports = [Text.of(r) for r in latest.values() if not r.retracted]
        self.titles = {q.id: q.title for q in questions} | {r.id: r.title for r in self._reports}
        self._questions = QuestionIndex(questions) if questions else None
        self._echoes: EchoIndex | None = None

    def questions(self, text: Text) -> list[QuestionSuggestion]:
        """The open questions ``text`` may bear on, best first."""
        return self._questions.suggest(text) if self._questions is not None else []

    def echoes(self, text: Text) -> list[Echo]:
        """The logged reports ``text`` may echo, best first."""
        if not self._reports:
            return []
        if self._echoes is None:
            self._echoes = EchoIndex(self._reports)
        return self._echoes.echoes(text)

    def suggest(self, draft: Draft) -> Suggested:
        """The open questions ``draft`` may bear on, the reports it may echo, and its
        attributions."""
        text = draft_text(draft)
        return Suggested(
            draft,
            self.questions(text),
            self.echoes(text),
            origin_candidates(text.whole),
            self.titles,
        )


def draft_text(draft: Draft, text_id: str = DRAFT_ID) -> Text:
    """A draft as the suggestions compare it."""
    day = None if draft.published is None else draft.published.date()
    return Text(text_id, draft.title, draft.text, day)


def suggest(tracker: Tracker, draft: Draft) -> Suggested:
    """The suggestions for one draft (:meth:`Suggester.suggest`)."""
    return Suggester(tracker).suggest(draft)
