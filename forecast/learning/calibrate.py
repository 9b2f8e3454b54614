"""One calibration run: track record -> model -> posterior -> diagnostics -> out-of-time
check -> saved fit.

This is what ``forecast calibrate`` calls. The data is checked before PyMC is loaded (seconds
saved when there is nothing to learn from), each stage is reported as it starts, and a fit
that diverges is sampled once more with smaller steps before it is judged. The fit is saved
even when it fails its diagnostics, marked as failed, so that the failure can be read and
shown; the engine refuses to use it (``forecast.learning.fits.FailedFit``). It is offered to
forecasts only if the same model, fitted on what was known at an earlier cut, forecast the
questions resolved after the cut clearly better than the stated values
(``forecast.learning.holdout``); otherwise it is saved, marked, and refused
(``forecast.learning.fits.NoGain``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.clock import iso
from forecast.domain import ForecastError, History
from forecast.learning import MODEL_VERSION, fits, holdout
from forecast.learning.data import data_hash, training_data
from forecast.learning.sampling import RETRY_ACCEPT, SamplerSettings

PLOT_NAME = f"{fits.NAME}-calibration.png"


@dataclass(frozen=True)
class Calibration:
    """The outcome of a run: where the fit went, and its summary (as saved)."""

    path: Path
    summary: dict[str, Any]

    @property
    def passed(self) -> bool:
        return bool(self.summary["diagnostics"]["passed"])


def calibrate(
    history: History,
    *,
    settings: SamplerSettings | None = None,
    priors: Mapping[str, float] | None = None,
    directory: str | Path | None = None,
    now: datetime | None = None,
    plot: bool = True,
    stage: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit the layer-3 model to every resolved question of ``history`` and save the fit.

    ``stage`` is told each stage as it starts (a line for a person or a cron log).
    """
    say = stage or (lambda _line: None)
    data = training_data(history)
    if not len(data.questions):
        raise ForecastError(
            "no binary or event question has resolved yes or no yet: "
            "there is no track record to learn from"
        )
    say(
        f"track record: {len(data.questions)} resolved questions, {data.n_assessments} "
        f"assessments, "
        f"{len(data.sources)} sources, {len(data.analysts)} analysts"
    )
    from forecast.learning import diagnostics  # PyMC and ArviZ: only once there is data
    from forecast.learning.model import build_model, merged_priors

    settings = settings or SamplerSettings()
    say("building the model (PyMC)")
    model = build_model(data, priors)
    idata, checks, settings = _sample(model, settings, say)
    say("comparing with the stated values (leave-one-out, a diagnostic)")
    loo = diagnostics.loo_against_defaults(model, idata, data)
    verdict = holdout.check(model, history, data, settings, stage=say)
    summary = {
        "model_version": MODEL_VERSION,
        "data_hash": data_hash(data),
        "fitted_at": iso((now or datetime.now(UTC)).replace(microsecond=0)),
        "sampler": settings.to_json(),
        "priors": merged_priors(priors),
        "counts": {
            "questions": len(data.questions),
            "assessments": data.n_assessments,
            "sources": len(data.sources),
            "analysts": len(data.analysts),
            "event_dates": len(data.event_day),
            "states": len(data.state_weight),
        },
        "diagnostics": checks.to_json(),
        "loo": loo.to_json(),
        "holdout": verdict.to_json(),
        **fits.summarize(
            idata, data.sources, data.analysts, data.source_types, data.stated, data.source_type
        ),
    }
    if plot:
        say("drawing the calibration plot")
        folder = fits.fits_dir(directory)
        diagnostics.calibration_plot(model, idata, folder / PLOT_NAME)
        summary["calibration_plot"] = PLOT_NAME
    return Calibration(fits.save(idata, summary, directory), summary)


def _sample(model: Any, settings: SamplerSettings, say: Callable[[str], None]) -> Any:
    """Sample and judge the fit; after divergent transitions (and no other problem), once
    more at :data:`RETRY_ACCEPT`. Returns the posterior, its checks and the settings used."""
    from forecast.learning import diagnostics
    from forecast.learning.model import fit

    say(f"sampling: {settings.chains} chains of {settings.tune} tuning and {settings.draws} "
        f"draws ({settings.sampler}; compiling first)")  # fmt: skip
    idata = fit(model, settings)
    checks = diagnostics.diagnose(idata)
    only_divergent = checks.divergences and all("divergent" in p for p in checks.problems)
    if not (only_divergent and settings.target_accept < RETRY_ACCEPT):
        return idata, checks, settings
    say(
        f"{checks.divergences} divergent transitions: sampling again with smaller steps "
        f"(target acceptance {RETRY_ACCEPT:g})"
    )
    settings = replace(settings, target_accept=RETRY_ACCEPT)
    idata = fit(model, settings)
    checks = diagnostics.diagnose(idata)
    if checks.divergences:
        checks = replace(
            checks,
            problems=(
                *checks.problems,
                f"still divergent at target acceptance {settings.target_accept:g}: try more "
                "tuning steps (--tune 2000); if they stay, the track record does not pin "
                "down the model yet (see the calibration plot)",
            ),
        )
    return idata, checks, settings
