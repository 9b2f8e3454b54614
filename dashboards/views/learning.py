"""Learned from the track record: the fit in use, its sources and analysts, with intervals."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import components, state
from dashboards.text import md
from forecast.learning import fits, team


def _estimates(table: dict[str, fits.Estimate], label: str, **extra: dict[str, float]) -> Any:
    rows = [
        {
            label: name,
            "mean": e.mean,
            "low": e.low,
            "high": e.high,
            **{k: v.get(name) for k, v in extra.items()},
        }
        for name, e in table.items()
    ]
    return pd.DataFrame(rows)


def _interval_chart(frame: pd.DataFrame, label: str, title: str, ref: str | None) -> alt.Chart:
    """Posterior mean (point) and 90% interval (bar) per row; ``ref`` marks a reference."""
    base = alt.Chart(frame).encode(y=alt.Y(f"{label}:N", sort=None, title=None))
    bars = base.mark_rule(strokeWidth=3, opacity=0.5).encode(
        x=alt.X("low:Q", title=title), x2="high:Q"
    )
    chart = bars + base.mark_point(filled=True, size=60).encode(
        x="mean:Q",
        tooltip=[
            label,
            alt.Tooltip("mean:Q", format=".2f"),
            alt.Tooltip("low:Q", format=".2f"),
            alt.Tooltip("high:Q", format=".2f"),
        ],
    )
    if ref is not None:
        chart += base.mark_tick(color="gray", thickness=2).encode(x=f"{ref}:Q")
    return chart.properties(height=max(120, 22 * len(frame)))


def _check(
    check: dict[str, Any],
    label: str,
    about: str,
    questions: str,
    which: str,
    verdicts: tuple[str, str],
) -> None:
    """A saved check of learning against the stated values (the holdout rule): its gain,
    the gain's 90% interval, the questions, and the verdict as saved."""
    gain, low, high = check.get("gain"), check.get("gain_low"), check.get("gain_high")
    left, middle, right = st.columns(3)
    shown = "not judged" if gain is None else f"{gain:+.4f} nats/question"
    left.metric(label, shown, help=about)  # md: the callers' fixed words
    middle.metric(
        "90% interval",
        "not judged" if low is None or high is None else f"{low:+.4f} to {high:+.4f}",
        help="Paired bootstrap over the questions scored.",
    )
    right.metric("Questions", questions, help=which)  # md: the callers' fixed words
    say = st.success if check.get("offered") else st.warning
    verdict = verdicts[0] if check.get("offered") else verdicts[1]
    say(f"{verdict}: {md(str(check.get('reason', '')))}")


def _team() -> None:
    """The team's recalibration: how to read the team's stated forecasts, its walk-forward
    check, and its lines by class, author, tag and assessing analyst."""
    st.subheader("Team recalibration")
    st.caption(
        "How to read the team's stated forecasts: a shift and a slope on their log-odds, by "
        "kind, by the question's author, its tags and the analysts who assessed it (partially "
        "pooled), learned from the "
        "scored days of resolved questions. Refitted walk-forward every "
        f"{team.REFIT_DAYS:d} days on what had "
        "resolved; shown beside the stated forecast only when those fits scored the later "
        "questions better (the lower end of the 90% interval of the gain above 0)."
    )
    found = state.saved_recalibration()
    if found.saved is None:
        st.info(
            md(str(found.problem)) if found.problem is not None
            else "None saved: `forecast calibrate` fits it once questions are scored."
        )  # fmt: skip
        return
    c = found.saved.content
    check, walk = c["holdout"], c.get("walk_forward", {})
    _check(
        check,
        "Walk-forward gain",
        "The mean over the questions scored walk-forward of the recalibrated daily log score "
        "minus the stated one.",
        f"{check.get('test_questions', '?')} scored, {walk.get('fits', '?')} fits",
        "Scored walk-forward (none learned by the fit that scored it), and the fits made.",
        ("shown beside the stated forecasts", "not shown"),
    )
    rows = [
        {"group": f"{name} questions", "slope": v["slope"], "shift": v["shift"],
         "questions": v["questions"]}
        for name, v in c["classes"].items()
    ] + [
        {"group": f"{factor} {name}", "slope": v["slope"], "shift": v["shift"],
         "questions": v["questions"]}
        for factor in team.FACTORS for name, v in c[factor].items()
    ]  # fmt: skip
    st.caption(
        "Kinds: the slope and shift themselves; authors, tags and analysts: what each adds (a "
        "question with two tags gets half of each, an analyst their share of its assessments). "
        "A slope below 1 says the stated forecasts are too "
        "bold; above 1, too timid."
    )
    components.table(pd.DataFrame(rows), hide_index=True, width="stretch")


