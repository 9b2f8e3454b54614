"""CLI commands: learning from the track record (``calibrate``) and the backtest.

Each command parses, calls one library function and prints. PyMC, ArviZ and pandas are
imported inside the commands, so ``forecast show`` and the rest of the CLI never load them.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from pathlib import Path
from typing import Any, Literal, cast

import click

from forecast.cli.common import print_json, tracker
from forecast.domain import ForecastError
from forecast.learning import fits
from forecast.learning.sampling import SamplerSettings
from forecast.terminal import cell, pad, say

DEFAULT = SamplerSettings()  # the options' defaults are the library's


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(calibrate)
    root.add_command(backtest)


def _quiet_pymc() -> None:
    """PyMC logs "Sampling: [...]" lines; a command's output is its own."""
    logging.getLogger("pymc").setLevel(logging.WARNING)


def _positive(value: int, what: str) -> int:
    if value < 1:
        raise ForecastError(f"{what} must be at least 1, not {value}")
    return value


# --------------------------------------------------------------------------- calibrate


SEED = click.IntRange(0, 2**32 - 1)  # what numpy and PyMC accept as a seed


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the saved summary as JSON.")
@click.option(
    "--sampler",
    type=click.Choice(["nutpie", "pymc"]),
    default=DEFAULT.sampler,
    show_default=True,
    help="NUTS implementation.",
)
@click.option(
    "--draws", type=int, default=DEFAULT.draws, show_default=True, help="Draws per chain."
)
@click.option(
    "--tune", type=int, default=DEFAULT.tune, show_default=True, help="Tuning draws per chain."
)
@click.option("--seed", type=SEED, help="Random seed (default: fresh).")
@click.option(
    "--fits",
    "fits_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the fit (default: $FORECAST_FITS, else fits/ in the data home).",
)
@click.pass_context
def calibrate(
    ctx: click.Context,
    as_json: bool,
    sampler: str,
    draws: int,
    tune: int,
    seed: int | None,
    fits_dir: Path | None,
) -> None:
    """Learn source reliabilities, analyst calibration and event decay from resolved
    questions; save the fit (with its diagnostics) for the forecasts to use. It is offered
    to forecasts only if a fit at an earlier cut beat the stated values on the questions
    resolved after it."""
    from forecast.learning.calibrate import calibrate as run

    _quiet_pymc()
    settings = SamplerSettings(
        cast(Literal["nutpie", "pymc"], sampler),
        _positive(draws, "--draws"),
        _positive(tune, "--tune"),
        seed=seed,
        # a progress bar is for a person at a terminal; a cron log gets the stage lines
        progressbar=sys.stderr.isatty(),
    )
    started = time.perf_counter()

    def stage(line: str) -> None:
        say(f"[{time.perf_counter() - started:6.1f} s] {line}", err=True)

    opened = tracker(ctx)
    result = run(opened.history(None), settings=settings, directory=fits_dir, stage=stage)
    stage("saved")
    team = _team(opened, settings, fits_dir, stage)
    if as_json:
        print_json({"path": str(result.path), **result.summary, "team_recalibration": team})
        return
    _print_calibration(result.path, result.summary)
    _print_team(team)


def _team(opened: Any, settings: Any, fits_dir: Path | None, stage: Any) -> dict[str, Any]:
    """The team's recalibration, fitted and saved; or why there is none."""
    from forecast import recalibrated

    try:
        path, content = recalibrated.calibrate(opened, settings, directory=fits_dir, stage=stage)
    except ForecastError as why:
        stage(f"team recalibration skipped: {why}")
        return {"skipped": str(why)}
    stage("team recalibration saved")
    return {"path": str(path), **content}


