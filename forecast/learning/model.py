"""The layer-3 model: what the track record says about sources, analysts and decay.

Resolved question i with outcome y_i is learned on its states n (``forecast.learning.data``:
the evidence known on a run of days, or a week of an event question's), each with weight
``w_n`` (its share of the question's days). A state's evidence rows j (the stated log LR
``l_j`` an analyst gave the most reliable member, by stated reliability, of an echo cluster
c, with weight ``v_j = 1 / analysts in c``) give::

    logit r_s  = logit(stated_s) + shift[type(s)] + source_spread * z_s
    k_a        = exp(exponent_spread * u_a)                    (pooled around 1)
    U_c        = prod over the cluster's distinct sources of (1 - r_s)  (layer 1's echo rule)
    term_j     = -v_j sign(l_j) log(U_c + (1 - U_c) exp(-k_a |l_j|))   (layer 1, v2)
    x_n        = base_n + sum of term_j over the state's rows
    log-lik    = sum over states of w_n log P(y_i | x_n)         (a composite likelihood)

with ``base_n`` the prior's log-odds for a binary question and, for an event question's day
``t``, layer 2's decayed prior of "by the primary deadline": ``logit(1 - S(H) / S(t))``, with
``S`` the Lomax survival of shape ``alpha`` whose scale sets ``1 - S(H)`` to the prior.

Each event date (the resolution's) adds layer 2's day mass, ``S(x) - S(x + 1)``, given what
the primary outcome already says (divided by the prior, or by one minus it), and an event
that did not happen by the last of several deadlines adds ``S(last) / S(H)`` (censored).

Reliabilities are centred on what the team states, so a source with little track record
keeps (about) its stated reliability, shifted by what its type's record shows. The point
``shift = 0, z = 0, u = 0, log alpha = 0`` is exactly the unlearned default (stated
reliabilities, k = 1, alpha = 1), which is how LOO compares against it.

Simplifications: a report aimed at a deadline other than the primary one, or around a date,
enters as if it spoke to the primary deadline; each analyst's reading of a cluster is picked
by the stated reliabilities, where layer 1 with learned ones picks by those. Build, fit and
predict are separate; data lives in ``pm.Data`` containers.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast import decay
from forecast.domain import ForecastError
from forecast.learning.data import TrainingData
from forecast.learning.sampling import SamplerSettings as SamplerSettings

DEFAULT_PRIORS: dict[str, float] = {
    # Logit-scale sd of a source type's average bias against the stated reliabilities:
    # 1 lets a type be overrated from 0.8 down to about 0.35 or up to 0.95 at two sd.
    "type_shift_sd": 1.0,
    # Half-normal scale of the source-to-source spread within a type (logit scale).
    "source_spread": 0.5,
    # Half-normal scale of the spread of analysts' log exponents: 0.3 puts nine analysts in
    # ten within a factor 1.6 of well calibrated, without ruling out worse.
    "exponent_spread": 0.3,
    # log alpha ~ Normal(mu, sd): centred on the default alpha = 1 (domain.DEFAULT_ALPHA).
    "log_alpha_mu": 0.0,
    "log_alpha_sd": 1.0,
}

PARAMETERS = (
    "type_shift",
    "source_spread",
    "source_z",
    "exponent_spread",
    "analyst_z",
    "log_alpha",
)
"""The sampled (free) parameters."""

DERIVED = ("reliability", "exponent", "alpha")
"""Deterministic functions of the parameters that the engine uses."""

PredictKind = Literal["probability", "log_odds"]
PREDICT_KINDS: tuple[str, ...] = ("probability", "log_odds")


def merged_priors(priors: Mapping[str, float] | None = None) -> dict[str, float]:
    """The default priors updated with the given ones; unknown names are refused."""
    unknown = sorted(set(priors or {}) - set(DEFAULT_PRIORS))
    if unknown:
        raise ForecastError(
            f"unknown prior setting {unknown[0]!r} (known: {', '.join(DEFAULT_PRIORS)})"
        )
    return {**DEFAULT_PRIORS, **(priors or {})}  # user settings win over the defaults


# --------------------------------------------------------------------------- build


def build_model(data: TrainingData, priors: Mapping[str, float] | None = None) -> pm.Model:
    """The PyMC model of ``data``; new data of the same labels goes in with ``set_data``."""
    p = merged_priors(priors)
    coords = {
        "source": list(data.sources),
        "analyst": list(data.analysts),
        "type": list(data.source_types),
    }
    with pm.Model(coords=coords) as model:
        d = _unpacked({name: pm.Data(name, value) for name, value in containers(data).items()})
        eta = _source_logits(d, p)
        pm.Deterministic("reliability", pm.math.sigmoid(eta), dims="source")
        exponent = _exponents(p)
        log_alpha = pm.Normal("log_alpha", p["log_alpha_mu"], p["log_alpha_sd"])
        alpha = pm.Deterministic("alpha", pt.exp(log_alpha))
        log_odds = pm.Deterministic("log_odds", _log_odds(d, eta, exponent, alpha))
        pm.CustomDist(
            "outcome",
            log_odds,
            d["state_weight"],
            logp=_weighted_bernoulli_logp,
            random=_bernoulli_draws,
            observed=d["state_outcome"],
            shape=d["states"],
        )
        pm.CustomDist(
            "event_day",
            alpha,
            d["event_prior_logit"],
            d["event_horizon"],
            d["event_kind"],
            logp=_event_day_logp,
            observed=d["event_day"],
            shape=d["events"],
        )
    return model


SIZES = ("sources", "states", "decays", "priors", "members", "groups", "rows", "events")
"""The lengths of the model's data: S sources, N states, the event states (whose prior
decays), the distinct priors they decay from, the members of the distinct groups of
sources that clusters hold, those groups, J rows, E event dates."""

FLOATS = (
    ("logit_stated", "sources"),
    ("state_weight", "states"),
    ("state_prior_logit", "states"),
    ("state_outcome", "states"),
    ("decay_share", "decays"),  # the share of the days to the primary deadline gone
    ("decay_neg_log_q0", "decays"),  # -log(1 - prior) = softplus(prior's logit)
    ("prior_neg_log_q0", "priors"),
    ("row_abs_log_lr", "rows"),
    ("row_signed_weight", "rows"),  # -row_weight * sign(log LR)
    ("event_prior_logit", "events"),
    ("event_day", "events"),
    ("event_horizon", "events"),
    ("event_kind", "events"),
)
INTEGERS = (
    ("source_type", "sources"),
    ("decay_state", "decays"),
    ("decay_prior", "decays"),
    ("member_source", "members"),
    ("member_group", "members"),
    ("row_group", "rows"),  # the group of sources of the row's cluster
    ("row_analyst", "rows"),
    ("row_start", "rows"),  # the first state of the cluster's first segment
    ("row_end", "rows"),  # the first state after its last segment's
)


def containers(data: TrainingData) -> dict[str, np.ndarray]:
    """The model's data, packed into two arrays: ``floats`` and ``integers``, one column
    a row, each padded to the longest; the first row of ``integers`` holds the lengths
    (``SIZES``). What does not depend on the parameters is computed here, once.

    Packing matters for speed: nutpie compiles code for every data container, about
    0.35 s each, and the graph runs some 50,000 times a fit, so work done here (and
    integer indices stored as integers, not cast) saves time on every evaluation.
    """
    if np.any(np.diff(data.state_segment) < 0):
        raise ForecastError("the training states are not in segment order")
    # Each segment's states are consecutive, in segment order: a segment's first state is
    # where its clusters' rows start counting (segment G, one past the last: N).
    first_state = np.searchsorted(data.state_segment, np.arange(len(data.segment_question) + 1))
    event = np.flatnonzero(data.state_event == 1)
    neg_log_q0 = decay.softplus(data.state_prior_logit[event])
    # The event states' distinct priors, numbered as they change along the states.
    new_prior = np.diff(neg_log_q0, prepend=np.nan) != 0
    # Clusters holding the same sources have the same unreliability: it is computed once
    # for each distinct group of sources (a few hundred, where clusters are thousands).
    held: list[list[int]] = [[] for _ in range(data.n_clusters)]
    for source, cluster in zip(data.member_source, data.member_cluster, strict=True):
        held[cluster].append(int(source))
    groups: dict[tuple[int, ...], int] = {}
    cluster_group = np.array([groups.setdefault(tuple(sorted(h)), len(groups)) for h in held])
    members = [(source, g) for sources, g in groups.items() for source in sources]
    log_lr = data.row_log_lr
    columns = {
        "logit_stated": np.log(data.stated) - np.log1p(-data.stated),
        "state_weight": data.state_weight,
        "state_prior_logit": data.state_prior_logit,
        "state_outcome": data.outcomes[data.state_question],
        "decay_share": data.state_elapsed[event] / data.state_horizon[event],
        "decay_neg_log_q0": neg_log_q0,
        "prior_neg_log_q0": neg_log_q0[new_prior],
        "row_abs_log_lr": np.abs(log_lr),
        "row_signed_weight": -data.row_weight * np.sign(log_lr),
        "event_prior_logit": data.event_prior_logit,
        "event_day": data.event_day,
        "event_horizon": data.event_horizon,
        "event_kind": data.event_kind,
        "source_type": data.source_type,
        "decay_state": event,
        "decay_prior": np.cumsum(new_prior) - 1,
        "member_source": np.array([source for source, _ in members], dtype=np.int64),
        "member_group": np.array([g for _, g in members], dtype=np.int64),
        "row_group": cluster_group[data.row_cluster],
        "row_analyst": data.row_analyst,
        "row_start": first_state[data.cluster_start[data.row_cluster]],
        "row_end": first_state[data.cluster_end[data.row_cluster]],
    }
    sizes: dict[str, int] = {"groups": len(groups)}
    for name, size in (*FLOATS, *INTEGERS):
        if sizes.setdefault(size, len(columns[name])) != len(columns[name]):
            raise ForecastError(f"{name} has {len(columns[name])} entries, not {sizes[size]}")
    width = max(len(SIZES), *sizes.values())

    def packed(rows: list[np.ndarray], dtype: type) -> np.ndarray:
        out: np.ndarray = np.zeros((len(rows), width), dtype=dtype)
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out

    return {
        "floats": packed([columns[name] for name, _ in FLOATS], np.float64),
        "integers": packed(
            [np.array([sizes[s] for s in SIZES]), *(columns[name] for name, _ in INTEGERS)],
            np.int64,
        ),
    }


def _unpacked(d: Mapping[str, pt.TensorVariable]) -> dict[str, pt.TensorVariable]:
    """The columns of the packed containers, by name, and the lengths (``SIZES``)."""
    sizes = {name: d["integers"][0, i] for i, name in enumerate(SIZES)}
    out: dict[str, pt.TensorVariable] = dict(sizes)
    for key, names in (("floats", FLOATS), ("integers", INTEGERS)):
        first = 0 if key == "floats" else 1
        for i, (name, size) in enumerate(names, start=first):
            out[name] = d[key][i, : sizes[size]]
    return out


def _source_logits(d: Mapping[str, Any], p: Mapping[str, float]) -> pt.TensorVariable:
    """Logit reliability per source: stated, moved by its type's shift and its own deviation."""
    shift = pm.Normal("type_shift", 0.0, p["type_shift_sd"], dims="type")
    spread = pm.HalfNormal("source_spread", p["source_spread"])
    z = pm.Normal("source_z", 0.0, 1.0, dims="source")  # non-centred: sampler-friendly
    return d["logit_stated"] + shift[d["source_type"]] + spread * z


