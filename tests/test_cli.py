"""The command line, end to end on a real SQLite file: the contract, as-of, bad input."""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.clock import parse_time
from forecast.store import Store

REFUSED_LOGGED = (
    "error: --logged is not accepted: knowledge times come from the store's clock; "
    "bring in history with `forecast import`\n"
)


class Run:
    """Call the real entry point and capture what a user would see."""

    def __init__(self, capsys: pytest.CaptureFixture[str]):
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        return out

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "--json"))

    def fails(self, *args: str) -> str:
        """The command fails with one line on stderr and leaves the database as it was."""
        before = self.ok("export", "-")
        code, _, err = self(*args)
        assert code != 0
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("error: ")
        assert self.ok("export", "-") == before
        return err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


class Clock:
    """The store's clock, set by the test (the real one until then)."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def read(self) -> datetime:
        return datetime.now(UTC) if self.now is None else self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Stands in for the store's clock: every write's knowledge time comes from it."""
    fixed = Clock()
    monkeypatch.setattr(Store, "now", lambda _store: fixed.read())
    return fixed


@pytest.fixture
def seeded(run: Run) -> Run:
    run.ok("init")
    run.ok("source", "add", "Reuters", "--reliability", "0.9", "--type", "news agency")
    run.ok("source", "add", "NBC News", "--reliability", "0.8")
    run.ok(
        "question",
        "add",
        "meet",
        "--title",
        "Will they meet?",
        "--kind",
        "event",
        "--opened",
        "2025-10-16",
        "--prior",
        "0.3",
        "--deadline",
        "2025-11-30",
        "--deadline",
        "2025-12-31",
        "--alpha",
        "1",
    )
    run.ok(
        "question",
        "add",
        "state",
        "--title",
        "Ceasefire line accepted?",
        "--kind",
        "binary",
        "--opened",
        "2025-10-16",
        "--prior",
        "0.2",
    )
    run.ok(
        "question",
        "add",
        "venue",
        "--title",
        "Where?",
        "--kind",
        "choice",
        "--opened",
        "2025-10-16",
        "--option",
        "budapest=0.5",
        "--option",
        "elsewhere=0.3",
        "--option",
        "none=0.2",
    )
    return run


def evidence(run: Run, *extra: str) -> dict:
    out = run.json("evidence", "add", *extra)
    assert isinstance(out, dict)
    return out


def test_question_list_json(seeded: Run) -> None:
    rows = seeded.json("question", "list")
    assert [r["id"] for r in rows] == ["meet", "state", "venue"]
    for r in rows:
        assert {"id", "title", "kind", "status", "probability"} <= r.keys()
    # meet's last deadline (2025-12-31) is long past and it is unresolved: the read model says
    # so, as the dashboard does
    assert [r["status"] for r in rows] == ["awaiting resolution", "open", "open"]
    assert rows[1]["probability"] == pytest.approx(0.2)
    assert rows[2]["probability"] == pytest.approx({"budapest": 0.5, "elsewhere": 0.3, "none": 0.2})


