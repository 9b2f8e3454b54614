"""Is a fit usable? Convergence diagnostics, LOO against the defaults, a calibration plot.

A fit passes when every parameter has R-hat below 1.01 and bulk and tail ESS above 400,
and no transition diverged. A fit that does not pass is saved and reported as failed; the
engine refuses it (``forecast.learning.fits.FailedFit``) instead of using it silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pymc as pm
import xarray as xr

from forecast.learning.data import TrainingData
from forecast.learning.model import DERIVED, PARAMETERS, default_point, point_log_likelihood

THRESHOLDS: dict[str, float] = {
    "max_r_hat": 1.01,  # Vehtari et al. (2021): below 1.01 for every parameter
    "min_ess_bulk": 400,  # 100 per chain for 4 chains
    "min_ess_tail": 400,
    "max_divergences": 0,
}

BAD_PARETO_K = 0.7
"""Above this, a question's PSIS-LOO estimate is unreliable (ArviZ's warning level)."""


@dataclass(frozen=True)
class Diagnostics:
    """The worst convergence figures over every parameter, and what failed."""

    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    chains: int
    draws: int
    worst: str  # the parameter with the highest R-hat
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "problems": list(self.problems), "passed": self.passed}


def diagnose(idata: xr.DataTree, var_names: Sequence[str] = (*PARAMETERS, *DERIVED)) -> Diagnostics:
    """R-hat, bulk and tail ESS of every parameter, and the number of divergences."""
    table = az.summary(idata, var_names=list(var_names), kind="diagnostics")
    stats = idata["sample_stats"]
    divergences = int(stats["diverging"].sum())
    figures = {
        "max_r_hat": float(table["r_hat"].max()),
        "min_ess_bulk": float(table["ess_bulk"].min()),
        "min_ess_tail": float(table["ess_tail"].min()),
    }
    return Diagnostics(
        **figures,
        divergences=divergences,
        chains=int(stats.sizes["chain"]),
        draws=int(stats.sizes["draw"]),
        worst=str(table["r_hat"].idxmax()),
        problems=_problems(figures, divergences),
    )


def _problems(figures: dict[str, float], divergences: int) -> tuple[str, ...]:
    out = []
    if not figures["max_r_hat"] < THRESHOLDS["max_r_hat"]:  # `not <` also catches NaN
        out.append(f"R-hat {figures['max_r_hat']:.3f} >= {THRESHOLDS['max_r_hat']}")
    for key, name in (("min_ess_bulk", "bulk ESS"), ("min_ess_tail", "tail ESS")):
        if not figures[key] > THRESHOLDS[key]:
            out.append(f"{name} {figures[key]:.0f} <= {THRESHOLDS[key]:.0f}")
    if divergences > THRESHOLDS["max_divergences"]:
        out.append(f"{divergences} divergent transitions")
    return tuple(out)


# --------------------------------------------------------------------------- LOO


@dataclass(frozen=True)
class LooComparison:
    """PSIS-LOO of the learned model against the unlearned defaults, per question.

    Each question's log-likelihood is the weighted sum of its states' (its daily log
    scores, averaged) plus, for event questions, its event date's. The defaults have no
    free parameters, so their LOO is their plain log-likelihood. ``difference > 0``
    favours learning; ``se_difference`` is the standard error of the paired difference (as
    in ``arviz.compare``).
    """

    elpd_learned: float
    se_learned: float
    p_loo: float
    elpd_defaults: float
    difference: float
    se_difference: float
    max_pareto_k: float
    bad_pareto_k: int
    questions: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def loo_against_defaults(model: pm.Model, idata: xr.DataTree, data: TrainingData) -> LooComparison:
    """Compare the fit with the defaults (stated reliabilities, k = 1, alpha = 1)."""
    ll = pm.compute_log_likelihood(
        idata, model=model, extend_inferencedata=False, progressbar=False
    )  # a Dataset of pointwise log-likelihoods, one variable per observed variable
    per_question = _per_question(ll["outcome"].values, ll["event_day"].values, data)
    loo = az.loo(_log_likelihood_tree(idata, per_question), var_name="question", pointwise=True)
    defaults = point_log_likelihood(model, default_point(model))
    default_i = _per_question(defaults["outcome"], defaults["event_day"], data)
    diff_i = np.asarray(loo.elpd_i) - default_i
    k = np.asarray(loo.pareto_k)
    return LooComparison(
        elpd_learned=float(loo.elpd),
        se_learned=float(loo.se),
        p_loo=float(loo.p),
        elpd_defaults=float(default_i.sum()),
        difference=float(diff_i.sum()),
        se_difference=float(math.sqrt(diff_i.size) * diff_i.std(ddof=1))
        if diff_i.size > 1
        else math.nan,
        max_pareto_k=float(k.max()),
        bad_pareto_k=int((k > BAD_PARETO_K).sum()),
        questions=int(diff_i.size),
    )


def _per_question(outcome: np.ndarray, event_day: np.ndarray, data: TrainingData) -> np.ndarray:
    """Each question's log-likelihood (last axis: questions) from its states' (last axis:
    states) and its event-date terms'."""
    states = np.asarray(outcome, dtype=float)
    flat = states.reshape(-1, states.shape[-1])  # (draws, states)
    total = np.zeros((len(flat), len(data.questions)))
    np.add.at(total.T, data.state_question, flat.T)
    np.add.at(total.T, data.event_question, np.reshape(event_day, (len(flat), -1)).T)
    return total.reshape(*states.shape[:-1], len(data.questions))


def _log_likelihood_tree(idata: xr.DataTree, values: np.ndarray) -> xr.DataTree:
    """The posterior (LOO's relative efficiency needs it) with per-question log-likelihoods."""
    da = xr.DataArray(values, dims=("chain", "draw", "question"))
    return xr.DataTree.from_dict(
        {
            "posterior": idata["posterior"].to_dataset(),
            "log_likelihood": xr.Dataset({"question": da}),
        }
    )


# --------------------------------------------------------------------------- plot


def calibration_plot(model: pm.Model, idata: xr.DataTree, path: Path) -> Path:
    """Save ArviZ's PAVA calibration plot of the resolved outcomes to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    pp = pm.sample_posterior_predictive(
        idata, var_names=["outcome"], model=model, progressbar=False, random_seed=0
    )
    collection = az.plot_ppc_pava(pp, var_names=["outcome"])
    path.parent.mkdir(parents=True, exist_ok=True)
    collection.savefig(path)
    import matplotlib.pyplot as plt

    plt.close("all")
    return path