def _exponents(p: Mapping[str, float]) -> pt.TensorVariable:
    spread = pm.HalfNormal("exponent_spread", p["exponent_spread"])
    u = pm.Normal("analyst_z", 0.0, 1.0, dims="analyst")
    return pm.Deterministic("exponent", pt.exp(spread * u), dims="analyst")


def _log_odds(
    d: Mapping[str, Any],
    eta: pt.TensorVariable,
    exponent: pt.TensorVariable,
    alpha: pt.TensorVariable,
) -> pt.TensorVariable:
    """Each state's log-odds: its base (prior, decayed for an event's day) plus the
    discounted evidence terms of its segment (sums along the states)."""
    log_unreliable = pt.zeros(d["groups"])[d["member_group"]].inc(
        -pt.softplus(eta)[d["member_source"]]
    )
    unreliable = pt.exp(log_unreliable)[d["row_group"]]  # U_c = prod(1 - r_s), per row
    # Layer 1 (v2): -sign(x) log(1 + r expm1(-|x|)) with x = k log LR, written with
    # U = 1 - r as -sign(x) log(U + (1 - U) exp(-|x|)): one exp and one log per row.
    shrink = pt.exp(-exponent[d["row_analyst"]] * d["row_abs_log_lr"])
    terms = d["row_signed_weight"] * pt.log(unreliable + (1.0 - unreliable) * shrink)
    # Each row counts over its cluster's run of segments, from the first state of the
    # first to the first state after the last: added at the start, taken off at the end,
    # summed along the states (each question's segments, and their states, are consecutive).
    n = d["states"]
    steps = pt.zeros(n + 1)[d["row_start"]].inc(terms)[d["row_end"]].inc(-terms)
    return _base(d, alpha) + pt.cumsum(steps)[:n]


