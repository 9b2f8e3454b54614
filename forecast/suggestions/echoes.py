"""Echoes to suggest: reports already logged (or waiting in the inbox) that a new one repeats.

Two measures; an echo's score is the larger (0 to 1):

- **text**: how much of the wording two reports share, for copies and rewrites in one
  language. Each text is cut into shingles of ``SHINGLE`` consecutive words (casefolded, in
  their own script), and the Jaccard similarity of two shingle sets (shared / all) is
  estimated by MinHash (``NUM_PERM`` permutations, datasketch). Candidates come from
  datasketch's locality-sensitive index (``MinHashLSH``) at ``TEXT_THRESHOLD``, so a query
  reads a handful of reports, not all of them.
- **evidence**: the names, numbers and dates two reports share, which survive translation.
  Names compare by their keys (:mod:`forecast.suggestions.text`: "Тръмп" is "Trump"), dates
  as ISO days (:mod:`forecast.suggestions.dates`; a report's publication day is one of its
  dates), numbers in one normal form. Each feature weighs ``idf = ln(1 + N / n)`` for N
  reports in the index, n of which carry it, so the names in every report (the day's
  protagonists) count for less than a rare one. The measure is the overlap coefficient
  ``sum(idf of the shared features) / min(sum(idf) of each report's features)``: a short
  report whose every name, number and date is in a long article scores 1, since a long
  article often carries several short reports' claims. It counts only when at least
  ``MIN_SHARED`` features are shared (two names in common are a topic, not an echo).

Suggestions only: two reports of one day about one summit share most of their names without
being one claim. The analyst decides, and records an echo as a shared origin.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from forecast.suggestions.dates import dates_in, without_dates
from forecast.suggestions.text import Text, names, numbers, words

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

SHINGLE = 3  # words per shingle: long enough that shared shingles mean shared wording
NUM_PERM = 64  # MinHash permutations: estimates within about ±0.12 (1/sqrt(64)), for speed
SCHEME = "affine32"  # datasketch's permutation scheme (its default since 2.0), named once
TEXT_THRESHOLD = 0.5  # LSH: reports sharing about half their shingles are offered
MIN_SHARED = 3  # shared names, numbers and dates needed for the evidence measure to count
SUGGEST = 0.5  # the least score offered
LIMIT = 10  # echoes shown at most

_NAME, _NUMBER, _DATE = "name:", "number:", "date:"
_LN2 = math.log(2)  # the least idf: a feature that every report carries
_ROUNDING = 1e-9  # leaves a report at the cutoff to be scored, whatever the rounding


@dataclass(frozen=True)
class Echo:
    """A stored report that a new one may repeat.

    ``score`` is the larger of ``text`` (estimated shingle Jaccard) and ``evidence`` (the
    weighted overlap of names, numbers and dates), see the module's docstring. The shared
    evidence is shown as the analyst would check it: names as (the stored report's
    spelling, the new one's), rarest first; numbers in normal form; ISO days.
    """

    report_id: str
    score: float
    text: float
    evidence: float
    shared_names: tuple[tuple[str, str], ...]
    shared_numbers: tuple[str, ...]
    shared_dates: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """What a report carries that survives translation: feature → as written."""

    features: dict[str, str]

    @classmethod
    def of(cls, report: Text) -> Evidence:
        """The names, numbers and dates of ``report`` (with its publication day)."""
        whole = report.whole
        found = dates_in(whole, report.published)
        features = {_DATE + d.iso: d.written for d in found}
        if report.published is not None:
            features.setdefault(_DATE + report.published.isoformat(), "published")
        for value, written in numbers(without_dates(whole, found)).items():
            features[_NUMBER + value] = written
        for k, spelling in names(report.title, report.text).items():
            features[_NAME + k] = spelling
        return cls(features)


@dataclass(frozen=True)
class _Entry:
    evidence: Evidence
    minhash: MinHash | None


def shingles(text: str) -> set[bytes]:
    """The word shingles of ``text`` (``SHINGLE`` words each; the whole text if shorter)."""
    found = [w.casefold() for w in words(text)]
    if not found:
        return set()
    if len(found) < SHINGLE:
        return {" ".join(found).encode()}
    return {" ".join(found[i : i + SHINGLE]).encode() for i in range(len(found) - SHINGLE + 1)}


def minhash(text: str) -> MinHash | None:
    """The MinHash of ``text``'s shingles (None for a text without words)."""
    from datasketch import MinHash

    found = shingles(text)
    if not found:
        return None
    sketch = MinHash(num_perm=NUM_PERM, permutations=_permutations(), scheme=SCHEME)
    sketch.update_batch(list(found))
    return sketch


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """The hash permutations every sketch shares (drawn once: the same seed gives the same
    ones, and drawing them is most of the cost of a short text's sketch)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations


class EchoIndex:
    """Stored reports, ready to be searched for echoes of a new one.

    Build it once from the stored reports (and the inbox), :meth:`add` each new one as it
    comes (a report added again under its id replaces the old version), and ask
    :meth:`echoes` for each incoming item.
    """

    def __init__(self, reports: Iterable[Text] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        self._postings: dict[str, set[str]] = defaultdict(set)
        self._lsh: MinHashLSH | None = None
        self.add_all(reports)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, report_id: object) -> bool:
        return report_id in self._entries

    def add_all(self, reports: Iterable[Text]) -> None:
        """Add (or replace) each of ``reports``."""
        for report in reports:
            self.add(report)

    def add(self, report: Text) -> None:
        """Add ``report``, or replace the stored version with the same id."""
        if report.id in self._entries:
            self.remove(report.id)
        entry = _Entry(Evidence.of(report), minhash(report.whole))
        self._entries[report.id] = entry
        for feature in entry.evidence.features:
            self._postings[feature].add(report.id)
        if entry.minhash is not None:
            self._text_index().insert(report.id, entry.minhash)

    def remove(self, report_id: str) -> None:
        """Take a report out of the index (a retracted one, say); unknown ids are ignored."""
        entry = self._entries.pop(report_id, None)
        if entry is None:
            return
        for feature in entry.evidence.features:
            self._postings[feature].discard(report_id)
            if not self._postings[feature]:
                del self._postings[feature]
        if entry.minhash is not None:
            self._text_index().remove(report_id)

    def echoes(self, report: Text, *, cutoff: float = SUGGEST, limit: int = LIMIT) -> list[Echo]:
        """The stored reports ``report`` may echo, best first (ties by id), with a score at
        ``cutoff`` or above, at most ``limit``; ``report`` itself is never among them."""
        evidence = Evidence.of(report)
        sketch = minhash(report.whole)
        text = self._text_scores(sketch)
        overlap = self._evidence_scores(evidence, cutoff)
        found = []
        for rid in set(text) | set(overlap):
            if rid == report.id:
                continue
            score = max(text.get(rid, 0.0), overlap.get(rid, 0.0))
            if score >= cutoff:
                found.append(self._echo(rid, text.get(rid, 0.0), overlap.get(rid, 0.0), evidence))
        found.sort(key=lambda e: (-e.score, e.report_id))
        return found[:limit]

    # ----------------------------------------------------------------------- measures

    def _text_index(self) -> MinHashLSH:
        if self._lsh is None:
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=TEXT_THRESHOLD, num_perm=NUM_PERM)
        return self._lsh

    def _text_scores(self, sketch: MinHash | None) -> dict[str, float]:
        if sketch is None or not self._entries:
            return {}
        scores = {}
        for rid in self._text_index().query(sketch):
            stored = self._entries[rid].minhash
            if stored is not None:
                scores[rid] = float(sketch.jaccard(stored))
        return scores

    def _idf(self, feature: str) -> float:
        carriers = max(len(self._postings.get(feature, ())), 1)
        return math.log(1 + len(self._entries) / carriers)

    def _evidence_scores(self, evidence: Evidence, cutoff: float) -> dict[str, float]:
        """The evidence measure for every stored report that shares ``MIN_SHARED`` features
        or more with ``evidence`` and can reach ``cutoff``."""
        shared: dict[str, int] = defaultdict(int)
        gained: dict[str, float] = defaultdict(float)
        for feature in evidence.features:
            weight = self._idf(feature)
            for rid in self._postings.get(feature, ()):
                shared[rid] += 1
                gained[rid] += weight
        own = sum(map(self._idf, evidence.features))
        scores = {}
        for rid, count in shared.items():
            if count < MIN_SHARED or self._out_of_reach(rid, count, gained[rid], own, cutoff):
                continue
            theirs = sum(map(self._idf, self._entries[rid].evidence.features))
            scores[rid] = gained[rid] / min(own, theirs)
        return scores

    def _out_of_reach(self, rid: str, count: int, gained: float, own: float, cutoff: float) -> bool:
        """Whether a stored report surely scores below ``cutoff``, known without summing its
        weight: each feature it does not share weighs at least ln 2 (idf with n = N), so
        its weight is at least ``gained + unshared * ln 2``."""
        if cutoff <= 0 or gained >= cutoff * own:
            return False
        unshared = len(self._entries[rid].evidence.features) - count
        return gained + unshared * _LN2 > gained / cutoff * (1 + _ROUNDING)

    def _echo(self, rid: str, text: float, evidence: float, new: Evidence) -> Echo:
        stored = self._entries[rid].evidence.features
        common = sorted((f for f in new.features if f in stored), key=lambda f: (-self._idf(f), f))
        return Echo(
            rid,
            round(max(text, evidence), 4),
            round(text, 4),
            round(evidence, 4),
            _name_pairs([f for f in common if f.startswith(_NAME)], stored, new.features),
            tuple(f.removeprefix(_NUMBER) for f in common if f.startswith(_NUMBER)),
            tuple(sorted(f.removeprefix(_DATE) for f in common if f.startswith(_DATE))),
        )


def _name_pairs(
    shared: list[str], stored: dict[str, str], new: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    """(stored spelling, new spelling) per shared name; names the new report spells as one
    ("White", "House" ← "Белия дом") are joined in the stored report's order."""
    order = {feature: i for i, feature in enumerate(stored)}
    groups: dict[str, list[str]] = {}
    for feature in shared:
        groups.setdefault(new[feature], []).append(feature)
    return tuple(
        (" ".join(stored[f] for f in sorted(group, key=order.__getitem__)), spelling)
        for spelling, group in groups.items()
    )


def suggest_echoes(
    report: Text, stored: Iterable[Text], *, cutoff: float = SUGGEST, limit: int = LIMIT
) -> list[Echo]:
    """The ``stored`` reports ``report`` may echo, best first (an :class:`EchoIndex` once)."""
    return EchoIndex(stored).echoes(report, cutoff=cutoff, limit=limit)
