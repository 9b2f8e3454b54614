"""Altair specifications of the dashboard's charts (no Streamlit, no database)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from dashboards import frames
from forecast import kinds
from forecast.api import QuestionState
from forecast.domain import Kind

REPORT_SELECTION = "report"  # name of the click selection on the report markers
HEIGHT = 340
PROBABILITY = alt.Scale(domain=[0, 1])
PERCENT = alt.Axis(format="%")
EVENT_TIME = "Event time (published, UTC)"
UP, DOWN, TOTAL, SILENCE = "#2e7d32", "#c62828", "#546e7a", "#b0bec5"
BAND = "#78909c"  # the shaded credible band
DAY_MS = 86_400_000
# One date format on every time axis, and never a tick between two days (Vega's default
# mixes "Oct 19" with "12 PM").
DATES = alt.Axis(format="%Y-%m-%d", labelAngle=0, tickMinStep=DAY_MS, labelOverlap=True)


def trajectory(
    state: QuestionState,
    *,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
    band_label: str = "credible band",
) -> alt.LayerChart:
    """The question's probability on event time, with a clickable marker per report.

    Binary: one line. Event: one line per deadline of the ladder, and a rule at each
    deadline. Choice: stacked areas, one per option. ``band=(lower, upper)``, one value per
    day of the trajectory (a credible band from the learned model), draws a shaded area
    behind the headline line (an event question's first open deadline), named ``band_label``
    in the legend.
    """
    kind = state.question.kind
    data = frames.trajectory(state)
    x = alt.X("date:T", title=EVENT_TIME, axis=DATES, scale=alt.Scale(domain=_span(data)))
    layers: list[alt.Chart] = []
    if band is not None:
        layers.append(_band(state, band, band_label))
    # Without decay the probability only moves when a report arrives: draw steps.
    step = "linear" if kinds.has_ladder(kind) else "step-after"
    layers.append(_areas(data, step, x) if kinds.has_options(kind) else _lines(data, step, x))
    if kinds.has_ladder(kind):
        layers += _deadline_rules(state, x)
    marks = frames.markers(state)
    layers.append(_counts(marks))
    layers.append(_markers(marks, kind))
    # Drag or scroll along the time axis to see past the days drawn (a deadline ahead).
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return alt.layer(*layers).add_params(zoom).properties(height=HEIGHT)


def _span(data: pd.DataFrame) -> list[str]:
    """The days the trajectory is drawn for, from the question's opening to its last day
    (the as-of date, or the resolution): deadlines further ahead do not squeeze it."""
    first, last = data["date"].min(), data["date"].max()
    last = max(last, first + pd.Timedelta(days=1))
    return [first.isoformat(), (last + pd.Timedelta(hours=12)).isoformat()]


def _lines(data: pd.DataFrame, interpolate: str, x: alt.X) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2, interpolate=interpolate, clip=True)
        .encode(
            x=x,
            y=alt.Y("p:Q", title="Probability", scale=PROBABILITY, axis=PERCENT),
            color=alt.Color(
                "series:N",
                title=None,
                sort=alt.EncodingSortField("order"),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="day"),
                alt.Tooltip("series:N", title="of"),
                alt.Tooltip("p:Q", title="probability", format=".1%"),
            ],
        )
    )


def _areas(data: pd.DataFrame, interpolate: str, x: alt.X) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_area(opacity=0.85, interpolate=interpolate, clip=True)
        .encode(
            x=x,
            y=alt.Y("p:Q", title="Probability", stack="zero", scale=PROBABILITY, axis=PERCENT),
            color=alt.Color(
                "series:N",
                title=None,
                sort=alt.EncodingSortField("order"),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("date:T", title="day"),
                alt.Tooltip("series:N", title="option"),
                alt.Tooltip("p:Q", title="probability", format=".1%"),
            ],
        )
    )


def _band(
    state: QuestionState, band: tuple[Sequence[float], Sequence[float]], label: str
) -> alt.Chart:
    q = state.question
    if kinds.has_options(q):
        raise ValueError(f"question {q.id}: a credible band needs a binary or event question")
    lower, upper = (np.asarray(b, dtype=float) for b in band)
    days = len(state.trajectory.probability)
    if not len(lower) == len(upper) == days:
        raise ValueError(
            f"question {q.id}: the band has {len(lower)} and {len(upper)} days, "
            f"the trajectory {days}: they must be computed to the same end"
        )
    n = frames.plotted_days(state)
    data = pd.DataFrame(
        {"date": frames.naive_days(state, n), "lower": lower[:n], "upper": upper[:n], "band": label}
    )
    return (
        alt.Chart(data)
        .mark_area(opacity=0.25, interpolate="linear" if kinds.has_ladder(q) else "step-after")
        .encode(
            x="date:T",
            y=alt.Y("lower:Q", scale=PROBABILITY),
            y2="upper:Q",
            fill=alt.Fill(
                "band:N",
                title=None,
                scale=alt.Scale(range=[BAND]),
                legend=alt.Legend(orient="top", labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="day"),
                alt.Tooltip("lower:Q", title="credible band from", format=".1%"),
                alt.Tooltip("upper:Q", title="to", format=".1%"),
            ],
        )
    )


def _deadline_rules(state: QuestionState, x: alt.X) -> list[alt.Chart]:
    """A dashed rule at each deadline, labelled at the top (clipped when it lies beyond the
    days drawn: drag the axis to reach it)."""
    data = pd.DataFrame(
        {
            "date": pd.to_datetime([d.replace(tzinfo=None) for d in state.question.deadlines]),
            "deadline": [f"by {d.date().isoformat()}" for d in state.question.deadlines],
        }
    )
    rules = (
        alt.Chart(data)
        .mark_rule(strokeDash=[4, 4], color=TOTAL, clip=True)
        .encode(x=x, tooltip=[alt.Tooltip("deadline:N", title="deadline")])
    )
    labels = (
        alt.Chart(data)
        .mark_text(align="right", baseline="top", dx=-4, dy=4, color=TOTAL, clip=True)
        .encode(x=x, y=alt.value(0), text="deadline:N")
    )
    return [rules, labels]


def _counts(data: pd.DataFrame) -> alt.Chart:
    """The number of reports above a marker that stands for several (same day)."""
    return (
        alt.Chart(data[data["reports"] > 1])
        .mark_text(dy=-13, fontSize=11, fontWeight="bold", color="#37474f")
        .encode(x="date:T", y=alt.Y("p:Q", scale=PROBABILITY), text="label:N")
    )


def _markers(data: pd.DataFrame, kind: Kind) -> alt.Chart:
    pick = alt.selection_point(name=REPORT_SELECTION, fields=["report"], on="click")
    return (
        alt.Chart(data)
        .mark_point(
            filled=True,
            stroke="white",
            strokeWidth=1,
            shape="triangle-down" if kinds.has_options(kind) else "circle",
        )
        .encode(
            x="date:T",
            y=alt.Y("p:Q", scale=PROBABILITY),
            color=alt.value("#37474f"),
            opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.55)),
            size=alt.Size("reports:Q", legend=None, scale=alt.Scale(range=[90, 240])),
            tooltip=[
                alt.Tooltip("reports:Q", title="reports that day"),
                alt.Tooltip("title:N", title="report"),
                alt.Tooltip("source:N", title="source"),
                alt.Tooltip("published:N", title="published"),
                alt.Tooltip("lr:N", title="judged"),
                alt.Tooltip("step:N", title="moved"),
                alt.Tooltip("rationale:N", title="rationale"),
            ],
        )
        .add_params(pick)
    )


def when(state: QuestionState) -> alt.LayerChart:
    """Event questions: P(the event first happens on each day), from the state's day to the
    last deadline (``QuestionState.when``), with a dashed rule at each deadline still ahead."""
    data = frames.when(state)
    bars = (
        alt.Chart(data)
        .mark_bar(color=TOTAL)
        .encode(
            x=alt.X("date:T", title="Day it first happens (UTC)", axis=DATES),
            y=alt.Y("p:Q", title="Probability that day", axis=alt.Axis(format=".1%")),
            tooltip=[
                alt.Tooltip("date:T", title="day"),
                alt.Tooltip("p:Q", title="first happens that day", format=".2%"),
                alt.Tooltip("cumulative:Q", title="by that day", format=".1%"),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if not data.empty:
        start = data["date"].iloc[0]
        ahead = [d for d in state.question.deadlines if d.replace(tzinfo=None) >= start]
        rules = pd.DataFrame(
            {
                "date": pd.to_datetime([d.replace(tzinfo=None) for d in ahead]),
                "deadline": [d.date().isoformat() for d in ahead],
            }
        )
        layers.append(
            alt.Chart(rules)
            .mark_rule(strokeDash=[4, 4], color=DOWN)
            .encode(x="date:T", tooltip=[alt.Tooltip("deadline:N", title="deadline")])
        )
    return alt.layer(*layers).properties(height=HEIGHT // 2 + 60)


def waterfall(state: QuestionState) -> alt.LayerChart:
    """From the prior to now, top to bottom: a bar per report (and per silence), each
    labelled, and a diamond "without it" on the same probability axis.

    Each diamond is where the question would stand now had that report been left out.
    """
    data = frames.waterfall(state)
    data["direction"] = np.select(
        [data["kind"].isin(["prior", "now"]), data["kind"] == "silence", data["points"] >= 0],
        ["total", "silence (time passing)", "up"],
        "down",
    )
    data["shown"] = "without it (now)"
    y = alt.Y(
        "label:N",
        title=None,
        sort=alt.EncodingSortField("position"),
        axis=alt.Axis(labelLimit=300, labelOverlap=False),  # every step named
    )
    colours = alt.Scale(
        domain=["total", "up", "down", "silence (time passing)"],
        range=[TOTAL, UP, DOWN, SILENCE],
    )
    bars = (
        alt.Chart(data)
        .mark_bar(height={"band": 0.7})
        .encode(
            y=y,
            x=alt.X("start:Q", title="Probability", axis=PERCENT, scale=PROBABILITY),
            x2="end:Q",
            color=alt.Color(
                "direction:N", title=None, scale=colours, legend=alt.Legend(orient="top")
            ),
            tooltip=[
                alt.Tooltip("label:N", title="step"),
                alt.Tooltip("title:N", title="report"),
                alt.Tooltip("start:Q", title="from", format=".1%"),
                alt.Tooltip("end:Q", title="to", format=".1%"),
                alt.Tooltip("step:Q", title="step (points)", format="+.1f"),
                alt.Tooltip("without:Q", title="now, without this report", format=".1%"),
            ],
        )
    )
    without = (
        alt.Chart(data[data["kind"] == "report"])
        .mark_point(shape="diamond", filled=True, size=70)
        .encode(
            y=y,
            x=alt.X("without:Q"),
            shape=alt.Shape(
                "shown:N", title=None, scale=alt.Scale(range=["diamond"]),
                legend=alt.Legend(orient="top"),
            ),
            color=alt.value("#f9a825"),
            size=alt.Size("reports:Q", legend=None, scale=alt.Scale(range=[90, 240])),
            tooltip=[
                alt.Tooltip("reports:Q", title="reports that day"),
                alt.Tooltip("title:N", title="report"),
                alt.Tooltip("without:Q", title="now, without this report", format=".1%"),
            ],
        )
    )  # fmt: skip
    return alt.layer(bars, without).properties(height=alt.Step(24))  # a row per step


def choice_steps(state: QuestionState) -> alt.Chart:
    """Choice questions: each report's step on each option, in probability points."""
    data = frames.choice_steps(state)
    data["step"] = 100 * data["points"]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "label:N",
                title=None,
                sort=alt.EncodingSortField("position"),
                axis=alt.Axis(labelAngle=-40, labelLimit=160),
            ),
            xOffset=alt.XOffset("option:N", sort=list(state.question.option_names)),
            y=alt.Y("step:Q", title="Step (probability points)"),
            color=alt.Color(
                "option:N",
                title=None,
                sort=list(state.question.option_names),
                legend=alt.Legend(orient="top"),
            ),
            size=alt.Size("reports:Q", legend=None, scale=alt.Scale(range=[90, 240])),
            tooltip=[
                alt.Tooltip("reports:Q", title="reports that day"),
                alt.Tooltip("title:N", title="report"),
                alt.Tooltip("option:N"),
                alt.Tooltip("step:Q", title="points", format="+.1f"),
                alt.Tooltip("without:Q", title="now, without this report", format=".1%"),
            ],
        )
        .properties(height=HEIGHT)
    )
