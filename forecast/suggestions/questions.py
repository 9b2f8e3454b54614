"""Which open questions an incoming report bears on: a ranked list to offer, never a decision.

How the score is computed (0 to 1, rounded to four decimals):

1. A question's *terms* are the stems of the words of its title, tags and criteria, and
   the ISO days and numbers they write (:mod:`forecast.suggestions.text`,
   :mod:`forecast.suggestions.dates`). A word the question capitalises, and every tag, also
   carries its name key, so that "Путин" in a report meets "Putin". A term of the title or
   a tag weighs ``TITLE_WEIGHT``, one found only in the criteria ``CRITERIA_WEIGHT``: the
   title says what the question is about, the criteria also say how it is judged.
2. Each term is also weighted by its rarity among the questions offered,
   ``idf = ln(1 + N / n)`` for N questions of which n have the term: "Putin" in every
   question tells them apart less than "Lavrov" in one.
3. A report has a term when its title or text has the term's stem (or the day, or the
   number; dates without a year read near its publication day), or has a name
   (:func:`~forecast.suggestions.text.names`) with the term's name key.
4. The score of a question is the weighted share of its terms the report has:
   ``sum(weight * idf over the question's terms the report has) /
   sum(weight * idf over all the question's terms)``.
   1 means the report mentions everything the question says.

Why this and not a fuzzy string ratio (rapidfuzz): a report is long and a question is short,
so what matters is how much of the *question* the report covers, and a ratio over whole
texts is dominated by the report's length. Weighted coverage also says exactly which words
matched, so the analyst sees why a question is offered.

Measured on the demo scenario's four questions (tests/test_suggestions.py): a short
Bulgarian article on a Putin–Trump summit in Budapest scores 0.17 and 0.16 for the two
Putin–Trump questions and at most 0.03 for the others; a longer one on the suspended summit
0.33, 0.22 and 0.16 for the three summit questions, 0.07 for the ceasefire; unrelated news
in English (central bank rates) at most 0.09, in Bulgarian (football) 0. ``SUGGEST`` sits
between. Cross-language scores are low by nature: only names, numbers and dates meet.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from forecast.suggestions.dates import dates_in, without_dates
from forecast.suggestions.text import Text, key, names, numbers, stemmed_words

if TYPE_CHECKING:
    from forecast.domain import Question

TITLE_WEIGHT = 2.0  # title and tags: what the question is about
CRITERIA_WEIGHT = 1.0  # criteria: what it is about and how it is judged
SUGGEST = 0.12  # the least score offered: below it, what matched is a word or two in passing
LIMIT = 5  # suggestions shown at most


@dataclass(frozen=True)
class QuestionText:
    """What a question is compared by: its id, title, resolution criteria and tags."""

    id: str
    title: str
    criteria: str = ""
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, question: Question) -> QuestionText:
        """The comparable text of a stored question."""
        return cls(question.id, question.title, question.criteria, tuple(question.tags))


@dataclass(frozen=True)
class QuestionSuggestion:
    """A question a report may bear on: its score (0-1, see the module's docstring) and the
    words that matched, as (the question's word, the report's word)."""

    question_id: str
    score: float
    matched: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Term:
    weight: float  # TITLE_WEIGHT or CRITERIA_WEIGHT
    shown: str  # the question's word for it
    name: str  # its name key, if the question writes it as a name (or a tag)


@dataclass(frozen=True)
class ReportTerms:
    """What a report offers to match: stems, dates and numbers → the report's word, and
    name keys → the report's spelling."""

    stems: dict[str, str]
    names: dict[str, str]

    @classmethod
    def of(cls, report: Text) -> ReportTerms:
        """The terms of ``report``'s title and text (dates read near its publication)."""
        return cls(_plain_terms(report.whole, report.published), names(report.title, report.text))

    def find(self, term: str, wanted: _Term) -> str | None:
        """The report's word for a question's term, or None if it has none."""
        if term in self.stems:
            return self.stems[term]
        if wanted.name:
            return self.names.get(wanted.name)
        return None


class QuestionIndex:
    """The questions to suggest from, read once; :meth:`suggest` then scores a report
    against all of them. Build a new index when the set of open questions changes (the
    weights depend on all of them)."""

    def __init__(self, questions: Iterable[QuestionText]) -> None:
        self._terms = {q.id: _question_terms(q) for q in questions}
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        self._by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for qid, terms in self._terms.items():
            for term, wanted in terms.items():
                self._by_stem[term].append(qid)
                if wanted.name:
                    self._by_name[wanted.name].append((qid, term))
        n = len(self._terms)
        self._idf = {t: math.log(1 + n / len(ids)) for t, ids in self._by_stem.items()}
        self._total = {
            qid: sum(w.weight * self._idf[t] for t, w in terms.items())
            for qid, terms in self._terms.items()
        }

    def __len__(self) -> int:
        return len(self._terms)

    def scores(self, report: Text) -> dict[str, float]:
        """Every question's score for ``report`` (0 for those it shares nothing with)."""
        found = self._matches(ReportTerms.of(report))
        return {
            qid: (sum(w for _, _, w in found.get(qid, ())) / total if total else 0.0)
            for qid, total in self._total.items()
        }

    def suggest(
        self, report: Text, *, cutoff: float = SUGGEST, limit: int = LIMIT
    ) -> list[QuestionSuggestion]:
        """The questions ``report`` may bear on, best first (ties by id), at ``cutoff`` or
        above, at most ``limit``."""
        found = self._matches(ReportTerms.of(report))
        scores = {qid: sum(w for _, _, w in m) / self._total[qid] for qid, m in found.items()}
        ranked = sorted(
            (qid for qid, score in scores.items() if score >= cutoff and score > 0),
            key=lambda qid: (-scores[qid], qid),
        )
        return [
            QuestionSuggestion(
                qid,
                round(scores[qid], 4),
                tuple((shown, word) for shown, word, _ in found[qid]),
            )
            for qid in ranked[:limit]
        ]

    def _matches(self, offered: ReportTerms) -> dict[str, list[tuple[str, str, float]]]:
        """Per question: (its word, the report's word, weight × idf) for each of its terms
        the report has, heaviest first."""
        hits: dict[str, set[str]] = defaultdict(set)
        for stem_ in offered.stems:
            for qid in self._by_stem.get(stem_, ()):
                hits[qid].add(stem_)
        for name in offered.names:
            for qid, term in self._by_name.get(name, ()):
                hits[qid].add(term)
        found: dict[str, list[tuple[str, str, float]]] = {}
        for qid, terms in hits.items():
            wanted = self._terms[qid]
            rows = [
                (wanted[t].shown, word, wanted[t].weight * self._idf[t])
                for t in terms
                if (word := offered.find(t, wanted[t])) is not None
            ]
            found[qid] = sorted(rows, key=lambda row: (-row[2], row[0]))
        return found


def suggest_questions(
    report: Text,
    questions: Sequence[QuestionText],
    *,
    cutoff: float = SUGGEST,
    limit: int = LIMIT,
) -> list[QuestionSuggestion]:
    """The questions ``report`` may bear on, best first (:class:`QuestionIndex` once)."""
    return QuestionIndex(questions).suggest(report, cutoff=cutoff, limit=limit)


def _question_terms(question: QuestionText) -> dict[str, _Term]:
    """A question's terms by stem (or ISO day, or number): title and tags first."""
    terms: dict[str, _Term] = {}
    tags = " ".join(t.replace("-", " ") for t in question.tags)
    fields = (
        (question.title, TITLE_WEIGHT, False),
        (tags, TITLE_WEIGHT, True),
        (question.criteria, CRITERIA_WEIGHT, False),
    )
    for text, weight, all_names in fields:
        for term, word in _plain_terms(text, None).items():
            name = key(word) if all_names or word[:1].isupper() else ""
            old = terms.get(term)
            if old is None:
                terms[term] = _Term(weight, word, name)
            elif name and not old.name:
                terms[term] = _Term(max(weight, old.weight), word, name)
            elif weight > old.weight:
                terms[term] = _Term(weight, old.shown, old.name)
    return terms


def _plain_terms(text: str, published: date | None) -> dict[str, str]:
    """Stems, ISO days and numbers of ``text`` → as written."""
    found = dates_in(text, published)
    terms: dict[str, str] = {d.iso: d.written for d in found}
    rest = without_dates(text, found)
    terms.update((n, written) for n, written in numbers(rest).items() if n not in terms)
    for term, word in stemmed_words(rest):
        if term not in terms or (word[:1].isupper() and not terms[term][:1].isupper()):
            terms[term] = word  # a capitalised spelling, if any: it may be a name
    return terms