def _base(d: Mapping[str, Any], alpha: pt.TensorVariable) -> pt.TensorVariable:
    """The prior's log-odds; on an event question's day, layer 2's decayed prior of "by the
    primary deadline": logit(1 - S(H) / S(t)), exact in PyTensor as in numpy.

    Only the event states pay for the decay, and what depends on alpha but not on the day,
    ``expm1(-log(1 - p) / alpha)``, is computed once for each distinct prior. With
    ``z = -log q``, ``logit(1 - q) = log(expm1(z))``."""
    grown = pt.expm1(d["prior_neg_log_q0"] / alpha)[d["decay_prior"]]
    neg_log_q = d["decay_neg_log_q0"] - alpha * pt.log1p(d["decay_share"] * grown)
    decayed = pt.log(pt.expm1(neg_log_q))
    return pt.set_subtensor(d["state_prior_logit"][d["decay_state"]], decayed)


def _weighted_bernoulli_logp(
    value: pt.TensorVariable, log_odds: pt.TensorVariable, weight: pt.TensorVariable
) -> pt.TensorVariable:
    """A state's weighted log score: ``w log P(y | x)``, as ``w (y x - log(1 + e^x))``
    (one softplus where a switch would compute two)."""
    return weight * (value * log_odds - pt.softplus(log_odds))


