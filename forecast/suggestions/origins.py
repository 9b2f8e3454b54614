"""Who a report says its news came from: attribution phrases offered as origin candidates.

An echo is one claim however many outlets carry it, and its origin is the first mouth it
came from ("a senior White House official"). This module finds the phrases that name one
in a text and offers each with the sentence it came from; the analyst picks, edits or
ignores them. Regular expressions, one table per language (``RULES``):

| Language | Rule | Finds, for example |
|---|---|---|
| en | according to | "according to CNN", "according to a senior official" |
| en | citing | "citing a senior White House official" |
| en | told | "sources told Reuters", "diplomats familiar with the talks told Reuters" |
| en | role | "a senior White House official", "European diplomats", "a CNN source" |
| en | said | "said Sergei Ryabkov", "Ryabkov said", "Anna Kelly told CNN" |
| en | reported by | "reported by NBC News", "quoted by RIA" |
| bg | според | "според CNN", "според източник на NBC", "според друг източник" |
| bg | източници | "източници на Ройтерс", "източникът на агенцията" |
| bg | role | "високопоставен служител на Белия дом", "говорителят на Белия дом Анна Кели" |
| bg | позовавайки се | "позовавайки се на високопоставен служител" |
| bg | съобщи | "съобщава Ройтерс", "предаде по-рано CNN", "съобщиха пред Ройтерс", "пред CNN" |
| bg | каза | "Сергей Рябков коментира", "каза Анна Кели" |
| ru | по данным | "по данным Reuters", "по данным источников" |
| ru | источники | "источники в Кремле", "источник агентства" |
| ru | по словам | "по словам Сергея Рябкова" |
| ru | сообщил | "сообщает ТАСС", "как заявил Песков", "со ссылкой на источники" |

What it does not do: it does not resolve pronouns ("he said"), it reads a name as a run of
capitalised words (so "said on Monday" finds nothing, and a name written in lower case is
missed), it knows only the nouns listed for roles (official, source, diplomat, spokesperson,
correspondent, aide, adviser and their Bulgarian and Russian forms), and it cannot tell the
origin from an outlet that only repeats it: "sources told Reuters" offers the phrase whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from forecast.suggestions.text import STOPWORDS, sentences

_UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁЀ-Џ"
_CAP = rf"[{_UPPER}][\w'’.-]*"  # a capitalised word or an acronym ("U.S.", "NBC")
NAME = rf"{_CAP}(?:\s+{_CAP}){{0,3}}(?:\s+(?:дом|дома|департамент))?"
_NAME2 = rf"{_CAP}(?:\s+{_CAP})?"  # a person: given name and surname at most

_EN_QUALIFIER = (
    r"(?:senior|top|high-ranking|junior|unnamed|anonymous|other|another|two|three|several"
    r"|some|one|European|Western|US|U\.S\.|American|Russian|Ukrainian|Kremlin|administration"
    rf"|government|{_CAP})"
)
_EN_ROLE_NOUN = (
    r"(?:officials?|sources?|diplomats?|spokes(?:person|man|woman)|correspondents?|aides?"
    r"|advis[eo]rs?|insiders?)(?!\w)"
)
_EN_ROLE = (
    rf"(?:(?:a|an|the)\s+)?(?:{_EN_QUALIFIER}\s+){{1,4}}{_EN_ROLE_NOUN}(?:\s+{_NAME2})?"
    rf"|(?:a|an)\s+{_EN_ROLE_NOUN}"
    r"|(?:people|persons?|sources?|officials?|diplomats?)\s+(?:familiar with|close to)"
    r"\s+(?:the\s+)?\w+"
)
_NOT_A_ROLE = r"(?!\s+(?:visit|statement|trip|talks|position|line|figures|data|channels?)\b)"

_BG_QUALIFIER = (
    r"(?:друг|друга|един|една|анонимен|анонимни|неназован|неназовани|високопоставен"
    r"|високопоставени|американски|американския|руски|руския|европейски|украински"
    r"|западни|запознат|запознати|информиран|информирани|официален|официални)"
)
_BG_ROLE_NOUN = (
    r"(?:източни(?:к|кът|ка|ци|ците)|служител(?:и|ят|ите|я)?|дипломат(?:и|ът|ите|а)?"
    r"|(?:заместник-)?говорител(?:ят|и|ите|я)?|кореспондент(?:ът|и|а)?"
    r"|представител(?:ят|и|ите|я)?)(?!\w)"
)
_BG_OWNER = rf"(?:на|от|в|близки до)\s+(?:{NAME}|агенцията|изданието|телевизията|медията)"
_BG_ROLE = rf"(?:{_BG_QUALIFIER}\s+){{0,2}}{_BG_ROLE_NOUN}(?:\s+{_BG_OWNER})?(?:\s+{_NAME2})?"
# Standing alone (not after "според", "позовавайки се на"), a role needs a qualifier or an
# owner: a bare "източник" in a sentence is usually "the source" named just before.
_BG_ROLE_ALONE = (
    rf"(?:{_BG_QUALIFIER}\s+){{1,2}}{_BG_ROLE_NOUN}(?:\s+{_BG_OWNER})?(?:\s+{_NAME2})?"
    rf"|{_BG_ROLE_NOUN}\s+{_BG_OWNER}(?:\s+{_NAME2})?"
)

_RU_ROLE_NOUN = (
    r"(?:источник(?:и|ов|а|ам|ами)?|чиновник(?:и|ов|а)?|дипломат(?:ы|ов|а)?"
    r"|представител(?:ь|и|ей|я)|пресс-секретар(?:ь|я))(?!\w)"
)
_RU_OWNER = r"(?:в|из|на|близк\w+\s+к)\s+\w+(?:\s+\w+)?|агентства|издания|\w+ого|\w+ых"
_RU_ADJECTIVE = r"\w+(?:ый|ий|ой|ые|ие|их|ых)"
_RU_ROLE = rf"(?:{_RU_ADJECTIVE}\s+){{0,2}}{_RU_ROLE_NOUN}(?:\s+(?:{_RU_OWNER}))?"
_RU_ROLE_ALONE = (
    rf"(?:{_RU_ADJECTIVE}\s+){{1,2}}{_RU_ROLE_NOUN}(?:\s+(?:{_RU_OWNER}))?"
    rf"|{_RU_ROLE_NOUN}\s+(?:{_RU_OWNER})"
)

RULES: tuple[tuple[str, str, str], ...] = (
    ("en", "according to", rf"(?i:according\s+to)\s+(?P<who>(?:{_EN_ROLE})|(?:the\s+)?{NAME})"),
    ("en", "citing", rf"(?i:citing)\s+(?P<who>(?:{_EN_ROLE})|{NAME})"),
    ("en", "told", rf"(?P<who>(?:{_EN_ROLE}|(?i:sources|officials|diplomats))\s+told\s+{NAME})"),
    ("en", "role", rf"(?P<who>{_EN_ROLE}){_NOT_A_ROLE}"),
    # "said Sergei Ryabkov." but not "says Rubio is unlikely": the name ends the clause.
    ("en", "said", rf"(?:said|says|told\s+reporters),?\s+(?P<who>{_NAME2})(?=\s*[,.;:!?]|\s*$)"),
    ("en", "said", rf"(?P<who>{_NAME2})\s+(?:said|says|told)\b"),
    ("en", "reported by", rf"(?:reported|quoted|cited)\s+by\s+(?P<who>{NAME})"),
    ("bg", "според", rf"(?i:според)\s+(?P<who>{_BG_ROLE}|{NAME})"),
    (
        "bg",
        "източници",
        rf"(?P<who>(?:{_BG_QUALIFIER}\s+)?източни(?:к|кът|ка|ци|ците)"
        rf"\s+{_BG_OWNER})",
    ),
    ("bg", "role", rf"(?P<who>{_BG_ROLE_ALONE})"),
    ("bg", "позовавайки се", rf"(?i:позовавайки\s+се)\s+на\s+(?P<who>{_BG_ROLE}|{NAME})"),
    (
        "bg",
        "съобщи",
        rf"(?i:съобщ(?:и|ава|иха|ават)|предаде|предава|пише|цитира)"
        rf"(?:\s+по-рано)?\s+(?:пред\s+)?(?P<who>(?:[а-я]+\s+){{0,2}}{NAME})",
    ),
    ("bg", "съобщи", rf"\bпред\s+(?P<who>{NAME})"),
    ("bg", "каза", rf"(?P<who>{_NAME2})\s+(?:коментира|заяви|каза|посочи|добави|написа)"),
    ("bg", "каза", rf"(?:каза|заяви|коментира|посочи)\s+(?P<who>{_NAME2})"),
    ("ru", "по данным", rf"(?i:по\s+данным)\s+(?P<who>{_RU_ROLE}|{NAME})"),
    ("ru", "источники", rf"(?P<who>{_RU_ROLE_ALONE})"),
    ("ru", "по словам", rf"(?i:по\s+словам)\s+(?P<who>{_RU_ROLE}|{NAME})"),
    (
        "ru",
        "сообщил",
        rf"(?i:(?:как\s+)?(?:сообщ|заяв|переда)\w*|со\s+ссылкой\s+на)"
        rf"\s+(?P<who>{_RU_ROLE}|{NAME})",
    ),
)
"""(language, rule, pattern): the pattern's group ``who`` is the origin offered."""


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """``RULES`` compiled, once, when first used: compiling them all takes tens of
    milliseconds that a command which never reads attributions should not pay."""
    return tuple((lang, rule, re.compile(p)) for lang, rule, p in RULES)