def test_event_show_json_hand_values(seeded: Run, clock: Clock) -> None:
    # v2: "by 2025-11-30" covers days 0..45 (46 days); alpha 1: S(x) = b / (b + x) with
    # b / (b + 46) = 0.7, b = 0.7 * 46 / 0.3. (The question was created after its deadlines,
    # as a historical one, so its prior speaks of its opening day.) On 10-21 (day 5) the days
    # before are ruled out: odds of D1 = (S5 - S46) / S46 = 41 / (b + 5).
    # An LR of 0.5 from a source of reliability 0.9: 1 - 0.9 (1 - 0.5) = 0.55 (v1 agreed).
    clock.now = parse_time("2025-10-21T18:00:00Z")
    evidence(
        seeded,
        "--question",
        "meet",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21T14:00:00Z",
        "--lr",
        "0.5",
        "--report-id",
        "wh-cancel",
        "--title",
        "Summit off",
    )
    data = seeded.json("show", "meet", "--as-of", "2025-10-21")
    b = 0.7 * 46 / 0.3

    def s(x: float) -> float:
        return b / (b + x)

    odds = 41 / (b + 5) * 0.55
    assert data["probability"] == pytest.approx(odds / (1 + odds))
    assert data["as_of"].startswith("2025-10-21")
    assert [d["date"] for d in data["deadlines"]] == ["2025-11-30", "2025-12-31"]
    # D2 (days 0..76): the report scaled days 5..45 by 0.55 and left 46..76 as they were
    left = 0.55 * (s(5) - s(46)) + s(46)
    assert data["deadlines"][1]["probability"] == pytest.approx((left - s(77)) / left)
    days = [p for p in data["trajectory"] if "report" not in p]
    assert days[0] == {"date": "2025-10-16", "probability": pytest.approx(0.3)}
    assert days[4]["probability"] == pytest.approx(1 - (b + 4) / (b + 46))
    marks = [p for p in data["trajectory"] if "report" in p]
    assert marks == [
        {
            "date": "2025-10-21T14:00:00Z",
            "report": "wh-cancel",
            "probability": pytest.approx(odds / (1 + odds)),
        }
    ]
    (c,) = data["contributions"]
    assert c["report"] == "wh-cancel"
    assert c["log_odds"] == pytest.approx(math.log(0.55))
    assert c["points"] == pytest.approx(odds / (1 + odds) - (1 - s(46) / s(5)))
    assert c["without"] == pytest.approx(1 - s(46) / s(5))


def test_as_of_uses_knowledge_time_not_publication(seeded: Run, clock: Clock) -> None:
    # Published on 10-18 but logged only on 10-25: on 10-20 we did not know it.
    clock.now = parse_time("2025-10-25T09:00:00Z")
    evidence(
        seeded,
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-18",
        "--lr",
        "4",
    )
    before = seeded.json("show", "state", "--as-of", "2025-10-20")
    after = seeded.json("show", "state", "--as-of", "2025-10-25")
    assert before["probability"] == pytest.approx(0.2)
    assert before["contributions"] == []
    # v2: LR 4 at r 0.9 -> 1 / (1 - 0.9 (1 - 1/4)) = 1 / 0.325 (v1: 1 + 0.9 * 3)
    odds = 0.25 / 0.325
    assert after["probability"] == pytest.approx(odds / (1 + odds))
    # The trajectory is drawn on event time: the move shows on 10-18.
    days = {p["date"]: p["probability"] for p in after["trajectory"] if "report" not in p}
    assert days["2025-10-17"] == pytest.approx(0.2)
    assert days["2025-10-18"] == pytest.approx(odds / (1 + odds))


def test_echoes_and_two_analysts_through_the_cli(seeded: Run) -> None:
    first = evidence(
        seeded,
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "0.2",
        "--origin",
        "senior White House official",
        "--analyst",
        "maria",
    )
    evidence(
        seeded,
        "--question",
        "state",
        "--source",
        "NBC News",
        "--published",
        "2025-10-21",
        "--lr",
        "0.4",
        "--origin",
        "Senior White House official ",
        "--analyst",
        "maria",
    )
    evidence(
        seeded,
        "--question",
        "state",
        "--report",
        first["report"],
        "--lr",
        "0.2",
        "--analyst",
        "ivan",
    )
    data = seeded.json("show", "state")
    # v2: the item's reliability is 1 - 0.1 * 0.2 = 0.98 over its two distinct sources. maria's
    # LR is the one she gave its most reliable member (Reuters, 0.2), as is ivan's: both terms
    # are 1 - 0.98 (1 - 0.2) = 0.216 (v1 took the geometric mean sqrt(.08) for maria).
    maria = ivan = math.log(1 - 0.98 * 0.8)
    odds = 0.25 * math.exp((maria + ivan) / 2)
    assert data["probability"] == pytest.approx(odds / (1 + odds))
    assert len(data["contributions"]) == 2


