"""Question: its trajectory, the reports that moved it, and what it would be without each."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import streamlit as st

from dashboards import asof, charts, components, frames, state, trust
from dashboards.text import clip, day, md, moment, pct, pts
from forecast import kinds, recalibrated
from forecast.api import QuestionState
from forecast.domain import ForecastError, Question, Status

POOLED = ""  # the analyst picker's value for "every analyst, pooled"
READER = "report_pick"  # session_state key of the report reader's picker


def _marker_help(q: Question) -> str:
    several = " A number above a mark counts the reports of that day."
    if kinds.has_options(q):
        return "Each triangle on the top edge is a day's reports." + several
    if kinds.has_ladder(q):
        return (
            "Each dot is a day's reports, where they left the probability on the line of the "
            "nearest deadline still open. Between reports the probability decays: silence is "
            "evidence. Dashed lines mark the deadlines." + several
        )
    return "Each dot is a day's reports, where they left the probability." + several


def _picked_on_chart() -> None:
    """A click on a report marker opens that report in the reader below the chart."""
    chosen = st.session_state["trajectory"].selection.get(charts.REPORT_SELECTION) or []
    if chosen and chosen[0].get("report"):
        st.session_state[READER] = chosen[0]["report"]


def _header(s: QuestionState) -> None:
    q = s.question
    st.header(md(q.title), anchor=False)
    facts = [q.kind.value, s.status_label, f"opened {day(q.opened)}", f"id {q.id}"]
    if q.tags:
        facts.append("tags: " + ", ".join(q.tags))
    st.caption(md(" · ".join(facts)))
    if s.status is not Status.OPEN and s.resolution is not None:
        st.success(
            f"{md(s.status.value.capitalize())}: **{md(s.resolution.outcome)}** on "
            f"{day(s.resolution.resolved_on)}.",
            icon=":material/task_alt:",
        )
        if s.resolution.note:
            st.text(s.resolution.note)
    elif s.awaiting_resolution:
        passed = "last deadline" if kinds.has_ladder(q) else "close date"
        st.warning(
            md(f"Past its {passed} ({day(q.close)}) and not resolved: awaiting resolution."),
            icon=":material/schedule:",
        )
        st.page_link(
            "views/resolve.py",
            label="Resolve it",
            query_params={"q": q.id},
            icon=":material/task_alt:",
        )
    if q.created_at is not None and q.created_at > s.as_of:
        st.info(f"This question was created on {day(q.created_at)}, after the as-of date.")


def _days_left(deadline: datetime, s: QuestionState) -> str:
    # "By D" includes all of day D: on the deadline day itself, 0 days are left.
    left = (deadline.date() - s.as_of.date()).days
    return f"{left} days left" if left >= 0 else "passed"


def _metrics(s: QuestionState) -> None:
    """The headline first (the engine's: an event question's first deadline still open),
    then, for an event question, each later rung of its ladder."""
    q, tr = s.question, s.trajectory
    week = max(0, len(tr.probability) - 1 - frames.CHANGE_DAYS)
    if q.closes is not None:
        st.caption(md(f"Closes {day(q.closes)}: {_days_left(q.closes, s)}."))
    if kinds.has_options(q):
        labels = list(q.option_names)
        now, then = np.asarray(tr.final), np.asarray(tr.probability[week])
    elif kinds.has_ladder(q):
        k = s.headline.column
        ladder = s.deadline_probabilities()  # every rung, as the engine states it
        later = range(k + 1, len(ladder))
        labels = [
            f"P(by {day(d)}) · {_days_left(d, s)}"
            for d, _ in [ladder[k], *(ladder[i] for i in later)]
        ]
        now = np.array([float(s.probability), *(ladder[i][1] for i in later)])
        then = np.array([float(tr.probability[week]), *(tr.ladder[week, i] for i in later)])
    else:
        labels, now, then = ["P(yes)"], np.atleast_1d(tr.final), np.atleast_1d(tr.probability[week])
    cols = st.columns(len(labels) + 1)
    for col, label, p, p0 in zip(cols, labels, now, then, strict=False):
        col.metric(
            md(label),
            pct(float(p)),
            pts(float(p - p0)) + " in 7 days",
            delta_color="off" if abs(p - p0) < frames.MOVE_TOLERANCE else "normal",
        )
    cols[-1].metric("Reports", len(s.contributions), help="Reports counted as of this date.")
    if kinds.has_ladder(q):
        k = s.headline.column
        passed = [day(d) for d in q.deadlines[:k]]
        if passed:
            st.caption(md(f"Passed without the event: by {', by '.join(passed)}."))
    if s.alone is not None:
        value = kinds.rules(q).value(q, s.alone.final)
        alone = (
            ", ".join(f"{k} {pct(v)}" for k, v in value.items())
            if isinstance(value, dict)
            else pct(float(value))
        )
        st.caption(
            md(
                f"Linked to {', '.join(s.linked_to)}: these forecasts carry what its links "
                f"bring (see Scenario). On its own evidence it would read {alone}."
            )
        )


def _band(s: QuestionState, analyst: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The learned fit's credible band of the trajectory shown, if there is one to draw."""
    if s.learned is None:
        return None
    if kinds.has_options(s.question):
        st.caption("No credible band for a choice question: bands cover binary and event ones.")
        return None
    try:
        with st.spinner("Computing the credible band from the fit's draws…"):
            b = state.band(s.question.id, asof.current(), analyst)
    except ForecastError as exc:
        st.warning(md(f"No credible band: {exc}"), icon=":material/warning:")
        return None
    days = len(s.trajectory.probability)
    if len(b.low) != days:  # both run to min(as-of, resolution): this would be a bug
        st.warning(
            f"No credible band: it has {len(b.low)} days and the trajectory {days:d}.",
            icon=":material/warning:",
        )
        return None
    return b.low, b.high


