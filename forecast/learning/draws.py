"""Posterior draws of the learned parameters, as plain numpy arrays (no PyMC, no ArviZ)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

STATED_FLOOR = 0.01  # as in forecast.learning.data: no logit at exactly 0 or 1


@dataclass(frozen=True, eq=False)
class Draws:
    """Posterior draws of everything the engine uses, flattened over chains."""

    sources: tuple[str, ...]
    reliability: np.ndarray  # (draws, sources)
    analysts: tuple[str, ...]
    exponent: np.ndarray  # (draws, analysts)
    alpha: np.ndarray  # (draws,)
    types: tuple[str, ...]
    type_shift: np.ndarray  # (draws, types)
    source_spread: np.ndarray  # (draws,)
    exponent_spread: np.ndarray  # (draws,)

    @classmethod
    def from_posterior(cls, post: Any) -> Draws:
        """From an xarray posterior with chain and draw dimensions."""

        def flat(name: str) -> np.ndarray:
            values = np.asarray(post[name].values, dtype=float)
            return values.reshape(values.shape[0] * values.shape[1], *values.shape[2:])

        def labels(name: str, dim: str) -> tuple[str, ...]:
            return tuple(str(v) for v in post[name][dim].values)

        return cls(
            sources=labels("reliability", "source"),
            reliability=flat("reliability"),
            analysts=labels("exponent", "analyst"),
            exponent=flat("exponent"),
            alpha=flat("alpha"),
            types=labels("type_shift", "type"),
            type_shift=flat("type_shift"),
            source_spread=flat("source_spread"),
            exponent_spread=flat("exponent_spread"),
        )

    @property
    def count(self) -> int:
        return len(self.alpha)

    def thinned(self, n: int, seed: int = 0) -> Draws:
        """``n`` draws picked at random without replacement (all of them if fewer)."""
        if n >= self.count:
            return self
        pick = np.sort(np.random.default_rng(seed).choice(self.count, n, replace=False))
        arrays = {k: v[pick] for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        return Draws(**{**vars(self), **arrays})

    def reliability_of(
        self,
        names: Sequence[str],
        stated: Mapping[str, float],
        types: Mapping[str, str],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """(draws, len(names)) reliabilities; a source the fit never saw is drawn from the
        population: its stated reliability, moved by its type's shift (if that type was
        learned) and by a fresh source deviation."""
        known = {s: i for i, s in enumerate(self.sources)}
        shift = {t: i for i, t in enumerate(self.types)}
        out = np.empty((self.count, len(names)))
        for j, name in enumerate(names):
            if name in known:
                out[:, j] = self.reliability[:, known[name]]
                continue
            r = min(max(stated.get(name, 0.5), STATED_FLOOR), 1 - STATED_FLOOR)
            t = shift.get(types.get(name, ""))
            moved = self.type_shift[:, t] if t is not None else 0.0
            z = rng.standard_normal(self.count)
            out[:, j] = expit(math.log(r / (1 - r)) + moved + self.source_spread * z)
        return out

    def exponent_of(self, names: Sequence[str], rng: np.random.Generator) -> np.ndarray:
        """(draws, len(names)) exponents; an analyst the fit never saw gets
        ``exp(spread * z)`` with a fresh ``z``, the population of analysts."""
        known = {a: i for i, a in enumerate(self.analysts)}
        out = np.empty((self.count, len(names)))
        for j, name in enumerate(names):
            out[:, j] = (
                self.exponent[:, known[name]]
                if name in known
                else np.exp(self.exponent_spread * rng.standard_normal(self.count))
            )
        return out


def expit(x: np.ndarray | float) -> np.ndarray:
    """The logistic function, stable at both ends."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x)))