def test_choice_evidence(seeded: Run) -> None:
    evidence(
        seeded,
        "--question",
        "venue",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--likelihood",
        "budapest=0.25",
        "--likelihood",
        "none=2",
    )
    p = seeded.json("show", "venue")["probability"]
    # v2: P(report | k) ∝ 0.9 l_k + 0.1 max l = 0.9 l_k + 0.2, with l = (0.25, 1, 2):
    # (0.425, 1.1, 2.0); only the ratios count
    w = {"budapest": 0.5 * 0.425, "elsewhere": 0.3 * 1.1, "none": 0.2 * 2.0}
    total = sum(w.values())
    assert p == pytest.approx({k: v / total for k, v in w.items()})


def test_strength_word(seeded: Run) -> None:
    evidence(
        seeded,
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--strength",
        "strong-for",
    )
    # v2: 1 / (1 - 0.9 (1 - e^-4)) (v1: 1 + 0.9 (e^4 - 1), 45 times larger)
    odds = 0.25 / (1 - 0.9 * (1 - math.exp(-4)))
    assert seeded.json("show", "state")["probability"] == pytest.approx(odds / (1 + odds))


def test_resolve_then_no_more_evidence(seeded: Run) -> None:
    seeded.ok("resolve", "state", "--outcome", "no", "--date", "2025-12-31", "--note", "none")
    row = next(r for r in seeded.json("question", "list") if r["id"] == "state")
    assert row["status"] == "resolved"
    err = seeded.fails(
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-11-02",
        "--lr",
        "2",
    )
    assert "resolved" in err
    seeded.ok("resolve", "venue", "--outcome", "annulled", "--date", "2025-11-01")
    assert seeded.json("show", "venue")["status"] == "annulled"


def test_corrections_keep_history(seeded: Run, clock: Clock) -> None:
    clock.now = parse_time("2025-10-21T12:00:00Z")
    out = evidence(
        seeded,
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "4",
    )
    clock.now = parse_time("2025-10-22T12:00:00Z")
    seeded.ok("evidence", "correct", out["assessment"], "--lr", "2", "--reason", "overrated")
    odds = 0.25 / (1 - 0.9 * 0.5)  # v2: LR 2 at r 0.9
    assert seeded.json("show", "state")["probability"] == pytest.approx(odds / (1 + odds))
    seeded.ok("evidence", "retract", out["assessment"], "--reason", "fake")
    assert seeded.json("show", "state")["probability"] == pytest.approx(0.2)
    # what we believed on 10-21 is still readable
    old = seeded.json("show", "state", "--as-of", "2025-10-21")
    odds = 0.25 / 0.325  # v2: LR 4 at r 0.9
    assert old["probability"] == pytest.approx(odds / (1 + odds))
    text = seeded.ok("export", "-")
    assert "overrated" in text and "fake" in text


def test_demo_twice(run: Run) -> None:
    assert "demo loaded" in run.ok("demo")
    assert "already loaded" in run.ok("demo")
    rows = run.json("question", "list")
    assert {r["kind"] for r in rows} == {"binary", "event", "choice"}


