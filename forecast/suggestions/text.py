"""Words, names and numbers of a text in any script, as keys that compare across languages.

The suggestions compare an incoming report with questions and with stored reports that may
be written in another language and another alphabet. Words meet in two ways:

- **stems**, for words of one language: the word in Latin letters (anyascii transliterates
  any script, "Будапеща" → "budapeshcha"), casefolded, accents dropped, cut to its first
  ``STEM_LETTERS`` letters ("preparations" and "preparatory" are both ``prepar``);
- **name keys**, for names across languages and alphabets:

  1. the word is transliterated and casefolded as above ("Тръмп" → "tr'mp");
  2. spellings that different transliterations give one sound are folded together:
     "shch", "sh" → "s", "dzh", "zh" → "j", "ch" → "k", "kh" → "h", "ph" → "f",
     "th" → "t", "ck", "c", "q" → "k", "w" → "v", "x" → "ks", "z" → "s"; every run of
     vowels (y included) becomes "a", and a doubled letter one;
  3. the key is the first letter and the consonants after it, at most ``KEY_LETTERS`` in
     all ("Trump" and "Тръмп" are both ``trmp``; "Budapest" and "Будапеща" ``bdps``;
     "Kremlin" and "Кремъл" ``krml``; "Reuters" and "Ройтерс" ``rtrs``). Cutting the key
     short is also a crude stemmer: "Лаврова" (Russian genitive) and "Lavrov" share
     ``lvrv``. A name with fewer than ``SHORT_SKELETON`` such letters keeps its folded
     vowels instead ("Rubio" → ``raba``, "Kelly" and "Кели" → ``kala``).

Name keys lose information on purpose, so they are used for names only (two unrelated
common words often share one: "calls" and "cools"). Both serve *suggestions*, which an
analyst then reads. Stopwords (English, Bulgarian and Russian function words) are dropped
first, in their own script.

Names are the capitalised words of a text. A word that opens a sentence is capitalised
whatever it is, so it counts only when the text also capitalises it elsewhere, when it is an
acronym ("CNN", "САЩ"), or, in the text but not the title, when the text never writes it in
lower case ("Rubio and Lavrov spoke" names Rubio; "Срещата ... срещата" names nothing). A
common word that opens a sentence and appears nowhere else ("Citing") still passes for a
name; it is rarely shared, but it makes the report weigh a little more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forecast.domain import Report

KEY_LETTERS = 4  # letters of a name key: enough to tell names apart, few enough to span endings
SHORT_SKELETON = 3  # a name key of fewer letters than this keeps its vowels
STEM_LETTERS = 6  # letters of a stem: "report", "reported" and "reporters" meet
MIN_WORD = 2  # letters: single letters carry nothing to compare
TITLE_CASE_WORDS = 3  # a title with this many long words, every one capitalised, is Title Case
TITLE_CASE_WORD = 4  # letters of a long word: shorter ones ("of", "to") stay lowercase in it

# Letters, optionally joined by an apostrophe ("Trump's", "O'Brien"); hyphens and dashes
# split ("Rubio–Lavrov" is two names).
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_POSSESSIVE = ("'s", "’s")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”“»)\]]*\s+|\n\s*")

_FOLDS = {
    "shch": "s", "dzh": "j", "zh": "j", "sh": "s", "ch": "k", "kh": "h", "ph": "f",
    "th": "t", "ck": "k", "c": "k", "q": "k", "w": "v", "x": "ks", "z": "s",
}  # fmt: skip
_FOLD = re.compile("|".join(sorted(_FOLDS, key=len, reverse=True)))
_VOWELS = re.compile(r"[aeiouy]+")
_DOUBLE = re.compile(r"(.)\1+")
_NOT_LATIN = re.compile(r"[^a-z0-9]+")

# Function words, casefolded, in their own script: the words every text has. Written for
# this project; a short list is enough because question scores weigh words by rarity.
_STOPWORDS = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our
    out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yet via per may might must shall upon yes
    one

    а аз ако али без би бил била били било бъде в вече вие все всеки всички във въпреки
    върху го да дали до докато е едва ако защото за и или им има като кога когато което
    които който кой към ли между много му на над надали най нас не него нея неща ни нито
    но някои някой обаче около от отново пак по под поради пред при против с са само се
    след си сме със съм също та така там те тези то това този той тук че ще щом я ѝ им
    ги нея тя тяхната техните нашата беше бяха бе са

    без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
    даже для до его ее её если есть еще ещё же за и из или им их к как когда кто ли либо
    мне может мы на над надо не него нее неё нет ни них но ну о об однако он она они оно
    от очень по под после при с со так также такой там те тем то того тоже той только
    том ты у уже хотя чего чей чем что чтобы чье эта эти это этот я
"""
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True)
class Text:
    """A report as the suggestions see it: what is to be compared, nothing else.

    ``published`` resolves dates written without a year and is itself a date the report
    carries (None when unknown).
    """

    id: str
    title: str
    text: str = ""
    published: date | None = None

    @classmethod
    def of(cls, report: Report) -> Text:
        """The comparable text of a stored report: its title and summary."""
        return cls(report.id, report.title, report.summary, report.published.date())

    @property
    def whole(self) -> str:
        """Title and text as one, the title its own sentence."""
        return f"{self.title}.\n{self.text}" if self.title else self.text


def latin(text: str) -> str:
    """``text`` in Latin letters, casefolded and without accents ("Будапеща" → "budapeshcha")."""
    from anyascii import anyascii

    return anyascii(unicodedata.normalize("NFC", text)).casefold()


