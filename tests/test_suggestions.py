"""Suggestions for incoming news: questions, echoes, origins, dates and keys.

Hand-made inputs with hand-computed scores, and the demo scenario read against a Bulgarian
article written for these tests (tests/data/suggestions/): the same facts as the seed article
the demo was written from, in our own words.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from forecast import scenario
from forecast.suggestions import (
    EchoIndex,
    QuestionIndex,
    QuestionText,
    Text,
    dates_in,
    iso_date,
    origin_candidates,
    suggest_echoes,
    suggest_questions,
)
from forecast.suggestions import echoes as echoes_module
from forecast.suggestions import questions as questions_module
from forecast.suggestions.text import key, names, numbers, stem

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "suggestions"
DEMO = ROOT / "seeds" / "putin-trump-2025.yaml"
DAY = date(2025, 10, 21)


def article(name: str) -> Text:
    """A test article: its first line is the title, the rest the text; published on DAY."""
    title, _, body = (DATA / name).read_text(encoding="utf-8").partition("\n")
    return Text(name, title.strip(), body.strip(), DAY)


@pytest.fixture(scope="module")
def demo() -> tuple[list[QuestionText], list[Text]]:
    history = scenario.loads(DEMO.read_text(encoding="utf-8"))
    return [QuestionText.of(q) for q in history.questions], [Text.of(r) for r in history.reports]


# =========================================================================== keys


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (("Trump", "Тръмп", "Трамп"), "trmp"),
        (("Putin", "Путин", "Путина"), "ptn"),
        (("Budapest", "Будапеща", "Будапешт"), "bdps"),
        (("Lavrov", "Лавров", "Лаврова"), "lvrv"),
        (("Reuters", "Ройтерс"), "rtrs"),
        (("Kremlin", "Кремъл", "Кремль"), "krml"),
        (("Washington", "Вашингтон"), "vsng"),
        (("Rubio", "Рубио"), "raba"),  # short: keeps its vowels
        (("Kelly", "Кели"), "kala"),
    ],
)
def test_a_name_has_one_key_in_every_alphabet(spellings: tuple[str, ...], expected: str) -> None:
    assert {key(s) for s in spellings} == {expected}


def test_stopwords_have_no_key_and_stems_cut_words_short() -> None:
    assert key("the") == key("Които") == key("что") == ""
    assert key("Според") == "sprd"  # not a stopword: a name only where the text makes it one
    assert stem("preparations") == stem("preparatory") == "prepar"
    assert stem("and") == "" and stem("x") == ""


def test_names_skip_common_words_that_open_a_sentence() -> None:
    found = names(
        "Preparatory talks with Lavrov",
        "Rubio called. The call was long. Срещата беше отложена. Кремъл и срещата. CNN said so.",
    )
    # The text never writes "Rubio" or "Кремъл" in lower case, so they are names where they
    # open a sentence; "Срещата" is written "срещата" too; "The" is a stopword; "CNN" is an
    # acronym. A title's first word counts only if the text capitalises it ("Preparatory").
    assert set(found.values()) == {"Lavrov", "Rubio", "Кремъл", "CNN"}


def test_institutions_known_by_translation_meet_their_english_names() -> None:
    found = names("", "Говорителят на Белия дом заяви това.")
    assert found[key("White")] == found[key("House")] == "Белия дом"


def test_numbers_in_one_normal_form_single_digits_left_out() -> None:
    assert numbers("10,000 troops, 10.000 войници, 2,5 km, 150 tanks and 2 planes") == {
        "10000": "10,000",
        "2.5": "2,5",
        "150": "150",
    }


# =========================================================================== dates


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("21 октомври 2025", "2025-10-21"),
        ("21 октомври 2025 г.", "2025-10-21"),
        ("21 October", "2025-10-21"),
        ("Oct. 21", "2025-10-21"),
        ("Oct 21st, 2025", "2025-10-21"),
        ("October 21, 2025", "2025-10-21"),
        ("21st of October", "2025-10-21"),
        ("21 октября", "2025-10-21"),
        ("21 октября 2025 года", "2025-10-21"),
        ("21 октябрь", "2025-10-21"),
        ("21.10.2025", "2025-10-21"),
        ("21/10/2025", "2025-10-21"),
        ("2025-10-21", "2025-10-21"),
        ("15 август 2025 г.", "2025-08-15"),
        ("Sept. 3", "2025-09-03"),
        ("May 5", "2025-05-05"),
        ("3 January", "2026-01-03"),  # nearer the reference day than 2025-01-03
        ("may 5", None),  # a verb, not a month
        ("31 November", None),
        ("10/21/2025", None),  # day first: there is no month 21
    ],
)
def test_dates_read_as_iso_days(written: str, expected: str | None) -> None:
    assert iso_date(written, date(2025, 10, 22)) == expected


def test_a_date_without_a_year_and_without_a_reference_keeps_no_year() -> None:
    assert iso_date("Oct. 21") == iso_date("21 октомври") == "--10-21"


def test_dates_in_a_text_in_order() -> None:
    text = "На 15 август 2025 г. в Анкъридж; после 21 октомври и Oct. 22."
    assert [(d.written, d.iso) for d in dates_in(text, DAY)] == [
        ("15 август 2025 г.", "2025-08-15"),
        ("21 октомври", "2025-10-21"),
        ("Oct. 22", "2025-10-22"),
    ]


# =========================================================================== questions

SMALL = [
    QuestionText("putin-trump", "Putin meets Trump"),
    QuestionText("lavrov-rubio", "Lavrov meets Rubio"),
]


def test_question_scores_by_hand() -> None:
    # Two questions, every term in the title (weight 2). idf = ln(1 + 2/n): ln 3 for a
    # word in one question, ln 2 for "meets" (in both). Each question weighs
    # 2 (ln 3 + ln 3 + ln 2). A Bulgarian report naming Putin and Trump covers
    # 2 (ln 3 + ln 3) of the first: 2 ln 3 / (2 ln 3 + ln 2) = 0.7602. It shares nothing
    # with the second, which is not offered.
    report = Text("r", "Путин се среща с Тръмп")
    (first,) = suggest_questions(report, SMALL)
    assert first.question_id == "putin-trump"
    assert first.score == pytest.approx(2 * math.log(3) / (2 * math.log(3) + math.log(2)), abs=1e-4)
    assert first.matched == (("Putin", "Путин"), ("Trump", "Тръмп"))


def test_a_shared_common_word_counts_for_less() -> None:
    # "Putin meets Trump in Budapest": all of the first question (1.0), and of the second
    # only "meets": ln 2 / (2 ln 3 + ln 2) = 0.2398.
    found = suggest_questions(Text("r", "Putin meets Trump in Budapest"), SMALL)
    assert [(s.question_id, s.score) for s in found] == [
        ("putin-trump", 1.0),
        ("lavrov-rubio", pytest.approx(math.log(2) / (2 * math.log(3) + math.log(2)), abs=1e-4)),
    ]
    assert found[1].matched == (("meets", "meets"),)


def test_criteria_weigh_half_a_title() -> None:
    # One question (idf ln 2 for every term): title "putin", "visits", "budapest" weigh 2,
    # "lands", only in the criteria, 1; "Putin lands" covers (2 + 1) / (2 + 2 + 2 + 1) = 3/7.
    question = QuestionText("q", "Putin visits Budapest", criteria="Putin lands in Budapest.")
    (found,) = suggest_questions(Text("r", "Putin lands"), [question])
    assert found.score == pytest.approx(3 / 7, abs=1e-4)


def test_the_bulgarian_summit_article_puts_the_putin_trump_questions_first(demo) -> None:
    questions, _ = demo
    found = suggest_questions(article("budapest-summit.bg.txt"), questions)
    assert [s.question_id for s in found] == ["putin-trump-meeting", "summit-venue"]
    venue = dict(found[1].matched)
    assert venue["Putin"] == "Путин" and venue["Trump"] == "Тръмп"
    assert venue["Budapest"] == "Будапеща"


def test_the_bulgarian_suspension_article_offers_the_three_summit_questions(demo) -> None:
    questions, _ = demo
    index = QuestionIndex(questions)
    report = article("summit-suspended.bg.txt")
    found = index.suggest(report)
    assert [s.question_id for s in found] == [
        "lavrov-rubio-meeting",
        "putin-trump-meeting",
        "summit-venue",
    ]
    assert dict(found[0].matched)["Lavrov"] == "Лавров"
    # The ceasefire question shares only "Украйна" and "министър": scored, not offered.
    assert 0 < index.scores(report)["russia-ceasefire-line"] < questions_module.SUGGEST


@pytest.mark.parametrize("name", ["unrelated.bg.txt", "unrelated.en.txt"])
def test_unrelated_text_suggests_no_question(demo, name: str) -> None:
    questions, _ = demo
    index = QuestionIndex(questions)
    assert index.suggest(article(name)) == []
    assert max(index.scores(article(name)).values()) < questions_module.SUGGEST


# =========================================================================== echoes


def test_echo_evidence_by_hand() -> None:
    # Two stored reports (N = 2). A's features: Rubio, Lavrov, Budapest, CNN and its day
    # 2025-10-21; B's: Sofia and the same day. The new report, in Bulgarian, has Rubio,
    # Lavrov, Budapest, the number 150 and that day. idf = ln(1 + 2/n): ln 3 for a feature
    # of one stored report (or of none), ln 2 for the day (both). A and the new report each
    # weigh 4 ln 3 + ln 2 and share 3 ln 3 + ln 2: (3 ln 3 + ln 2) / (4 ln 3 + ln 2) = 0.7841.
    # B shares only the day: fewer than MIN_SHARED features, so it is not scored at all.
    a = Text("a", "", "The talks between Rubio and Lavrov in Budapest, said CNN.", DAY)
    b = Text("b", "", "The weather in Sofia was mild.", DAY)
    new = Text("new", "", "Рубио и Лавров се срещнаха в Будапеща, на 150 км.", DAY)
    (echo,) = suggest_echoes(new, [a, b], cutoff=0.0)
    ln2, ln3 = math.log(2), math.log(3)
    assert echo.report_id == "a"
    assert echo.score == echo.evidence == pytest.approx((3 * ln3 + ln2) / (4 * ln3 + ln2), abs=1e-4)
    assert echo.text == 0.0
    assert echo.shared_names == (("Budapest", "Будапеща"), ("Lavrov", "Лавров"), ("Rubio", "Рубио"))
    assert echo.shared_numbers == ()
    assert echo.shared_dates == ("2025-10-21",)


ORIGINAL = (
    "Citing a senior White House official, Reuters reports that Trump has cancelled plans "
    "for a meeting with Putin in the near future, and that the Lavrov-Rubio meeting meant "
    "to prepare the Budapest summit will not take place either."
)
REWRITE = (
    "Citing a senior White House official, Reuters reported that Trump has cancelled plans "
    "for a meeting with Putin in the near future, and that the Lavrov-Rubio meeting meant "
    "to prepare the Budapest summit will not take place."
)


def test_a_rewrite_in_the_same_language_is_found_by_its_wording() -> None:
    index = EchoIndex([Text("stored", "Trump drops plans", ORIGINAL, DAY)])
    (echo,) = index.echoes(Text("new", "Trump drops plans", REWRITE, None))
    assert echo.report_id == "stored"
    # Title and text as one: 40 and 39 shingles of three words, 36 shared, 43 in all:
    # Jaccard 36/43 = 0.837, estimated from 64 permutations (about ±0.12).
    whole = (echoes_module.shingles(f"Trump drops plans.\n{t}") for t in (ORIGINAL, REWRITE))
    first, second = whole
    assert (len(first), len(second), len(first & second), len(first | second)) == (40, 39, 36, 43)
    assert echo.text == pytest.approx(36 / 43, abs=0.15)
    assert echo.score == max(echo.text, echo.evidence)


def test_shingles_by_hand() -> None:
    assert echoes_module.shingles("Rubio met Lavrov today") == {
        b"rubio met lavrov",
        b"met lavrov today",
    }
    assert echoes_module.shingles("Rubio met") == {b"rubio met"}


DEMO_CLAIMS = {
    "cnn-prep-meeting-postponed": ("Lavrov", "Rubio"),
    "reuters-trump-drops-meeting": ("Trump", "Putin", "Lavrov", "Rubio", "Budapest", "Reuters"),
    "nbc-summit-prep-suspended": ("Trump", "Putin", "NBC", "Washington", "White House"),
}


def test_the_bulgarian_article_carries_the_demo_claims(demo) -> None:
    _, reports = demo
    found = {e.report_id: e for e in EchoIndex(reports).echoes(article("summit-suspended.bg.txt"))}
    for report_id, shared in DEMO_CLAIMS.items():
        echo = found[report_id]
        assert echo.score >= echoes_module.SUGGEST
        assert set(shared) <= {stored for stored, _ in echo.shared_names}, report_id
        assert echo.shared_dates == ("2025-10-21",)
    spelled = dict(found["reuters-trump-drops-meeting"].shared_names)
    assert spelled["Trump"] == "Тръмп" and spelled["Reuters"] == "Ройтерс"
    assert dict(found["nbc-summit-prep-suspended"].shared_names)["White House"] == "Белия дом"


@pytest.mark.parametrize("name", ["unrelated.bg.txt", "unrelated.en.txt"])
def test_unrelated_text_echoes_nothing(demo, name: str) -> None:
    _, reports = demo
    assert EchoIndex(reports).echoes(article(name), cutoff=0.0) == []


def test_the_index_grows_and_replaces_one_report_at_a_time(demo) -> None:
    _, reports = demo
    index = EchoIndex(reports[:2])
    new = article("summit-suspended.bg.txt")
    assert "reuters-trump-drops-meeting" not in {e.report_id for e in index.echoes(new)}
    wanted = next(r for r in reports if r.id == "reuters-trump-drops-meeting")
    index.add(wanted)
    assert len(index) == 3 and wanted.id in index
    assert "reuters-trump-drops-meeting" in {e.report_id for e in index.echoes(new)}

    # A new version under the same id replaces the old one, in both measures.
    index.add(Text(wanted.id, "Weather", "The weather in Sofia was mild.", DAY))
    assert len(index) == 3
    assert "reuters-trump-drops-meeting" not in {e.report_id for e in index.echoes(new)}
    index.remove(wanted.id)
    assert wanted.id not in index and len(index) == 2

    # The inbox item itself, once added, is never its own echo.
    index.add(new)
    assert new.id not in {e.report_id for e in index.echoes(new)}


def test_the_same_answer_built_at_once_or_one_by_one(demo) -> None:
    _, reports = demo
    grown = EchoIndex()
    for report in reports:
        grown.add(report)
    new = article("summit-suspended.bg.txt")
    assert grown.echoes(new) == EchoIndex(reports).echoes(new)


# =========================================================================== origins


def _who(text: str) -> list[str]:
    return [c.who for c in origin_candidates(text)]


def test_english_attributions() -> None:
    text = (
        "Sources told Reuters that the talks stalled. According to CNN, the meeting is off. "
        "Citing a senior White House official, NBC said preparations stopped. "
        '"It requires preparation," said Sergei Ryabkov. An official visit is planned.'
    )
    assert _who(text) == [
        "Sources told Reuters",
        "CNN",
        "senior White House official",
        "NBC",
        "Sergei Ryabkov",
    ]
    (cited,) = [c for c in origin_candidates(text) if c.rule == "citing"]
    assert cited.sentence == (
        "Citing a senior White House official, NBC said preparations stopped."
    )
    assert cited.language == "en" and cited.phrase == "Citing a senior White House official"


def test_bulgarian_attributions() -> None:
    text = (
        "Според CNN срещата е отложена. Това съобщиха източници на Ройтерс. "
        "Вашингтон спря подготовката, каза високопоставен служител на Белия дом. "
        "Според друг източник позицията не се е променила."
    )
    assert _who(text) == [
        "CNN",
        "източници на Ройтерс",
        "високопоставен служител на Белия дом",
        "друг източник",
    ]


def test_russian_attributions() -> None:
    text = (
        "По данным источников в Кремле, встреча отложена. "
        "По словам Сергея Рябкова, нужна подготовка. Об этом сообщает ТАСС."
    )
    assert _who(text) == ["источников в Кремле", "Сергея Рябкова", "ТАСС"]


def test_no_attribution_no_candidate() -> None:
    assert origin_candidates((DATA / "unrelated.en.txt").read_text(encoding="utf-8")) == []


def test_reports_skipped_as_out_of_reach_would_score_below_the_cutoff(demo) -> None:
    _, reports = demo
    index = EchoIndex(reports)
    for item in (article("summit-suspended.bg.txt"), *reports):
        everything = index.echoes(item, cutoff=0.0, limit=100)
        wanted = [e for e in everything if e.score >= echoes_module.SUGGEST]
        assert index.echoes(item, limit=100) == wanted


def test_nothing_to_compare_suggests_nothing() -> None:
    assert EchoIndex().echoes(Text("x", "Trump and Putin", "", DAY)) == []
    assert EchoIndex([Text("a", "", "")]).echoes(Text("x", "", "")) == []
    assert QuestionIndex([]).suggest(Text("x", "Putin")) == []
    assert suggest_questions(Text("x", ""), SMALL) == []