st.title("Learned from the track record")
fit = state.saved_fit()  # cached: re-read when the fit file or the database changes
learned = fit.saved
if learned is None:
    st.info(
        f"{md(str(fit.problem))}. The fit learns source reliabilities, analyst calibration "
        "and event decay from resolved questions."
    )
    _team()
    st.stop()

c = learned.counts
st.caption(
    f"Fit of {learned.fitted_at:%Y-%m-%d %H:%M} UTC, model version "
    f"{md(str(learned.model_version))}: {md(str(c.get('questions', '?')))} resolved questions, "
    f"{md(str(c.get('assessments', '?')))} assessments."
)
d = learned.diagnostics
if learned.passed:
    st.success(
        f"Diagnostics passed (R-hat at most {d['max_r_hat']:.3f}, bulk ESS at least "
        f"{d['min_ess_bulk']:.0f}, {d['divergences']:d} divergences)"
        + (
            ": forecasts may use it (turn on **Use learned trust** in the sidebar)."
            if fit.usable is not None
            else "."
        )
    )
else:
    st.error(
        "This fit failed its diagnostics and is not used: "
        + md("; ".join(d.get("problems", [])))
        + ". Run `forecast calibrate --draws 2000`."
    )
if isinstance(fit.problem, fits.StaleFit | fits.NoGain):
    st.warning(md(str(fit.problem)))

st.subheader("Out of time")
st.caption(
    "The check that decides whether forecasts may use a fit: the model fitted again on the "
    "questions resolved by a cut, then the questions resolved after it scored day by day "
    "(log score, as the track record scores) with what it learned and with the stated "
    "values. A fit is offered only when the lower end of the gain's 90% interval is above 0."
)
check = learned.holdout
if check is None:
    st.info("This fit was saved before the out-of-time check: run `forecast calibrate` again.")
else:
    cut = str(check.get("cut") or "")[:10] or "none"
    _check(
        check,
        "Gain over the stated values",
        "The mean, over the questions resolved after the cut, of the learned daily log score "
        "minus the stated one: above 0, the fit forecast them better.",
        f"{check.get('train_questions', '?')} by {cut}, {check.get('test_questions', '?')} after",
        "Resolved by the cut (what the check's fit learned from), and after it (scored).",
        ("offered to forecasts", "not offered to forecasts"),
    )

st.subheader("Sources")
st.caption(
    "Reliability: posterior mean (point) and 90% interval (bar); the gray tick is the "
    "stated reliability."
)
sources = _estimates(learned.reliability, "source", stated=learned.stated, type=learned.source_type)
st.altair_chart(_interval_chart(sources, "source", "reliability", "stated"), width="stretch")
components.table(sources, hide_index=True, width="stretch")

st.subheader("Analysts")
st.caption(
    "Calibration exponent k on stated likelihood ratios (LR ** k): above 1, the analyst "
    "is too timid; below 1, too bold. The gray tick is 1, well calibrated."
)
analysts = _estimates(learned.exponents, "analyst").assign(calibrated=1.0)
st.altair_chart(_interval_chart(analysts, "analyst", "exponent k", "calibrated"), width="stretch")
components.table(analysts.drop(columns="calibrated"), hide_index=True, width="stretch")

st.subheader("Event decay")
a = learned.alpha
st.write(
    f"Gamma shape alpha of the event rate: {a.mean:.2f} (90% interval {a.low:.2f} to "
    f"{a.high:.2f}); the default is 1."
)
if learned.loo:
    st.write(
        f"Leave-one-out against the unlearned defaults: {learned.loo['difference']:+.1f} "
        f"(standard error {learned.loo['se_difference']:.1f}) in expected log "
        "predictive density; positive favours the fit."
    )

_team()
