"""Charts of the reports and the track-record page, as Altair specifications and PNG images.

Altair and vl-convert are imported inside the functions: the CLI's quick commands never
load them.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import altair as alt

    from forecast.reports.weekly import Mover
    from forecast.scoring import CalibrationTable

WIDTH, HEIGHT = 360, 300  # pixels of the plotting area
PNG_SCALE = 2  # render at twice the size so the image stays sharp when printed


def calibration(table: CalibrationTable) -> alt.LayerChart:
    """Reliability diagram: each bin's mean forecast against how often it happened.

    Points are sized by the number of forecasts in the bin, with the bin's binomial
    interval as a vertical bar; the diagonal is perfect calibration.
    """
    import altair as alt

    rows = [
        {
            "forecast": float(table.mean_forecast[i]),
            "observed": float(table.observed_frequency[i]),
            "low": float(table.ci_lower[i]),
            "high": float(table.ci_upper[i]),
            "count": int(table.count[i]),
        }
        for i in range(len(table.count))
    ]
    unit = alt.Scale(domain=[0, 1])
    x = alt.X("forecast:Q", scale=unit, title="forecast probability (bin mean)")
    diagonal = (
        alt.Chart(
            alt.Data(
                values=[{"forecast": 0.0, "observed": 0.0}, {"forecast": 1.0, "observed": 1.0}]
            )
        )
        .mark_line(color="#999999", strokeDash=[4, 4])
        .encode(x=x, y=alt.Y("observed:Q", scale=unit))
    )
    data = alt.Data(values=rows)
    bars = alt.Chart(data).mark_rule(color="#4c78a8").encode(x=x, y="low:Q", y2="high:Q")
    dots = (
        alt.Chart(data)
        .mark_circle(color="#4c78a8", opacity=0.9)
        .encode(
            x=x,
            y=alt.Y("observed:Q", scale=unit, title="observed frequency"),
            size=alt.Size(
                "count:Q", title="forecasts", legend=alt.Legend(format="d", tickMinStep=1)
            ),
            tooltip=["forecast:Q", "observed:Q", "count:Q"],
        )
    )
    title = f"Calibration ({table.interval:.0%} intervals)"
    return (diagonal + bars + dots).properties(width=WIDTH, height=HEIGHT, title=title)


def movers(rows: Sequence[Mover]) -> alt.LayerChart:
    """Start and end of the week of each mover (choice questions: the option that moved most)."""
    import altair as alt

    data = alt.Data(values=[_mover_row(m) for m in rows])
    y = alt.Y("question:N", sort=None, title=None)
    x = alt.X("before:Q", scale=alt.Scale(domain=[0, 1]), title="probability, start to end of week")
    rule = alt.Chart(data).mark_rule(color="#999999", strokeWidth=2).encode(y=y, x=x, x2="after:Q")
    start = alt.Chart(data).mark_point(color="#999999", filled=True).encode(y=y, x=x)
    end = (
        alt.Chart(data)
        .mark_point(filled=True, size=80)
        .encode(
            y=y,
            x="after:Q",
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(domain=["up", "down"], range=["#2f7d32", "#c62828"]),
                legend=None,
            ),
        )
    )
    height = max(60, 28 * len(rows))
    return (rule + start + end).properties(width=WIDTH, height=height, title="Biggest movers")


def _mover_row(m: Mover) -> dict[str, Any]:
    label, before, after = m.question.id, m.before, m.after
    if isinstance(before, dict) and isinstance(after, dict) and m.option is not None:
        label, before, after = f"{label}: {m.option}", before[m.option], after[m.option]
    assert isinstance(before, float) and isinstance(after, float)
    return {
        "question": label,
        "before": before,
        "after": after,
        "direction": "up" if after >= before else "down",
    }


def png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG image (vl-convert: no browser needed)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart.to_json(), scale=PNG_SCALE))


def data_uri(image: bytes) -> str:
    """A PNG as a ``data:`` URI, so an HTML page carries its images inside."""
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")
