"""One calibration run: track record -> model -> posterior -> diagnostics -> saved fit.

This is what ``forecast calibrate`` calls. The fit is saved even when it fails its
diagnostics, marked as failed, so that the failure can be read and shown; the engine
refuses to use it (``forecast.learning.fits.FailedFit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.clock import iso
from forecast.domain import ForecastError, History
from forecast.learning import MODEL_VERSION, diagnostics, fits
from forecast.learning.data import data_hash, training_data
from forecast.learning.model import SamplerSettings, build_model, fit, merged_priors

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
) -> Calibration:
    """Fit the layer-3 model to every resolved question of ``history`` and save the fit."""
    data = training_data(history)
    if not len(data.questions):
        raise ForecastError(
            "no binary or event question has resolved yes or no yet: "
            "there is no track record to learn from"
        )
    settings = settings or SamplerSettings()
    model = build_model(data, priors)
    idata = fit(model, settings)
    checks = diagnostics.diagnose(idata)
    loo = diagnostics.loo_against_defaults(model, idata, data)
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
            "event_times": len(data.event_day),
        },
        "diagnostics": checks.to_json(),
        "loo": loo.to_json(),
        **fits.summarize(
            idata, data.sources, data.analysts, data.source_types, data.stated, data.source_type
        ),
    }
    if plot:
        folder = fits.fits_dir(directory)
        diagnostics.calibration_plot(model, idata, folder / PLOT_NAME)
        summary["calibration_plot"] = PLOT_NAME
    return Calibration(fits.save(idata, summary, directory), summary)