def _print_team(t: dict[str, Any]) -> None:
    from forecast.learning.team import FACTORS
    if "skipped" in t:
        say(f"team recalibration: none ({t['skipped']})")
        return
    h = t["holdout"]
    say(f"team recalibration saved to {t['path']}")
    offered = "shown beside the stated forecasts" if h["offered"] else "NOT shown"
    say(f"  {offered}, walk-forward: {h['reason']}")
    say("  log-odds of the stated forecast (slope x, then shift +):")
    for name, c in t["classes"].items():
        say(f"    {pad(name + ' questions', 28)} x {c['slope']:.2f} {c['shift']:+.2f}")
    for factor in FACTORS:
        for name, g in t[factor].items():
            say(f"    {pad(cell(f'{factor} {name}'), 28)} slope {g['slope']:+.2f}, shift "
                f"{g['shift']:+.2f} ({g['questions']} questions)")  # fmt: skip


def _print_calibration(path: Path, s: dict[str, Any]) -> None:
    d, c, loo = s["diagnostics"], s["counts"], s["loo"]
    verdict = "passed" if d["passed"] else "FAILED (not used): " + "; ".join(d["problems"])
    say(f"fit saved to {path}")
    say(
        f"  {c['questions']} resolved questions, {c['assessments']} assessments, "
        f"{c['sources']} sources, {c['analysts']} analysts"
    )
    say(
        f"  diagnostics {verdict} (worst R-hat {d['max_r_hat']:.3f}, lowest bulk ESS "
        f"{d['min_ess_bulk']:.0f}, lowest tail ESS {d['min_ess_tail']:.0f}, "
        f"{d['divergences']} divergences)"
    )
    h = s["holdout"]
    if not fits.beats_stated(h):
        offered = "NOT offered to forecasts, out of time"
    elif not d["passed"]:
        offered = "NOT offered to forecasts (its diagnostics failed); out of time it would be"
    else:
        offered = "offered to forecasts, out of time"
    say(f"  {offered}: {h['reason']}")
    say(
        f"  LOO vs the stated values (in-sample, a diagnostic): {loo['difference']:+.1f} "
        f"(SE {loo['se_difference']:.1f}) in log predictive density"
    )
    a = s["alpha"]
    say(f"  event decay alpha {a['mean']:.2f} [{a['low']:.2f}, {a['high']:.2f}]")
    say("  reliability (stated -> learned [90% interval]):")
    for name, r in s["reliability"].items():
        say(
            f"    {pad(cell(name), 28)} {s['stated'][name]:.2f} -> {r['mean']:.2f} "
            f"[{r['low']:.2f}, {r['high']:.2f}]"
        )
    say("  analyst calibration exponent k on stated LRs (1 = calibrated):")
    for name, k in s["exponents"].items():
        say(f"    {pad(cell(name), 28)} {k['mean']:.2f} [{k['low']:.2f}, {k['high']:.2f}]")


# --------------------------------------------------------------------------- backtest


@click.command()
@click.argument("questions_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("series_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--cadence", type=int, default=7, show_default=True, help="Days between the team's updates."
)
@click.option(
    "--refit",
    "refit_days",
    type=int,
    default=60,
    show_default=True,
    help="Days between walk-forward refits of the learned model.",
)
@click.option(
    "--seed", type=SEED, default=0, show_default=True, help="Seed of the sampler and the bootstrap."
)
@click.option("--json", "as_json", is_flag=True)
def backtest(
    questions_file: Path, series_file: Path, cadence: int, refit_days: int, seed: int, as_json: bool
) -> None:
    """Replay real forecast series (ForecastBench format) as a team that updates every
    CADENCE days, and score holding, decay, the learned model and the daily series."""
    from forecast import backtest as bt

    _quiet_pymc()
    bar: list[Any] = []

    def progress(done: int, total: int) -> None:
        if as_json:
            return
        if not bar:
            bar.append(click.progressbar(length=total, label="fitting", file=sys.stderr))
            bar[0].__enter__()
        bar[0].update(1)
        if done == total:
            bar[0].__exit__(None, None, None)

    report = bt.run(
        questions_file,
        series_file,
        cadence=_positive(cadence, "--cadence"),
        refit_days=_positive(refit_days, "--refit"),
        seed=seed,
        progress=progress,
    )
    if as_json:
        print_json(_finite(report.to_json()))
        return
    say(bt.table(report))


def _finite(data: Any) -> Any:
    """JSON has no NaN: turn any into null."""
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite(v) for v in data]
    return None if isinstance(data, float) and math.isnan(data) else data
