"""Saved fits: the posterior on disk, and the checks that keep a wrong one out of use.

A fit is two files in the fits folder (``$FORECAST_FITS``, else ``fits/`` in the data home:
see :mod:`forecast.settings`), saved as one unit: ``track-record.nc`` (the posterior draws,
netCDF through ArviZ/xarray) and ``track-record.json`` (posterior means and 90% intervals,
diagnostics, LOO, the out-of-time check, the model version, the hash of the data it learned
from, and the SHA-256 of the draws it belongs to). The JSON is written last, so an
interrupted save never pairs new draws with an old summary. Point forecasts read only the
JSON, so using a fit never imports PyMC; credible bands read the draws.

Loading refuses, with a named error that says what to run:

- ``NoFit``: nothing saved yet;
- ``FitMismatch``: saved by another model version;
- ``StaleFit``: the track record changed since (new resolutions or evidence);
- ``FailedFit``: the fit failed its diagnostics (unless ``allow_failed``);
- ``NoGain``: the fit is not offered to forecasts: the out-of-time check (a fit at an
  earlier cut, scored day by day on the questions resolved after it:
  ``forecast.learning.holdout``) did not show it clearly better than the stated values, could
  not judge it (too few later questions), or the fit was saved before that check existed.
  It stays saved and readable (``allow_failed``), and is never offered for forecasts.

Leave-one-out (PSIS-LOO on the fit's own track record) stays in the summary as a diagnostic:
it does not decide (on simulated teams it offered fits that lost on later questions).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from forecast import settings
from forecast.clock import parse_time
from forecast.domain import ForecastError, History
from forecast.learning import MODEL_VERSION
from forecast.learning.draws import Draws

NAME = "track-record"
INTERVAL = 0.9  # central posterior interval reported for every learned quantity
RUN = "run `forecast calibrate`"


class NoFit(ForecastError):
    """No fit has been saved where we looked."""


class FitMismatch(ForecastError):
    """The saved fit was made by another version of the model."""


class StaleFit(ForecastError):
    """The saved fit learned from a track record that has changed since."""


class FailedFit(ForecastError):
    """The saved fit failed its convergence diagnostics."""


class NoGain(ForecastError):
    """The saved fit is not offered to forecasts: its out-of-time check did not show it
    clearly better than the stated values, could not judge it, or was never run."""


def beats_stated(holdout: Mapping[str, Any] | None) -> bool:
    """Whether a saved fit may be offered to forecasts: the verdict of its out-of-time
    check (``holdout`` in the summary, decided by ``forecast.learning.holdout.decide``).
    A fit saved without one is not offered."""
    return isinstance(holdout, Mapping) and holdout.get("offered") is True


def not_offered(holdout: Mapping[str, Any] | None, path: Path) -> str:
    """Why the fit at ``path`` is not offered, in one line that says what to do."""
    if not isinstance(holdout, Mapping):
        return (
            f"the fit at {path} was saved without the out-of-time check (a fit at an earlier "
            f"cut, scored on the questions resolved after it), so it is not offered to "
            f"forecasts: re{RUN}"
        )
    reason = holdout.get("reason") or "its out-of-time check did not favour it"
    return (
        f"the fit at {path} is not offered to forecasts: {reason}; forecasts keep the stated values"
    )


def fits_dir(directory: str | Path | None = None) -> Path:
    """Where fits live: ``directory``, else ``$FORECAST_FITS``, else ``fits/`` in the data home."""
    return Path(directory).expanduser().absolute() if directory else settings.fits_dir()


# --------------------------------------------------------------------------- what is loaded


@dataclass(frozen=True)
class Estimate:
    """A posterior mean with its central 90% interval."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, draws: np.ndarray) -> Estimate:
        tail = (1 - INTERVAL) / 2
        low, high = np.quantile(draws, [tail, 1 - tail])
        return cls(float(np.mean(draws)), float(low), float(high))


