"""Suggestions for incoming news: which questions a report bears on, which logged reports it
echoes, and which attributions in it could be its origin.

Pure: plain records in, ranked lists out; no database, network or clock. Suggestions, never
decisions: the analyst assesses, links and sets origins. The modules:

- :mod:`~forecast.suggestions.text`: words, names and numbers as keys that compare across
  languages and alphabets;
- :mod:`~forecast.suggestions.dates`: dates in English, Bulgarian and Russian as ISO days;
- :mod:`~forecast.suggestions.questions`: questions ranked by how much of each a report
  covers;
- :mod:`~forecast.suggestions.echoes`: near-duplicates by wording (MinHash) and by shared
  names, numbers and dates;
- :mod:`~forecast.suggestions.origins`: attribution phrases ("according to CNN").
"""

from forecast.suggestions.dates import dates_in, iso_date
from forecast.suggestions.echoes import Echo, EchoIndex, suggest_echoes
from forecast.suggestions.origins import OriginCandidate, origin_candidates
from forecast.suggestions.questions import (
    QuestionIndex,
    QuestionSuggestion,
    QuestionText,
    suggest_questions,
)
from forecast.suggestions.text import Text

__all__ = [
    "Echo",
    "EchoIndex",
    "OriginCandidate",
    "QuestionIndex",
    "QuestionSuggestion",
    "QuestionText",
    "Text",
    "dates_in",
    "iso_date",
    "origin_candidates",
    "suggest_echoes",
    "suggest_questions",
]