def _close(a: object, b: object) -> bool:
    """Equal, numbers to a relative 1e-12, through nested lists and mappings."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return a == b


def test_export_import_round_trip_reproduces_trajectories(run: Run, tmp_path: Path) -> None:
    run.ok("demo")
    ids = [r["id"] for r in run.json("question", "list")]
    shown = {q: run.json("show", q, "--as-of", "2025-11-15") for q in ids}
    path = tmp_path / "all.yaml"
    run.ok("export", str(path))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    run.ok("--db", other, "import", str(path))
    for q in ids:
        again = run.json("--db", other, "show", q, "--as-of", "2025-11-15")
        # The demo's questions are linked: their forecasts come through the network's sums,
        # whose last bit may differ from one computation to the next, so to 1e-12.
        assert _close(again, shown[q])
    assert run.ok("--db", other, "export", "-") == path.read_text(encoding="utf-8")


def test_text_in_any_script_survives(seeded: Run, tmp_path: Path) -> None:
    title = "Тръмп отмени срещата 🇺🇸🇷🇺 — שלום عربى \u200f'; DROP TABLE reports; --<script>"
    evidence(
        seeded,
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "0.5",
        "--title",
        title,
        "--report-id",
        "uni",
    )
    data = seeded.json("show", "state")
    assert data["contributions"][0]["title"] == title
    path = tmp_path / "u.yaml"
    seeded.ok("export", str(path))
    other = f"sqlite:///{tmp_path / 'u.db'}"
    seeded.ok("--db", other, "import", str(path))
    assert seeded.json("--db", other, "show", "state")["contributions"][0]["title"] == title


# --------------------------------------------------------------------------- bad input

BAD = {
    "prior above 1": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "binary",
        "--opened",
        "2025-10-16",
        "--prior",
        "1.5",
    ],
    "prior of 1": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "binary",
        "--opened",
        "2025-10-16",
        "--prior",
        "1",
    ],
    "prior of 0": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "binary",
        "--opened",
        "2025-10-16",
        "--prior",
        "0",
    ],
    "prior NaN": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "binary",
        "--opened",
        "2025-10-16",
        "--prior",
        "nan",
    ],
    "choice not summing to 1": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "choice",
        "--opened",
        "2025-10-16",
        "--option",
        "a=0.5",
        "--option",
        "b=0.4",
    ],
    "deadline before opening": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "event",
        "--opened",
        "2025-10-16",
        "--prior",
        "0.3",
        "--deadline",
        "2025-10-01",
    ],
    "event without deadline": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "event",
        "--opened",
        "2025-10-16",
        "--prior",
        "0.3",
    ],
    "duplicate question id": [
        "question",
        "add",
        "state",
        "--title",
        "t",
        "--kind",
        "binary",
        "--opened",
        "2025-10-16",
        "--prior",
        "0.3",
    ],
    "bad date": [
        "question",
        "add",
        "x",
        "--title",
        "t",
        "--kind",
        "binary",
        "--opened",
        "16/10/2025",
        "--prior",
        "0.3",
    ],
    "reliability above 1": ["source", "add", "X", "--reliability", "1.2"],
    "reliability inf": ["source", "add", "X", "--reliability", "inf"],
    "duplicate source": ["source", "add", "Reuters", "--reliability", "0.5"],
    "LR zero": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "0",
    ],
    "LR negative": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "-2",
    ],
    "LR inf": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "inf",
    ],
    "unknown question": [
        "evidence",
        "add",
        "--question",
        "nope",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "2",
    ],
    "unknown source": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Nope",
        "--published",
        "2025-10-21",
        "--lr",
        "2",
    ],
    "unknown report": ["evidence", "add", "--question", "state", "--report", "nope", "--lr", "2"],
    "unknown option": [
        "evidence",
        "add",
        "--question",
        "venue",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--likelihood",
        "moscow=2",
    ],
    "lr on a choice question": [
        "evidence",
        "add",
        "--question",
        "venue",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "2",
    ],
    "unknown strength": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--strength",
        "huge",
    ],
    "evidence before opening": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-01",
        "--lr",
        "2",
    ],
    "evidence after last deadline": [
        "evidence",
        "add",
        "--question",
        "meet",
        "--source",
        "Reuters",
        "--published",
        "2026-01-02",
        "--lr",
        "2",
    ],
    "published after logged": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2099-01-01",  # after now, the knowledge time of every live write
        "--lr",
        "2",
    ],
    "two strengths": [
        "evidence",
        "add",
        "--question",
        "state",
        "--source",
        "Reuters",
        "--published",
        "2025-10-21",
        "--lr",
        "2",
        "--strength",
        "weak-for",
    ],
    "unknown outcome": ["resolve", "state", "--outcome", "maybe", "--date", "2025-12-31"],
    "resolve unknown question": ["resolve", "nope", "--outcome", "yes", "--date", "2025-12-31"],
    "show unknown question": ["show", "nope"],
    "missing option": ["question", "add"],
    "unknown command": ["frobnicate"],
}


# What each case must say (the rule is tested by its message, not only by the failure).
SAYS = {
    "prior above 1": "error: prior must be strictly between 0 and 1, not 1.5",
    "prior of 1": "error: prior must be strictly between 0 and 1, not 1",
    "prior of 0": "error: prior must be strictly between 0 and 1, not 0",
    "prior NaN": "error: prior must be a finite number, not 'nan'",
    "choice not summing to 1": "error: the option priors must sum to 1, not 0.9",
    "deadline before opening": "error: deadline 2025-10-01 is not after the opened date",
    "event without deadline": "error: an event question needs at least one deadline",
    "duplicate question id": "error: question 'state' already exists",
    "bad date": "error: --opened '16/10/2025' is not an ISO date (YYYY-MM-DD) or date-time",
    "reliability above 1": "error: reliability must be between 0 and 1, not 1.2",
    "reliability inf": "error: reliability must be a finite number, not 'inf'",
    "duplicate source": "error: source 'Reuters' already exists",
    "LR zero": "error: likelihood ratio must be greater than 0, not 0",
    "LR negative": "error: likelihood ratio must be greater than 0, not -2",
    "LR inf": "error: likelihood ratio must be a finite number, not 'inf'",
    "unknown question": "error: no question 'nope'",
    "unknown source": "error: no source 'Nope': add it with `forecast source add`",
    "unknown report": "error: no report 'nope'",
    "unknown option": "error: question venue has no option 'moscow' (options: budapest,",
    "lr on a choice question": "error: question venue is a choice question: give likelihoods",
    "unknown strength": "error: strength 'huge' is not on the Kass-Raftery (1995) scale",
    "evidence before opening": "predates question state (opened 2025-10-16): the prior already",
    "evidence after last deadline": "is dated after the last deadline of meet (2025-12-31)",
    "published after logged": "is published 2099-01-01, after it was logged",
    "two strengths": "error: question state: give exactly one of a likelihood ratio, a strength or",
    "unknown outcome": "error: outcome 'maybe' is not one of yes, no, annulled for question",
    "resolve unknown question": "error: no question 'nope'",
    "show unknown question": "error: no question 'nope'",
    "missing option": "error: Missing argument 'ID'.",
    "unknown command": "error: No such command 'frobnicate'.",
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_changes_nothing(seeded: Run, case: str) -> None:
    assert SAYS[case] in seeded.fails(*BAD[case])


def test_every_bad_input_case_names_its_message() -> None:
    assert set(SAYS) == set(BAD)


@pytest.mark.parametrize(
    "typed", [["--logged", "2025-10-24T12:00Z"], ["--logged=2025-10-21"], ["--logged", ""]]
)
def test_a_typed_knowledge_time_is_refused_in_one_line(seeded: Run, typed: list[str]) -> None:
    err = seeded.fails(
        "evidence", "add", "--question", "state", "--source", "Reuters",
        "--published", "2025-10-21", "--lr", "2", *typed,
    )  # fmt: skip
    assert err == REFUSED_LOGGED


def test_a_typed_knowledge_time_is_refused_before_the_database_is_opened(
    run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "never.db"
    code, out, err = run(
        "--db", str(target), "evidence", "add", "--question", "q", "--logged", "2025-10-21"
    )
    assert (code, out, err) == (1, "", REFUSED_LOGGED)
    assert not target.exists()


def test_evidence_add_no_longer_offers_a_knowledge_time(run: Run) -> None:
    assert "--logged" not in run.ok("evidence", "add", "--help")


def test_live_evidence_is_logged_at_the_store_clock(seeded: Run, clock: Clock) -> None:
    clock.now = parse_time("2025-10-23T08:30:00Z")
    out = evidence(
        seeded, "--question", "state", "--source", "Reuters", "--published", "2025-10-20",
        "--lr", "2", "--report-id", "late-news",
    )  # fmt: skip
    with Store.open() as store, store.read() as tx:
        (report,) = tx.report_versions("late-news")
        (assessment,) = tx.assessment_versions(out["assessment"])
    assert report.logged_at == assessment.logged_at == clock.now
    assert (report.logged_by, report.imported_at, report.imported_by) == ("tester", None, "")
    assert assessment.imported_at is None


def test_unreachable_database(run: Run, tmp_path: Path) -> None:
    code, _, err = run("--db", "postgresql://nobody@127.0.0.1:1/none", "question", "list")
    assert code != 0 and len(err.strip().splitlines()) == 1 and "cannot open" in err
    code, _, err = run("--db", str(tmp_path / "missing" / "dir" / "x.db"), "init")
    assert code != 0 and len(err.strip().splitlines()) == 1


def test_bad_import_is_all_or_nothing(seeded: Run, tmp_path: Path) -> None:
    path = tmp_path / "half.yaml"
    path.write_text(
        "format: forecast-scenario/1\n"
        "questions:\n"
        "  - {id: fine, title: Fine, kind: binary, opened: 2025-10-16, prior: 0.4}\n"
        "reports:\n"
        "  - {id: r1, published: 2025-10-20, source: Unknown Outlet}\n",
        encoding="utf-8",
    )
    err = seeded.fails("import", str(path))
    assert "Unknown Outlet" in err
    path.write_text("format: forecast-scenario/1\nquestions: [\n", encoding="utf-8")
    seeded.fails("import", str(path))
    seeded.fails("import", str(tmp_path / "missing.yaml"))


# ---------------------------------------------------------------------- model v2 in the CLI


def test_judge_stores_the_lr_that_moves_the_forecast_there(seeded: Run, clock: Clock) -> None:
    clock.now = parse_time("2025-10-22T12:00:00Z")
    # binary: 0.2 -> 0.4 is LR (0.4 / 0.6) / (0.2 / 0.8) = 8/3, at reliability 1
    preview = seeded.json("judge", "state", "0.4", "--dry-run")
    assert preview["lr"] == pytest.approx(8 / 3) and preview["stored"] is False
    assert seeded.json("show", "state")["contributions"] == []
    out = seeded.json("judge", "state", "0.4", "--rationale", "the talks stalled")
    assert out["lr"] == pytest.approx(8 / 3)
    data = seeded.json("show", "state")
    assert data["probability"] == pytest.approx(0.4)
    (c,) = data["contributions"]
    assert c["source"] == "Analyst judgement" and c["reliability"] == 1.0
    # event on 10-22 (day 6): P(by 11-30) = 1 - (b + 6) / (b + 46); judging 0.5 multiplies the
    # odds of the first open deadline by 1 / odds(now)
    b = 0.7 * 46 / 0.3
    now = 1 - (b + 6) / (b + 46)
    out = seeded.json("judge", "meet", "0.5")
    assert out["lr"] == pytest.approx((1 - now) / now)
    assert seeded.json("show", "meet")["deadlines"][0]["probability"] == pytest.approx(0.5)
    # choice: one probability per option; the likelihoods are P_k / now_k
    out = seeded.json("judge", "venue", "budapest=0.6", "elsewhere=0.1", "none=0.3")
    assert out["lr"] == pytest.approx({"budapest": 1.2, "elsewhere": 1 / 3, "none": 1.5})
    shown = seeded.json("show", "venue")["probability"]
    assert shown == pytest.approx({"budapest": 0.6, "elsewhere": 0.1, "none": 0.3})


def test_an_event_report_points_by_a_deadline_or_around_a_date(seeded: Run, clock: Clock) -> None:
    clock.now = parse_time("2025-10-25T12:00:00Z")
    # Both governments announce the date: a source of reliability 1 (at Reuters' 0.9 the LR
    # of 2000 could multiply the day's odds by 1 / 0.1 at most)
    seeded.ok("source", "add", "Joint statement", "--reliability", "1")
    args = ["--question", "meet", "--source", "Joint statement", "--published", "2025-10-25"]
    evidence(seeded, *args, "--lr", "2000", "--around", "2025-12-15", "--title", "Summit set")
    data = seeded.json("show", "meet", "--as-of", "2025-10-25")
    assert data["when"]["median"] == "2025-12-15"
    assert data["when"]["p50"] == ["2025-12-15", "2025-12-15"]
    assert 0 < data["when"]["beyond"] < 0.1
    # --by the later deadline: a report of day 9 multiplies days 0..76 by its factor
    evidence(seeded, *args, "--lr", "0.5", "--by", "2025-12-31", "--title", "Maybe later")
    stored = seeded.json("audit", "meet")
    assert any("2025-12-31" in json.dumps(e) for e in stored)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["judge", "state", "1.5"], "probability must be strictly between 0 and 1, not 1.5"),
        (["judge", "venue", "0.4"], "question venue is a choice question: give OPTION=P for each"),
        (["judge", "state", "x=0.5"], "question state takes one probability, not a vector"),
        (["judge", "venue", "budapest=0.5"], "give a probability for every option"),
        (
            ["evidence", "add", "--question", "meet", "--source", "Reuters",
             "--published", "2025-10-21", "--lr", "2", "--by", "2025-12-15"],
            "by 2025-12-15 is not a deadline of meet (deadlines: 2025-11-30, 2025-12-31)",
        ),
        (
            ["evidence", "add", "--question", "state", "--source", "Reuters",
             "--published", "2025-10-21", "--lr", "2", "--around", "2025-12-15"],
            "a deadline (by) or a date (around) applies to event questions only",
        ),
        (
            ["evidence", "add", "--question", "meet", "--source", "Reuters",
             "--published", "2025-10-21", "--lr", "2", "--around", "2025-12-15",
             "--within", "2.5"],
            "--within must be a whole number of days, not 2.5",
        ),
        (
            ["evidence", "add", "--question", "meet", "--source", "Reuters",
             "--published", "2025-10-21", "--lr", "2", "--around", "2026-02-01"],
            "around 2026-02-01 is outside meet's days (2025-10-16 to 2025-12-31)",
        ),
        (
            ["evidence", "add", "--question", "meet", "--source", "Reuters",
             "--published", "2026-01-01", "--lr", "2"],
            "is dated after the last deadline of meet (2025-12-31)",
        ),
    ],
)  # fmt: skip
def test_v2_bad_input_gets_one_clear_line(
    seeded: Run, clock: Clock, args: list[str], message: str
) -> None:
    clock.now = parse_time("2026-01-05T12:00:00Z")
    assert message in seeded.fails(*args)


def test_a_report_on_the_last_deadline_day_still_counts(seeded: Run, clock: Clock) -> None:
    # "by 2025-12-31" includes all of that day: a report of the day is accepted and moves it
    clock.now = parse_time("2025-12-31T20:00:00Z")
    args = ["--question", "meet", "--source", "Reuters", "--published", "2025-12-31T18:00Z"]
    evidence(seeded, *args, "--lr", "3")
    data = seeded.json("show", "meet")
    assert data["status"] == "open"
    (c,) = data["contributions"]
    assert c["points"] > 0 and data["probability"] > 0


def test_probabilities_may_be_typed_as_percentages(seeded: Run, clock: Clock) -> None:
    seeded.ok("question", "add", "pct", "--title", "P", "--kind", "binary",
              "--opened", "2025-10-16", "--prior", "40%")  # fmt: skip
    seeded.ok("question", "add", "opts", "--title", "O", "--kind", "choice",
              "--opened", "2025-10-16", "--option", "a=25 %", "--option", "b=0.75")  # fmt: skip
    seeded.ok("source", "add", "Blog", "--reliability", "35%")
    assert seeded.json("show", "pct")["prior"] == 0.4  # type: ignore[index]
    assert seeded.json("show", "opts")["prior"] == {"a": 0.25, "b": 0.75}  # type: ignore[index]
    (blog,) = [s.split() for s in seeded.ok("source", "list").splitlines() if "Blog" in s]
    assert blog == ["Blog", "0.35", "v1"]
    clock.now = parse_time("2025-10-20T12:00:00Z")
    judged = seeded.json("judge", "pct", "80%")
    assert judged["lr"] == pytest.approx((0.8 / 0.2) / (0.4 / 0.6))  # type: ignore[index]
    err = seeded.fails("question", "add", "x", "--title", "t", "--kind", "binary",
                       "--opened", "2025-10-16", "--prior", "140%")  # fmt: skip
    assert err == "error: prior must be strictly between 0 and 1, not 1.4\n"
    err = seeded.fails("evidence", "add", "--question", "pct", "--lr", "40%", "--source", "Blog",
                       "--published", "2025-10-19")  # fmt: skip
    assert err == "error: likelihood ratio must be a number, not '40%'\n"


def _columns(text: str) -> int:
    """Terminal columns by Unicode's East Asian Width (wide and full-width take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_tables_stay_aligned_with_wide_characters(seeded: Run, clock: Clock) -> None:
    seeded.ok("source", "add", "新华社", "--reliability", "0.6")
    lines = [s for s in seeded.ok("source", "list").splitlines() if s.split()[0] in
             ("新华社", "Reuters")]  # fmt: skip
    starts = {_columns(line[: line.index(line.split()[1])]) for line in lines}
    assert len(lines) == 2 and starts == {33}, lines  # the reliability column, for both
    clock.now = parse_time("2025-10-20T12:00:00Z")
    seeded.ok("evidence", "add", "--question", "state", "--lr", "2", "--source", "新华社",
              "--published", "2025-10-19", "--title", "俄罗斯表示愿意在现有战线停火" * 3,
              "--report-id", "xinhua-1")  # fmt: skip
    seeded.ok("evidence", "add", "--question", "state", "--lr", "0.5", "--source", "Reuters",
              "--published", "2025-10-19", "--title", "Kremlin rules out a ceasefire",
              "--report-id", "reuters-1")  # fmt: skip
    table = seeded.ok("show", "state").split("  evidence:\n")[1].splitlines()
    assert table[0].split() == ["published", "step", "without", "it", "source", "report", "title"]
    report_at = {_columns(row[: row.index(rid)]) for row in table[1:]
                 for rid in ("xinhua-1", "reuters-1") if rid in row}  # fmt: skip
    assert len(report_at) == 1, table
    xinhua = next(row for row in table if "xinhua-1" in row)
    title = xinhua.split("xinhua-1")[1].strip()
    assert title.endswith("…") and _columns(title) <= 48  # cut to the column, not mid-width