def _recalibrated(s: QuestionState, analyst: str | None) -> None:
    """The team's recalibrated forecast (or the analyst's) beside the stated one, when one
    is saved and the walk-forward check showed it helps (``forecast.recalibrated.beside``)."""
    saved = state.saved_recalibration().saved
    stated = s if not trust.on() else state.state(s.question.id, asof.current(), analyst)
    found = recalibrated.beside(stated, saved, analyst=analyst)
    if found is None or not found["offered"]:
        return
    groups = ", ".join([
        f"author {found['author']}",
        *(f"tag {t}" for t in found["tags"]),
        *(f"analyst {a} {w:.0%}" for a, w in found["analysts"].items()),
    ])  # fmt: skip
    b = found["band"]
    band = "" if b is None else f"; {pct(b['prob'], 0)} band {pct(b['low'])} to {pct(b['high'])}"
    st.caption(  # md: user text (author, tags) through md(); band and figures are ours
        f"Recalibrated by the team's track record: **{pct(found['probability'])}** "
        f"(stated {pct(found['stated'])}{band}; log-odds x {found['slope']:.2f} "
        f"{found['shift']:+.2f} for {md(groups)}). Learned from the questions resolved by "
        f"{md(found['fitted_at'][:10])}; it helped walk-forward: {md(found['reason'])}."
    )


def _trajectory(s: QuestionState, analyst: str | None) -> None:
    st.subheader("Trajectory", anchor=False)
    band = _band(s, analyst)
    label = ""
    if band is not None and s.learned is not None:
        fitted = day(s.learned.fitted_at)
        label = f"{pct(state.BAND, 0)} credible band from the learned fit of {fitted}"
    st.altair_chart(
        charts.trajectory(s, band=band, band_label=label),
        key="trajectory",
        on_select=_picked_on_chart,
        selection_mode=charts.REPORT_SELECTION,
        width="stretch",
    )
    note = _marker_help(s.question) + " Hover for the judgements; click to read the first below."
    if band is not None:
        # The band follows the headline: an event's is P(by the first deadline still open
        # on each day), as the line it shades.
        what = "P(by the first deadline still open)" if kinds.has_ladder(s.question) else "P(yes)"
        note += (
            f" Shaded: the {label}, for {what}: the middle {pct(state.BAND, 0)} of the "
            "trajectories given by the fit's posterior draws of reliabilities, analyst "
            "calibration and decay."
        )
    st.caption(note)  # md: built above from fixed text, dates and percentages


def _when(s: QuestionState) -> None:
    """Event questions: when it will happen (the engine's date distribution)."""
    if not kinds.has_ladder(s.question):
        return
    st.subheader("When", anchor=False)
    if s.status is not Status.OPEN:
        st.caption("Resolved: the date distribution is no longer a forecast.")
        return
    summary = frames.when_summary(s)
    if frames.when(s).empty:
        st.caption(md(" ".join(summary)))
        return
    st.altair_chart(charts.when(s), key="when", width="stretch")
    left, right = st.columns(2)
    left.markdown(md(" · ".join(summary[:2])))
    right.markdown(md(" · ".join(summary[2:])))
    st.caption(
        f"Each bar: the probability that the event first happens that day, given that it "
        f"has not by {day(s.as_of)}. Dashed lines mark the deadlines."
    )


