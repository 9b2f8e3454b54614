"""Layer-3 speed and correctness: the track-record fit, its recovery, and credible bands.

1. Fit on 500 resolved questions, 10,000 assessments, 30 sources, 10 analysts: wall time in
   a fresh process from a cold compile cache (an empty PYTENSOR base_compiledir) and from
   the project's warm one, with nutpie and with PyMC's own NUTS; the worst R-hat, bulk and
   tail ESS over every parameter, and divergences. Then the out-of-time check that
   ``forecast calibrate`` adds (the same compiled model fitted at the cut, the later
   questions scored): its seconds, and its verdict.
2. Coverage of 90% intervals over repeated simulations at that size (nutpie compiled
   once, new data swapped in), with a figure of intervals against the truth.
3. Credible bands from 1,000 posterior draws for the trajectories of bench_core (365 days,
   50 reports): the 500 binary ones together (vectorised), and event ones per question (the
   exact core run once per draw, on ``bands.EVENT_DRAWS`` of them).
4. The team's recalibration that ``forecast calibrate`` adds, at the size of 1: the scored
   days read from backfilled snapshots, the walk-forward fits and the final one.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_learning.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WARM_CACHE = ROOT / ".pytensor"
SIZE = {"questions": 500, "assessments": 10_000, "sources": 30, "analysts": 10}


# --------------------------------------------------------------------------- 1. one fit


def one_fit(sampler: str, seed: int) -> dict:
    """Runs inside a fresh process: simulate, fit, diagnose; times of each stage."""
    start = time.perf_counter()
    from forecast.learning import holdout
    from forecast.learning.data import training_data
    from forecast.learning.diagnostics import diagnose, loo_against_defaults
    from forecast.learning.model import SamplerSettings, build_model, fit
    from forecast.learning.simulate import Team, draw_truth, simulate

    imported = time.perf_counter()
    rng = np.random.default_rng(seed)
    team = Team(**SIZE)
    history = simulate(team, draw_truth(team, rng), rng)
    data = training_data(history)
    ready = time.perf_counter()
    model = build_model(data)
    settings = SamplerSettings(sampler=sampler, seed=seed)
    idata = fit(model, settings)
    fitted = time.perf_counter()
    d = diagnose(idata)
    done = time.perf_counter()
    verdict = holdout.check(model, history, data, settings)  # what calibrate adds
    checked = time.perf_counter()
    loo = loo_against_defaults(model, idata, data)  # not timed: a report, not the fit
    return {
        "check": checked - done,
        "check_verdict": verdict.to_json(),
        "loo_difference": loo.difference,
        "loo_se": loo.se_difference,
        "loo_max_k": loo.max_pareto_k,
        "import": imported - start,
        "simulate": ready - imported,
        "build+compile+sample": fitted - ready,
        "diagnose": done - fitted,
        "fit": done - ready,
        "total": done - start,
        **d.to_json(),
    }


def timed_fit(sampler: str, cache: Path, seed: int = 1) -> dict:
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={cache}")
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import bench_learning as b; "
        f"print(json.dumps(b.one_fit({sampler!r}, {seed})))"
    )
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - t  # the whole process, start-up included
    return out


def fit_table() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as cold:
        rows.append(("nutpie, cold cache", timed_fit("nutpie", Path(cold))))
    rows.append(("nutpie, warm cache", timed_fit("nutpie", WARM_CACHE)))
    rows.append(("nutpie, warm cache", timed_fit("nutpie", WARM_CACHE, seed=2)))
    rows.append(("PyMC NUTS, warm cache", timed_fit("pymc", WARM_CACHE)))
    from forecast.learning.sampling import SamplerSettings

    s = SamplerSettings()  # what one_fit samples with: the defaults
    print(
        f"1. fit of {SIZE['questions']} questions, {SIZE['assessments']:,} assessments, "
        f"{SIZE['sources']} sources, {SIZE['analysts']} analysts ({s.chains} chains on "
        f"{s.cores} cores, {s.draws} draws + {s.tune} tuning each)"
    )
    print(
        f"   {'sampler':<24}{'process':>8}{'import':>8}{'fit':>7}   max R-hat  min bulk ESS"
        "  min tail ESS  divergences"
    )
    for label, r in rows:
        print(
            f"   {label:<24}{r['wall']:7.1f}s{r['import']:7.1f}s{r['fit']:6.1f}s"
            f"   {r['max_r_hat']:9.4f}  {r['min_ess_bulk']:12.0f}  {r['min_ess_tail']:12.0f}"
            f"  {r['divergences']:11d}"
        )
    print(
        "   (process: whole fresh Python process; fit: model build, compile, sampling and"
        " diagnostics, after import and simulation; the process also ran the check)"
    )
    for label, r in rows:
        v = r["check_verdict"]
        gain = (
            f"gain {v['gain']:+.4f} [{v['gain_low']:+.4f}, {v['gain_high']:+.4f}] nats/question"
            if v["gain"] is not None
            else "not judged"
        )
        print(
            f"   out-of-time check ({label}): {r['check']:.1f} s more ({r['check'] / r['fit']:.0%}"
            f" of the fit), {v['train_questions']} questions before the cut and "
            f"{v['test_questions']} after; {gain}: {'offered' if v['offered'] else 'not offered'}"
        )
    for label, r in rows:
        print(
            f"   LOO against the defaults ({label}): {r['loo_difference']:+.1f} "
            f"(SE {r['loo_se']:.1f}) nats over {SIZE['questions']} questions, "
            f"max Pareto k {r['loo_max_k']:.2f}"
        )


# --------------------------------------------------------------------------- 2. coverage


def coverage(replicates: int, out: Path) -> None:
    from forecast.learning.data import training_data
    from forecast.learning.model import SamplerSettings, build_model, fit, set_data
    from forecast.learning.simulate import Team, draw_truth, simulate

    team = Team(**SIZE)
    rng = np.random.default_rng(7)
    points: list[tuple[str, float, float, float, float]] = []  # kind, truth, mean, lo, hi
    model, t = None, time.perf_counter()
    for r in range(replicates):
        truth = draw_truth(team, rng)
        data = training_data(simulate(team, truth, rng))
        if model is None:
            model = build_model(data)
        else:
            set_data(model, data)
        post = fit(model, SamplerSettings(seed=r))["posterior"]
        for name, labels, true in (
            ("reliability", data.sources, truth.reliability),
            ("exponent", data.analysts, truth.exponents),
            ("alpha", ("alpha",), {"alpha": truth.alpha}),
        ):
            v = np.asarray(post[name].values)
            v = v.reshape(v.shape[0] * v.shape[1], -1)
            lo, hi = np.quantile(v, [0.05, 0.95], axis=0)
            points += [
                (name, true[x], float(v[:, i].mean()), float(lo[i]), float(hi[i]))
                for i, x in enumerate(labels)
            ]
    elapsed = time.perf_counter() - t
    inside = {
        k: np.mean([lo <= x <= hi for n, x, _, lo, hi in points if n == k])
        for k in ("reliability", "exponent", "alpha")
    }
    every = np.mean([lo <= x <= hi for _, x, _, lo, hi in points])
    print(
        f"2. coverage of 90% intervals over {replicates} simulations of that size: {every:.1%}"
        f" of {len(points)} ({', '.join(f'{k} {v:.0%}' for k, v in inside.items())}); "
        f"{elapsed:.0f} s in all, {elapsed / replicates:.1f} s a fit after the first"
    )
    figure(points, out / "learning-coverage.png")


def figure(points: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for ax, kind in zip(axes, ("reliability", "exponent", "alpha"), strict=True):
        mine = [p for p in points if p[0] == kind]
        x = np.array([p[1] for p in mine])
        m, lo, hi = (np.array([p[i] for p in mine]) for i in (2, 3, 4))
        hit = (lo <= x) & (x <= hi)
        for ok, colour in ((True, "tab:blue"), (False, "tab:red")):
            sel = hit == ok
            ax.errorbar(
                x[sel],
                m[sel],
                yerr=[m[sel] - lo[sel], hi[sel] - m[sel]],
                fmt="o",
                ms=3,
                color=colour,
                alpha=0.6,
                lw=0.8,
                label=f"{'covers' if ok else 'misses'} ({sel.sum()})",
            )
        span = [min(x.min(), lo.min()), max(x.max(), hi.max())]
        ax.plot(span, span, color="gray", lw=1)
        ax.set(
            title=f"{kind}: {hit.mean():.0%} covered",
            xlabel="truth",
            ylabel="posterior mean and 90% interval",
        )
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"   figure: {path}")


# --------------------------------------------------------------------------- 3. bands


def band_timing() -> None:
    from forecast.clock import parse_time
    from forecast.domain import Kind, Question
    from forecast.event_dates import Calendar, Target
    from forecast.learning.bands import Case, bands
    from forecast.learning.data import Evidence
    from forecast.learning.draws import Draws
    from forecast.updating import Item

    rng = np.random.default_rng(0)
    opened = parse_time("2025-01-01")
    end = opened + timedelta(days=364)
    sources = tuple(f"s{i}" for i in range(30))
    analysts = tuple(f"a{i}" for i in range(10))
    cases = []
    for i in range(1000):  # as bench_core: half event questions, 50 reports, some echoes
        kind = Kind.EVENT if i % 2 else Kind.BINARY
        q = Question(
            f"q{i}",
            "bench",
            kind,
            opened,
            prior=float(rng.uniform(0.05, 0.95)),
            deadlines=(opened + timedelta(days=300), opened + timedelta(days=400))
            if kind is Kind.EVENT
            else (),
        )
        days = np.sort(rng.integers(0, 299, 50))
        calendar = Calendar(q) if kind is Kind.EVENT else None
        origin = rng.integers(0, 35, 50)
        ev = [
            Evidence(
                Item(
                    f"q{i}r{j}",
                    (int(days[j]), j),
                    int(days[j]),
                    f"o{origin[j]}",
                    0.5,
                    analysts[rng.integers(10)],
                    float(rng.normal(0, 0.7)),
                    cells=None if calendar is None else calendar.mask(int(days[j]), Target()),
                ),
                sources[rng.integers(30)],
            )
            for j in range(50)
        ]
        cases.append(Case(q, ev, end))
    n = 1000
    draws = Draws(
        sources,
        rng.uniform(0.3, 0.95, (n, 30)),
        analysts,
        np.exp(rng.normal(0, 0.2, (n, 10))),
        np.exp(rng.normal(0, 0.3, n)),
        ("t",),
        np.zeros((n, 1)),
        np.ones(n),
        np.ones(n),
    )
    states = [c for c in cases if c.question.kind is Kind.BINARY]
    events = [c for c in cases if c.question.kind is Kind.EVENT][:20]
    best = []
    for _ in range(3):
        t = time.perf_counter()
        out = bands(states, draws)
        best.append(time.perf_counter() - t)
    width = np.mean([np.mean(b.high - b.low) for b in out])
    t = time.perf_counter()
    bands(events, draws)
    per_event = (time.perf_counter() - t) / len(events)
    import forecast.learning.bands as module

    print(
        f"3. bands for {len(states)} binary trajectories x 365 days from {n} draws: "
        f"{min(best):.2f} s (best of 3; runs {', '.join(f'{b:.2f}' for b in best)} s); "
        f"mean 90% width {width:.3f}. Event bands (the exact core once per draw, "
        f"{min(n, module.EVENT_DRAWS)} draws): {per_event:.2f} s per question "
        f"({len(events)} questions of 50 reports)"
    )


# --------------------------------------------------------------------------- 4. team


def team_timing() -> None:
    """The team's recalibration as ``forecast calibrate`` runs it, on a simulated record of
    that size (10 authors, 5 tags, dealt round; the simulated analysts' assessments give
    each question's analysts), with snapshots backfilled."""
    from dataclasses import replace

    from forecast import recalibrated, snapshots
    from forecast.api import Tracker
    from forecast.learning import team
    from forecast.learning.model import SamplerSettings
    from forecast.learning.simulate import Team, draw_truth, simulate

    rng = np.random.default_rng(11)
    size = Team(**SIZE)
    history = simulate(size, draw_truth(size, rng), rng)
    topics = ("war", "energy", "elections", "trade", "health")
    questions = tuple(
        replace(q, created_by=f"analyst-{i % 10:02d}", tags=(topics[i % 5],))
        for i, q in enumerate(history.questions)
    )
    with tempfile.TemporaryDirectory() as folder:
        tracker = Tracker.open(f"sqlite:///{folder}/team.db")
        tracker.import_history(replace(history, questions=questions))
        snapshots.backfill(tracker)
        t0 = time.perf_counter()
        found = recalibrated.scored(tracker)
        t1 = time.perf_counter()
        rows = team.rows(found, team.factors(found))
        final, verdict, figures = team.learn(found, SamplerSettings(seed=1, progressbar=False))
        t2 = time.perf_counter()
        tracker.store.close()
    print(
        f"4. team recalibration on {len(found)} scored questions ({len(rows.held_logit):,} "
        f"rows; {len(team.factors(found)[2].levels)} analysts): scored days read in "
        f"{t1 - t0:.1f} s; {figures['fits']} walk-forward fits and "
        f"the final one in {t2 - t1:.1f} s; {verdict.reason}: "
        f"{'offered' if verdict.offered else 'not offered'}; final slopes "
        + ", ".join(f"{k} {v:.2f}" for k, v in final.slope.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "test-output")
    parser.add_argument("--only", choices=["fit", "coverage", "bands", "team"])
    args = parser.parse_args()
    os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={WARM_CACHE}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.only in (None, "fit"):
        fit_table()
    if args.only in (None, "coverage"):
        coverage(args.replicates, args.out)
    if args.only in (None, "bands"):
        band_timing()
    if args.only in (None, "team"):
        team_timing()


if __name__ == "__main__":
    main()