def test_evidence_list_edit_and_the_origin_note(seeded: Run, clock: Clock) -> None:
    clock.now = parse_time("2025-10-20T12:00:00Z")
    first = evidence(seeded, "--question", "state", "--lr", "2", "--source", "Reuters",
                     "--published", "2025-10-19", "--title", "Kremlin open to a freeze",
                     "--origin", "Kremlin insiders, 19 Oct 2025")  # fmt: skip
    out = seeded.ok("evidence", "add", "--question", "state", "--lr", "2", "--source",
                    "NBC News", "--published", "2025-10-19T18:00Z", "--title", "Freeze talk",
                    "--origin", "kremlin insider")  # fmt: skip
    second = out.split()[2].rstrip(",")
    assert out.splitlines()[1] == (
        "note: origin 'kremlin insider' is new; already logged: 'Kremlin insiders, 19 Oct 2025'."
        f" If it is one of them, make it count once: forecast evidence edit-report {second}"
        " --origin ... --reason ..."
    )
    err = seeded.fails("evidence", "add", "--question", "state", "--lr", "2", "--source",
                       "Reuters", "--published", "2025-10-20", "--title",
                       "Kremlin open to a freeze!")  # fmt: skip
    assert err == (
        f"error: report {first['report']} looks like this one ('Kremlin open to a freeze', "
        "Reuters, published 2025-10-19, same source): assess that report instead, or log this "
        "one anyway (force) if it is another report\n"
    )
    seeded.ok("evidence", "edit-report", second, "--origin", "Kremlin insiders 2025-10-19",
              "--reason", "same people")  # fmt: skip
    rows = seeded.json("evidence", "list", "--question", "state")
    assert [(r["report"], r["status"], r["echoes"]) for r in rows] == [  # type: ignore[index]
        (second, "counts", [first["report"]]),
        (first["report"], "counts", [second]),
    ]
    table = seeded.ok("evidence", "list").splitlines()
    assert table[0].split() == [
        "published", "assessment", "question", "analyst", "status", "origin", "title"
    ]
    assert sum("counts (echo x2)" in line for line in table) == 2
    assert seeded.fails("evidence", "edit-report", second, "--reason", "x") == (
        f"error: report '{second}' already reads so: give a new title, summary, URL or origin\n"
    )