_LEADING = re.compile(r"^(?:[\w'’-]+\s+)")
_NOT_WHO = frozenset(("one", "sources", "officials", "diplomats", "source", "official"))
"""Words the name rules take for a name when they open a sentence ("One said")."""
_WEEKDAY_NAMES = (
    "monday tuesday wednesday thursday friday saturday sunday понеделник вторник сряда "
    "четвъртък петък събота неделя понедельник среда четверг пятница суббота воскресенье"
)
_WEEKDAYS = frozenset(_WEEKDAY_NAMES.split())


@dataclass(frozen=True)
class OriginCandidate:
    """An attribution found in a text: who (``who``, as written), the whole phrase that
    says so, the sentence it is in, and the rule that found it (its language and name)."""

    who: str
    phrase: str
    sentence: str
    language: str
    rule: str


def origin_candidates(text: str) -> list[OriginCandidate]:
    """The attributions in ``text`` in the order they come, each ``who`` once (case aside;
    where two rules find one phrase, the one listed first in ``RULES``)."""
    found: list[tuple[int, int, OriginCandidate]] = []
    seen: set[str] = set()
    for start, sentence in sentences(text):
        for order, (language, rule, pattern) in enumerate(_compiled()):
            for match in pattern.finditer(sentence):
                who = _trim(match["who"])
                if not who or who.casefold() in seen:
                    continue
                seen.add(who.casefold())
                phrase = match[0].strip().rstrip(".,")
                candidate = OriginCandidate(who, phrase, sentence.strip(), language, rule)
                found.append((start + match.start(), order, candidate))
    found.sort(key=lambda row: (row[0], row[1]))
    return [candidate for _, _, candidate in found]


def _trim(who: str) -> str:
    """``who`` without leading function words or weekdays ("On Monday Trump" → "Trump")
    and trailing punctuation; "" if nothing is left."""
    text = who.strip().rstrip(".,'’-")
    while True:
        first = _LEADING.match(text + " ")
        word = first[0].strip() if first else ""
        if not word or (word.casefold() not in STOPWORDS and word.casefold() not in _WEEKDAYS):
            break
        text = text[len(word) :].lstrip()
    return "" if text.casefold() in _NOT_WHO else text