@dataclass(frozen=True)
class Learned:
    """What a saved fit says, as the engine uses it (posterior means) and shows it."""

    path: Path
    fitted_at: datetime
    model_version: str
    data_hash: str
    reliability: dict[str, Estimate]  # per source seen in the track record
    stated: dict[str, float]
    source_type: dict[str, str]
    exponents: dict[str, Estimate]  # per analyst
    alpha: Estimate
    type_shift: dict[str, Estimate]  # logit-scale bias of each source type
    diagnostics: dict[str, Any]
    loo: dict[str, Any] | None  # a diagnostic: PSIS-LOO against the stated values
    counts: dict[str, int]
    holdout: dict[str, Any] | None = None  # the out-of-time check (None: saved before it)

    @property
    def passed(self) -> bool:
        return bool(self.diagnostics.get("passed"))

    @property
    def beats_stated(self) -> bool:
        """Whether its out-of-time check showed learning clearly better than the stated
        values (the unlearned defaults): forecasts are offered a fit only then."""
        return beats_stated(self.holdout)

    def reliabilities(
        self, stated: Mapping[str, float], types: Mapping[str, str] | None = None
    ) -> dict[str, float]:
        """A reliability for every source of ``stated`` (name -> stated reliability).

        Sources in the fit get their posterior mean. Others keep their stated reliability,
        moved on the logit scale by the mean learned bias of their type (if it was learned).
        """
        return learned_reliabilities(
            {name: e.mean for name, e in self.reliability.items()},
            {kind: e.mean for kind, e in self.type_shift.items()},
            stated,
            types,
        )

    def exponent_means(self) -> dict[str, float]:
        """Posterior-mean calibration exponent per analyst (others: 1, by omission)."""
        return {name: e.mean for name, e in self.exponents.items()}


