"""Suggestion speed: echoes and questions for one incoming item against a large store.

1. the echo index built from 10,000 synthetic stored reports (MinHash of every text, names,
   numbers and dates), and the question index from 500 questions;
2. per incoming item: its echoes (``EchoIndex.echoes``) and the questions it bears on
   (``QuestionIndex.suggest``), over 200 items (target: under 200 ms an item).

The reports are made up: words and names drawn from invented vocabularies (a third of the
reports in Cyrillic, so transliteration is on the path), names and words with a skewed
frequency as in news (a few protagonists in many reports), a date and a number or two in
each, and one report in ten a light rewrite of another, so the text index has real
candidates to check.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_suggestions.py
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from itertools import accumulate

from forecast.suggestions import EchoIndex, QuestionIndex, QuestionText, Text

N_REPORTS, N_QUESTIONS, N_ITEMS = 10_000, 500, 200
N_WORDS, N_NAMES = 5_000, 1_500
TARGET_MS = 200
SEED = 14
START = date(2025, 1, 1)

LATIN = ["ka", "lo", "mi", "ter", "san", "dor", "vel", "ru", "pe", "nis", "ta", "gor", "lin"]
CYRILLIC = ["ка", "ло", "ми", "тер", "сан", "дор", "вел", "ру", "пе", "нис", "та", "гор", "лин"]
MONTHS = ["January", "March", "октомври", "октября", "Oct.", "May"]


def vocabulary(rng: random.Random, size: int, syllables: list[str]) -> list[str]:
    return ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size)]


class World:
    """Invented vocabularies and a skewed draw from them (Zipf-like weights)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = {
            "latin": vocabulary(rng, N_WORDS, LATIN),
            "cyrillic": vocabulary(rng, N_WORDS, CYRILLIC),
        }
        self.names = {
            "latin": [w.capitalize() for w in vocabulary(rng, N_NAMES, LATIN)],
            "cyrillic": [w.capitalize() for w in vocabulary(rng, N_NAMES, CYRILLIC)],
        }
        self.word_weights = list(accumulate(1 / (i + 1) for i in range(N_WORDS)))
        self.name_weights = list(accumulate(1 / (i + 1) ** 0.8 for i in range(N_NAMES)))

    def sentence(self, script: str) -> str:
        rng = self.rng
        words = self.words[script]
        chosen = rng.choices(words, cum_weights=self.word_weights, k=rng.randint(8, 16))
        for _ in range(rng.randint(1, 3)):
            name = rng.choices(self.names[script], cum_weights=self.name_weights)[0]
            chosen.insert(rng.randint(1, len(chosen)), name)
        return chosen[0].capitalize() + " " + " ".join(chosen[1:]) + "."

    def report(self, rid: str, script: str) -> Text:
        rng = self.rng
        sentences = [self.sentence(script) for _ in range(rng.randint(4, 9))]
        day = START + timedelta(days=rng.randint(0, 300))
        sentences.insert(rng.randint(0, len(sentences)), self.extras(day))
        return Text(rid, self.sentence(script).rstrip("."), " ".join(sentences), day)

    def extras(self, day: date) -> str:
        rng = self.rng
        month = rng.choice(MONTHS)
        return f"On {rng.randint(1, 28)} {month} {day.year} some {rng.randint(10, 5000)} came."

    def rewrite(self, rid: str, original: Text) -> Text:
        """The same report lightly edited: one word in twenty replaced."""
        script = "cyrillic" if original.text[:1] in "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯ" else "latin"
        words = original.text.split()
        for i in range(0, len(words), 20):
            words[i] = self.rng.choice(self.words[script])
        return Text(rid, original.title, " ".join(words), original.published)

    def question(self, qid: str) -> QuestionText:
        rng = self.rng
        title = self.sentence("latin").rstrip(".") + "?"
        criteria = " ".join(self.sentence("latin") for _ in range(rng.randint(2, 4)))
        tags = tuple(rng.choices(self.words["latin"][:200], k=3))
        return QuestionText(qid, title, criteria, tags)


def reports(world: World, count: int, prefix: str) -> list[Text]:
    out: list[Text] = []
    for i in range(count):
        if out and world.rng.random() < 0.1:
            out.append(world.rewrite(f"{prefix}{i}", world.rng.choice(out)))
        else:
            script = "cyrillic" if i % 3 == 0 else "latin"
            out.append(world.report(f"{prefix}{i}", script))
    return out


def line(label: str, value: float, unit: str, target: float | None = None) -> None:
    goal = "" if target is None else f"   (target < {target:g} {unit})"
    print(f"{label:<58} {value:9.1f} {unit}{goal}")


def main() -> None:
    world = World(random.Random(SEED))
    stored = reports(world, N_REPORTS, "r")
    questions = [world.question(f"q{i}") for i in range(N_QUESTIONS)]
    incoming = reports(world, N_ITEMS, "new")
    # Half the incoming items rewrite a stored report: the text index then has work to do.
    incoming = [
        world.rewrite(item.id, world.rng.choice(stored)) if i % 2 else item
        for i, item in enumerate(incoming)
    ]

    start = time.perf_counter()
    echoes = EchoIndex(stored)
    line(f"echo index build ({N_REPORTS:,} reports)", time.perf_counter() - start, "s")
    start = time.perf_counter()
    index = QuestionIndex(questions)
    line(f"question index build ({N_QUESTIONS} questions)", time.perf_counter() - start, "s")

    times, found_echoes, found_questions = [], 0, 0
    for item in incoming:
        start = time.perf_counter()
        found_echoes += len(echoes.echoes(item))
        found_questions += len(index.suggest(item))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    line(f"echoes + questions, median of {N_ITEMS} items", median, "ms", TARGET_MS)
    line("echoes + questions, 95th percentile", times[int(0.95 * len(times)) - 1], "ms")
    line("echoes + questions, slowest item", times[-1], "ms")
    print(f"suggested per item: {found_echoes / N_ITEMS:.1f} echoes, "
          f"{found_questions / N_ITEMS:.1f} questions")  # fmt: skip

    start = time.perf_counter()
    for item in incoming[:50]:
        echoes.add(item)
    line("adding an item to the echo index, mean of 50", (time.perf_counter() - start) * 20, "ms")


if __name__ == "__main__":
    main()