def _reader(s: QuestionState) -> None:
    st.subheader("Read a report", anchor=False)
    ids = [c.report_id for c in s.contributions]
    if not ids:
        st.caption("No report bears on this question yet.")
        return
    if st.session_state.get(READER) not in ids:
        st.session_state[READER] = ids[-1]
    reports = s.reports
    rid = st.selectbox(
        "Report",
        ids,
        key=READER,
        format_func=lambda r: (
            f"{day(reports[r].published)} · {reports[r].source} · {clip(reports[r].title or r, 80)}"
        ),
    )
    report = reports[rid]
    with st.container(border=True):
        st.text(report.title or report.id)
        source = s.sources.get(report.source)
        rel = f" (reliability {source.reliability:g})" if source else ""
        st.caption(
            md(
                f"{report.source}{rel} · published {moment(report.published)} · "
                f"logged {moment(report.logged_at)} by {report.logged_by or '?'}"
            )
        )
        if report.origin:
            st.caption("Origin (reports sharing it count as one claim):")
            st.text(report.origin)
        if report.summary:
            st.text(report.summary)
        if report.url.startswith(("http://", "https://")):
            st.link_button("Open the original", report.url, icon=":material/open_in_new:")
        elif report.url:
            st.text(report.url)
    judged = [a for a in s.assessments if a.report_id == rid]
    components.table(
        [
            {
                "analyst": a.analyst,
                "judgement": frames.judgement(a),
                "rationale": a.rationale,
                "logged": moment(a.logged_at),
            }
            for a in judged
        ],
        hide_index=True,
        width="stretch",
    )
    st.page_link(
        "views/evidence.py", label="Correct, retract or judge this report again",
        query_params={"report": rid}, icon=":material/fact_check:",
    )  # fmt: skip


def _explanation(s: QuestionState) -> None:
    st.subheader("What moved it", anchor=False)
    if not s.contributions:
        st.caption(
            "Nothing yet: the probability is the prior"
            + (", decaying in silence." if kinds.has_ladder(s.question) else ".")
        )
        return
    if kinds.has_options(s.question):
        st.altair_chart(charts.choice_steps(s), width="stretch")
        st.caption("Each report's step on each option, in probability points.")
    else:
        st.altair_chart(charts.waterfall(s), width="stretch")
        st.caption(
            "Bars: each report's step (and, for event questions, the decay while "
            "nothing happened). Diamonds: where the question would stand now "
            "without that report."
        )


def _evidence_table(s: QuestionState) -> None:
    table = frames.contributions(s)
    if table.empty:
        return
    without = [column for column in table.columns if column.startswith("without")]
    config = components.percent(
        table, without, reliability=st.column_config.NumberColumn(format="%.2f")
    )
    for column in table.columns:
        if column.startswith("step"):
            config[column] = st.column_config.NumberColumn(column, format="%+.1f pts")
    components.table(table, hide_index=True, width="stretch", column_config=config)
    gone = dict.fromkeys(
        f"~~{md(e.report.title or e.report.id)}~~ ({md(e.status)}: "
        f"{md(e.assessment.reason if e.status == 'retracted' else e.report.reason)})"
        for e in state.evidence(s.question.id, asof.current())
        if e.status != "counts"
    )  # one line per report and reason, however many analysts had judged it
    if gone:
        st.caption("No longer counted, as of this date: " + "; ".join(gone))  # md: each part
    st.page_link(
        "views/evidence.py",
        label="Correct, retract or judge this evidence again",
        query_params={"q": s.question.id},
        icon=":material/fact_check:",
    )


def _question_text(s: QuestionState) -> None:
    q = s.question
    left, right = st.columns(2)
    with left:
        st.subheader("Resolution criteria", anchor=False)
        st.text(q.criteria or "None given.")
    with right:
        st.subheader("Prior", anchor=False)
        if kinds.has_options(q):
            st.markdown(md(", ".join(f"{name} {pct(p)}" for name, p in q.options)))
        elif kinds.has_ladder(q):
            st.markdown(
                md(
                    f"P(by {day(q.deadlines[0])}) = {pct(q.prior)}, "
                    f"hazard shape alpha = {q.shape:g}"
                )
            )
        else:
            st.markdown(md(f"P(yes) = {pct(q.prior)}"))
        st.text(q.prior_note or "No note on the reference class.")
    if q.version > 1:
        st.caption(
            md(f"Version {q.version} of this question, edited {day(q.edited_at)} by "
               f"{q.edited_by}: {q.reason}")
        )  # fmt: skip
    st.page_link(
        "views/edit_question.py", label="Edit this question (a new version)",
        query_params={"q": q.id}, icon=":material/edit_note:",
    )  # fmt: skip


st.title("Question")
asof.banner()
trust.banner()
questions = state.questions()
if not questions:
    st.info("No questions yet: add one on the New question page.")
    st.stop()
titles = {q.id: q.title for q in questions}
pick, who = st.columns([4, 1])
with pick:
    qid = components.question_picker(titles, key="question")
people = sorted({a.analyst for a in state.assessments_of(qid)})
analyst = who.selectbox(
    "Judgements of", [POOLED, *people], format_func=lambda a: a or "every analyst (pooled)"
)
# shown only if it takes over half a second (a linked question, first opened: each of its
# group's reports' move and part, one inference each)
with st.spinner("Computing the forecast and each report's part…", show_time=True):
    current = state.state(qid, asof.current(), analyst or None, learned=trust.on())
_header(current)
_metrics(current)
_recalibrated(current, analyst or None)
_trajectory(current, analyst or None)
_when(current)
explain, read = st.columns([3, 2])
with explain:
    _explanation(current)
with read:
    _reader(current)
_evidence_table(current)
_question_text(current)