def _bernoulli_draws(
    log_odds: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator | None = None,
    size: Any = None,
) -> np.ndarray:
    """Outcomes drawn from each state's forecast (posterior predictive checks)."""
    assert rng is not None
    return rng.binomial(1, 1.0 / (1.0 + np.exp(-np.asarray(log_odds))), size=size)


def _event_day_logp(
    value: pt.TensorVariable,
    alpha: pt.TensorVariable,
    prior_logit: pt.TensorVariable,
    horizon: pt.TensorVariable,
    kind: pt.TensorVariable,
) -> pt.TensorVariable:
    """Log-probability of an event's day on layer 2's cells, given the primary outcome.

    ``value`` counts days from the anchor. By the deadline: ``log(S(x) - S(x + 1)) - log p``;
    after it: ``... - log(1 - p)``; censored (no event by ``x - 1``): ``log S(x) - log S(H)``.
    The divisors are the prior, constant in alpha: they keep each term a proper
    distribution, which LOO compares with the default alpha.
    """
    log_b = decay.log_scale(prior_logit, horizon, alpha, pt)
    b = pt.exp(log_b)
    log_s = decay.log_survival(value, b, alpha, pt)
    log_mass = log_s + pt.log1mexp(decay.log_survival(value + 1.0, b, alpha, pt) - log_s)
    log_s_h = -pt.softplus(prior_logit)  # S(H) = 1 - p
    return pt.switch(
        pt.eq(kind, 0.0),
        log_mass + pt.softplus(-prior_logit),
        pt.switch(pt.eq(kind, 1.0), log_mass - log_s_h, log_s - log_s_h),
    )


# --------------------------------------------------------------------------- data


def set_data(model: pm.Model, data: TrainingData) -> None:
    """Put new data (with the model's labels) into the model's ``pm.Data`` containers."""
    _check_labels(model, data)
    with model:
        pm.set_data(containers(data))


def _check_labels(model: pm.Model, data: TrainingData) -> None:
    for dim, labels in (
        ("source", data.sources),
        ("analyst", data.analysts),
        ("type", data.source_types),
    ):
        if tuple(model.coords[dim]) != tuple(labels):
            raise ForecastError(
                f"the new data's {dim}s differ from the model's: "
                "relabel it with data.relabel(data, like=...)"
            )


# --------------------------------------------------------------------------- fit

_COMPILED: weakref.WeakKeyDictionary[pm.Model, Any] = weakref.WeakKeyDictionary()


def fit(
    model: pm.Model,
    settings: SamplerSettings | None = None,
    *,
    sampled: Sequence[str] = PARAMETERS,
    derived: Sequence[str] = DERIVED,
) -> xr.DataTree:
    """Sample the posterior of ``model`` with its current data.

    The samplers store the ``sampled`` free parameters only (a smaller program to compile,
    and no question-sized deterministics); the ``derived`` quantities are computed from
    them afterwards and added to the posterior.
    """
    s = settings or SamplerSettings()
    if s.sampler == "nutpie":
        idata = _fit_nutpie(model, s, sampled)
    elif s.sampler == "pymc":
        idata = pm.sample(
            s.draws,
            tune=s.tune,
            chains=s.chains,
            cores=s.cores,
            random_seed=s.seed,
            progressbar=s.progressbar,
            target_accept=s.target_accept,
            nuts_sampler="pymc",
            model=model,
            var_names=list(sampled),
            compute_convergence_checks=False,
        )
    else:
        raise ForecastError(f"sampler {s.sampler!r} is not one of nutpie, pymc")
    posterior = idata["posterior"].to_dataset()
    if derived:
        extra = pm.compute_deterministics(
            posterior, var_names=list(derived), model=model, progressbar=False
        )
        idata["posterior"] = posterior.merge(extra)
    return idata