@lru_cache(maxsize=1 << 17)
def fold(word: str) -> str:
    """A word as its sound class: transliterated, letters folded, vowel runs as "a"."""
    text = _NOT_LATIN.sub("", latin(word))
    text = _FOLD.sub(lambda m: _FOLDS[m[0]], text)
    return _DOUBLE.sub(r"\1", _VOWELS.sub("a", text))


@lru_cache(maxsize=1 << 17)
def key(word: str) -> str:
    """The name key of a word (see the module's docstring); "" for a stopword or a word too
    short to compare."""
    if word.casefold() in STOPWORDS:
        return ""
    folded = fold(word)
    if len(folded) < MIN_WORD:
        return ""
    skeleton = _DOUBLE.sub(r"\1", folded[0] + folded[1:].replace("a", ""))
    if len(skeleton) < SHORT_SKELETON:
        return folded
    return skeleton[:KEY_LETTERS]


@lru_cache(maxsize=1 << 17)
def stem(word: str) -> str:
    """The stem of a word (see the module's docstring); "" for a stopword or a word too
    short to compare."""
    if word.casefold() in STOPWORDS:
        return ""
    text = _NOT_LATIN.sub("", latin(word))
    return text[:STEM_LETTERS] if len(text) >= MIN_WORD else ""


def words(text: str) -> Iterator[str]:
    """The words of ``text`` (letters only; numbers are :func:`numbers`), an English
    possessive dropped ("CNN's" is "CNN")."""
    return (_own(m[0]) for m in _WORD.finditer(text))


def _own(word: str) -> str:
    return word[:-2] if word.endswith(_POSSESSIVE) else word


def stemmed_words(text: str) -> Iterator[tuple[str, str]]:
    """(stem, word) for each word of ``text`` that has a stem, in order."""
    for word in words(text):
        s = stem(word)
        if s:
            yield s, word


def sentences(text: str) -> list[tuple[int, str]]:
    """The sentences of ``text`` with their offsets: split after ".", "!", "?" or "…" and
    space, and at line breaks. Abbreviations followed by a capital ("Mr. Smith") split too."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.start()].strip():
            out.append((start, text[start : match.start()]))
        start = match.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def _capitalised(word: str) -> bool:
    return word[0].isupper()


def _acronym(word: str) -> bool:
    return len(word) >= MIN_WORD and word.isupper()


def names(title: str, text: str) -> dict[str, str]:
    """The names of a report, key → the first spelling seen (see the module's docstring),
    with the English names of the institutions in ``ALIASES`` that it mentions.

    A Title Case title ("Trump Drops Plans To Meet Putin") names only what the text also
    capitalises; a title in sentence case is read as the text's first sentence.
    """
    found = _names(title, text)
    for pattern, english in _ALIASES:
        for match in pattern.finditer(f"{title}\n{text}"):
            for word in english.split():
                found.setdefault(key(word), match[0])
    return found


def _names(title: str, text: str) -> dict[str, str]:
    body = [list(words(s)) for _, s in sentences(text)]
    inner = {key(w) for sentence in body for w in sentence[1:] if _capitalised(w)}
    heading = list(words(title)) if title and not _title_case(title) else []
    lower = {w for sentence in [heading, *body] for w in sentence if not _capitalised(w)}
    found: dict[str, str] = {}
    for sentence in [heading, *body]:
        for position, word in enumerate(sentence):
            k = key(word)
            if not k or not _capitalised(word):
                continue
            if position == 0 and not (
                _acronym(word)
                or k in inner
                or (sentence is not heading and word.lower() not in lower)
            ):
                continue  # a common word, capitalised because it opens the sentence
            found.setdefault(k, word)
    if title and _title_case(title):
        for word in words(title):
            k = key(word)
            if k in inner:
                found.setdefault(k, word)
    return found


ALIASES = {
    r"бел(?:ия|ият|ый|ого|ом|ому)\s+дом(?:а|е|у)?": "White House",
    r"държавния(?:т)?\s+департамент|госдеп\w*|государственн\w+\s+департамент\w*": (
        "State Department"
    ),
}
"""Institutions whose names are translated, not transliterated, so no key can meet them:
a pattern (Bulgarian and Russian forms, any case) → the English name it counts as. Only
these few; any other translated name ("Европейския съюз") is missed."""
_ALIASES = tuple((re.compile(p, re.IGNORECASE), english) for p, english in ALIASES.items())


def _title_case(title: str) -> bool:
    long = [w for w in words(title) if len(w) >= TITLE_CASE_WORD]
    return len(long) >= TITLE_CASE_WORDS and all(map(_capitalised, long))


def numbers(text: str) -> dict[str, str]:
    """The numbers of ``text``, normal form → as written: thousands separators dropped
    ("10,000", "10.000" → "10000"), a decimal comma as a point ("2,5" → "2.5"). Single
    digits are left out: "2" is in every text. Dates are :mod:`~forecast.suggestions.dates`'
    (remove them from ``text`` first)."""
    found: dict[str, str] = {}
    for match in _NUMBER.finditer(text):
        value = _number(match[0])
        if len(value) > 1:
            found.setdefault(value, match[0])
    return found


_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def _number(written: str) -> str:
    if _THOUSANDS.fullmatch(written):
        return re.sub(r"[.,]", "", written)
    return written.replace(",", ".")