def learned_reliabilities(
    learned: Mapping[str, float],
    type_shift: Mapping[str, float],
    stated: Mapping[str, float],
    types: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """What a fit gives each source of ``stated`` (name -> stated reliability): its learned
    reliability if the fit saw it, else its stated one moved on the logit scale by its
    type's learned shift (if the fit learned one). One rule for forecasts
    (``Learned.reliabilities``) and for the out-of-time check (``forecast.learning.holdout``).
    """
    out = {}
    for name, r in stated.items():
        if name in learned:
            out[name] = learned[name]
            continue
        shift = type_shift.get((types or {}).get(name, ""))
        out[name] = r if shift is None or r in (0.0, 1.0) else _shifted(r, shift)
    return out


def _shifted(r: float, shift: float) -> float:
    x = math.log(r / (1 - r)) + shift
    return 1.0 / (1.0 + math.exp(-x))


# --------------------------------------------------------------------------- save


def summarize(
    idata: Any,
    sources: tuple[str, ...],
    analysts: tuple[str, ...],
    types: tuple[str, ...],
    stated: np.ndarray,
    source_type: np.ndarray,
) -> dict[str, Any]:
    """Means and intervals of the learned quantities, keyed by label (JSON-ready)."""
    post = idata["posterior"]

    def flat(name: str) -> np.ndarray:
        values = np.asarray(post[name].values)
        return values.reshape(values.shape[0] * values.shape[1], -1)

    def table(name: str, labels: tuple[str, ...]) -> dict[str, dict[str, float]]:
        values = flat(name)
        return {label: vars(Estimate.of(values[:, i])) for i, label in enumerate(labels)}

    return {
        "reliability": table("reliability", sources),
        "stated": dict(zip(sources, map(float, stated), strict=True)),
        "source_type": {s: types[int(t)] for s, t in zip(sources, source_type, strict=True)},
        "exponents": table("exponent", analysts),
        "alpha": vars(Estimate.of(flat("alpha")[:, 0])),
        "type_shift": table("type_shift", types),
    }


def save(idata: Any, summary: Mapping[str, Any], directory: str | Path | None = None) -> Path:
    """Write the draws and the summary (each atomically); return the summary's path."""
    folder = fits_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    kept = idata.copy()
    for group in list(kept.children):
        if group not in ("posterior", "sample_stats"):
            del kept[group]  # warm-up draws and the rest: not needed to use the fit
    for group in ("posterior", "sample_stats"):
        kept[group].attrs.update(
            model_version=summary["model_version"], data_hash=summary["data_hash"]
        )
    _atomic(folder / f"{NAME}.nc", lambda tmp: kept.to_netcdf(tmp))
    # The summary is the fit's manifest, written last: it names the draws it belongs to by
    # their hash, so a save killed between the two files leaves draws no summary vouches for,
    # and they are refused rather than used with another fit's numbers.
    manifest = {**summary, "draws_sha256": _sha256(folder / f"{NAME}.nc")}
    _atomic(
        folder / f"{NAME}.json",
        lambda tmp: tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8"),
    )
    return folder / f"{NAME}.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- load


def read_summary(directory: str | Path | None = None) -> dict[str, Any]:
    """The saved summary as stored, checked only for existence and model version."""
    path = fits_dir(directory) / f"{NAME}.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoFit(f"no saved fit at {path}: {RUN}") from None
    except (OSError, ValueError) as exc:
        raise NoFit(f"cannot read the fit at {path} ({exc}): {RUN}") from None
    if not isinstance(summary, dict):
        raise NoFit(f"the fit at {path} is damaged (not a JSON object): {RUN}")
    if summary.get("model_version") != MODEL_VERSION:
        raise FitMismatch(
            f"the fit at {path} was made by model version {summary.get('model_version')!r}, "
            f"this is version {MODEL_VERSION!r}: {RUN}"
        )
    return summary


def load_learned(
    directory: str | Path | None = None,
    *,
    history: History | None = None,
    allow_failed: bool = False,
) -> Learned:
    """The saved fit, refused if mismatched, stale (against ``history``) or failed."""
    summary = read_summary(directory)
    path = fits_dir(directory) / f"{NAME}.json"
    learned = _learned(summary, path)  # first: a damaged summary is refused by name
    if history is not None:
        check_current(summary, history, path)
    if not learned.passed and not allow_failed:
        problems = "; ".join(map(str, learned.diagnostics.get("problems", []))) or "unknown"
        raise FailedFit(
            f"the fit at {path} failed its diagnostics ({problems}) and is not "
            f"used: {RUN} --draws 2000"
        )
    if not learned.beats_stated and not allow_failed:
        raise NoGain(not_offered(learned.holdout, path))
    return learned


def check_current(summary: Mapping[str, Any], history: History, path: Path) -> None:
    """Raise ``StaleFit`` unless ``history`` gives the data the fit learned from."""
    from forecast.learning.data import data_hash, training_data

    now = training_data(history)
    if data_hash(now) != summary.get("data_hash"):
        then = summary.get("counts", {})
        raise StaleFit(
            f"the fit at {path} ({summary.get('fitted_at', '?')[:10]}) no longer matches the "
            f"track record (it learned from {then.get('questions', '?')} resolved questions "
            f"and {then.get('assessments', '?')} assessments; there are now "
            f"{len(now.questions)} and {now.n_assessments}, or some changed): {RUN}"
        )


def _learned(summary: Mapping[str, Any], path: Path) -> Learned:
    """The summary as a ``Learned``; a field of the wrong shape is a damaged fit, named."""

    def field(key: str, kind: type | tuple[type, ...]) -> Any:
        value = summary.get(key)
        if not isinstance(value, kind):
            raise NoFit(f"the fit at {path} is damaged ({key!r} is {value!r:.40}): {RUN}")
        return value

    def estimate(key: str, value: Any) -> Estimate:
        numbers = value if isinstance(value, dict) else {}
        parts = [numbers.get(k) for k in ("mean", "low", "high")]
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in parts):
            raise NoFit(f"the fit at {path} is damaged ({key!r} is {value!r:.40}): {RUN}")
        return Estimate(*(float(x) for x in parts if x is not None))

    def estimates(key: str) -> dict[str, Estimate]:
        return {str(k): estimate(f"{key}: {k}", v) for k, v in field(key, dict).items()}

    try:
        fitted_at = parse_time(field("fitted_at", str), "fitted_at")
    except ForecastError:
        raise NoFit(f"the fit at {path} is damaged (its fitted_at is not a time): {RUN}") from None
    return Learned(
        path=path,
        fitted_at=fitted_at,
        model_version=summary["model_version"],
        data_hash=field("data_hash", str),
        reliability=estimates("reliability"),
        stated=dict(field("stated", dict)),
        source_type=dict(field("source_type", dict)),
        exponents=estimates("exponents"),
        alpha=estimate("alpha", summary.get("alpha")),
        type_shift=estimates("type_shift"),
        diagnostics=dict(field("diagnostics", dict)),
        loo=summary.get("loo"),
        counts=dict(field("counts", dict)) if "counts" in summary else {},
        holdout=dict(field("holdout", dict)) if "holdout" in summary else None,
    )


def load_draws(
    directory: str | Path | None = None,
    *,
    history: History | None = None,
    allow_failed: bool = False,
) -> Draws:
    """The saved posterior draws for credible bands, after the same checks as the means."""
    import xarray as xr

    load_learned(directory, history=history, allow_failed=allow_failed)
    path = fits_dir(directory) / f"{NAME}.nc"
    vouched = read_summary(directory).get("draws_sha256")
    try:
        if vouched != _sha256(path):
            raise NoFit(
                f"the draws at {path} do not belong to the saved summary (an interrupted "
                f"save?): {RUN}"
            )
        tree = xr.open_datatree(path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise NoFit(f"cannot read the draws at {path} ({exc}): {RUN}") from None
    with tree:
        post = tree["posterior"].to_dataset().load()
    return Draws.from_posterior(post)