def _fit_nutpie(model: pm.Model, s: SamplerSettings, sampled: Sequence[str]) -> xr.DataTree:
    import nutpie

    if model not in _COMPILED:  # compile once per model; new data is swapped in below
        _COMPILED[model] = nutpie.compile_pymc_model(model, var_names=list(sampled))
    compiled = _COMPILED[model]
    used = {v.name for v in compiled.shared_var_keys}  # data the graph never reads is dropped
    current = {v.name: v.get_value() for v in model.data_vars if v.name in used}
    return nutpie.sample(
        compiled.with_data(**current),
        draws=s.draws,
        tune=s.tune,
        chains=s.chains,
        cores=s.cores,
        seed=s.seed,
        progress_bar=s.progressbar,
        target_accept=s.target_accept,
    )


# --------------------------------------------------------------------------- predict


def predict(
    model: pm.Model,
    idata: xr.DataTree,
    data: TrainingData | None = None,
    kind: PredictKind = "probability",
) -> np.ndarray:
    """Posterior draws of each state's prediction, shape (draws, states): a state is a
    question's forecast on a run of days (``TrainingData.state_question`` says whose,
    ``state_weight`` its share of the question's days).

    ``kind`` is ``"probability"`` (P(yes)) or ``"log_odds"``. With ``data``, the model
    predicts those questions (same labels) and its own data is put back afterwards.
    """
    if kind not in PREDICT_KINDS:
        raise ForecastError(f"kind {kind!r} is not one of {', '.join(PREDICT_KINDS)}")
    saved = {v.name: v.get_value() for v in model.data_vars}
    try:
        if data is not None:
            set_data(model, data)
        values = pm.compute_deterministics(
            idata["posterior"].to_dataset(), var_names=["log_odds"], model=model, progressbar=False
        )["log_odds"]
    finally:
        with model:
            pm.set_data(saved)
    stacked = values.stack(sample=("chain", "draw")).transpose("sample", ...)
    log_odds = np.asarray(stacked.values)
    return log_odds if kind == "log_odds" else 1.0 / (1.0 + np.exp(-log_odds))


def point_log_likelihood(model: pm.Model, point: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Pointwise log-likelihood of the observed variables at one parameter point."""
    names = [rv.name for rv in model.observed_RVs]
    fn = model.compile_fn(
        model.logp(vars=model.observed_RVs, sum=False),
        inputs=model.value_vars,
        on_unused_input="ignore",
    )
    values = fn({v.name: np.asarray(point[v.name]) for v in model.value_vars})
    return dict(zip(names, (np.asarray(v) for v in values), strict=True))


def default_point(model: pm.Model) -> dict[str, np.ndarray]:
    """The parameter point of the unlearned defaults: stated reliabilities, k = 1, alpha = 1.

    Shifts, deviations and log alpha at 0 make every learned quantity its default; the
    spreads then multiply zeros, so any positive value (here 1) will do.
    """
    return {v.name: np.zeros_like(model.initial_point()[v.name]) for v in model.value_vars}


def engine_point(
    model: pm.Model,
    data: TrainingData,
    reliability: np.ndarray,
    exponent: np.ndarray,
    alpha: float,
) -> dict[str, np.ndarray]:
    """The parameter point (value space) at which the model's forecasts are the engine's
    with these values: a reliability per source of ``data`` (the model's data), an exponent
    per analyst, one alpha.

    Shifts at 0 and spreads at 1 (log 0) make each source's deviation its logit distance
    from its stated reliability, and each analyst's its log exponent.
    """
    r = np.clip(np.asarray(reliability, dtype=float), 1e-12, 1 - 1e-12)  # no infinite logit
    point = default_point(model)
    point["source_z"] = np.log(r / (1 - r)) - np.log(data.stated / (1 - data.stated))
    point["analyst_z"] = np.log(np.asarray(exponent, dtype=float))
    point["log_alpha"] = np.array(np.log(alpha))
    return point
