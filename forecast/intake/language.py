"""Which language a text is in: an ISO 639-1 code, or None when the text does not say.

The detector is lingua (well kept, and the most accurate on short texts such as headlines,
as it weighs n-grams of one to five letters). It is built once per process for a fixed list
of the languages analysts meet, not for all 75 it knows. Measured on this project's 2-core
machine (``benchmarks/bench_intake.py`` prints the first figures again): the first texts
load the models of their scripts' languages in about 0.03 s; headlines in Latin, Cyrillic,
Chinese and Arabic script add about 105 MB, and with every listed language's models loaded
it is about 140 MB. A headline then takes 0.2 to 0.4 ms. With all 75 languages it is about
195 MB and twice the time per text, and more wrong guesses between languages no analyst
reads. High-accuracy mode is kept: low-accuracy mode saves only about 10% of the memory
and misreads short texts, which is what lingua is chosen for.

A text in a language outside the list comes back as the closest listed one if lingua is
sure enough, or None: the draft's language is a suggestion the analyst confirms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# ISO 639-1 codes: the languages of the news analysts read, grouped by region.
LANGUAGES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "fi",  # western and northern Europe
    "pl", "cs", "sk", "hu", "ro", "el", "hr", "sr", "mk", "bg",  # central and southeast
    "ru", "uk", "be", "lt", "lv", "et", "ka", "hy", "az", "kk",  # the former Soviet Union
    "tr", "ar", "fa", "he",  # the Middle East
    "zh", "ja", "ko", "hi",  # Asia
)  # fmt: skip
MIN_CONFIDENCE = 0.6  # lingua's share for the best language below which we say "unsure"
MIN_LETTERS = 3  # fewer letters than this ("OK", "G7") say nothing about a language
ISO_639_1_LENGTH = 2  # two letters; a longer primary tag ("fil") has no ISO 639-1 code
SAMPLE_CHARS = 2_000  # an article's language is plain from its start; the rest costs time


def language_tag(tag: str | None) -> str | None:
    """The ISO 639-1 code of a declared language tag ("en-US", "bg_BG", "ZH"), or None."""
    primary = (tag or "").strip().replace("_", "-").partition("-")[0].lower()
    return primary if len(primary) == ISO_639_1_LENGTH and primary.isalpha() else None


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None if unsure."""
    sample = text[:SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < MIN_LETTERS:
        return None
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    return str(values[0].language.iso_code_639_1.name).lower()


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    """The one detector of the process (lingua is imported and built on first use)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
