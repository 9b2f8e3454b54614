"""Linked questions computed together: links checked against the questions, each question's
own evidence as a likelihood on its node, exact marginals (``forecast.network``).

A question's own evidence at a day t is what its forecast holds beyond its prior:

- binary: the log-likelihood ``[0, logit P_t - logit prior]`` over (no, yes): layer 1's
  discounted terms add up in log-odds;
- choice: ``log P_t - log prior`` per option;
- event: the day cells' log-weights after its reports minus the prior's (layer 2's report
  masks), with the days before t ruled out (silence).

None of these depends on the question's own prior, so a linked child, whose prior is the
one its links imply, takes its evidence unchanged. A question resolved by the day is known:
its outcome (an event's: the day it happened, or "later or never") is its evidence.

The rest is the network's: one node per question of a linked group (an event question is
its date node), each linked child's table from its ``QuestionLink``, exact marginals.
Questions with no link are not in any network and keep their own forecast, bit for bit.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from forecast import kinds
from forecast.domain import Question, Resolution, check_share
from forecast.errors import ForecastError, NotFound
from forecast.event_dates import Calendar, day_index
from forecast.links import NO, YES, QuestionLink
from forecast.network import (
    Link,
    Network,
    Node,
    binary_prior,
    binary_rows,
    event_prior,
    event_rows,
    event_yes,
)
from forecast.network.graph import TOLERANCE
from forecast.network.inference import network_key
from forecast.network.memo import Kept, Memo, arrays_size, digest, frozen, shelf
from forecast.trajectory import Contribution, Move, Trajectory
from forecast.updating import Item, logit, report_steps


def states(q: Question) -> tuple[str, ...]:
    """The states a link names for ``q`` as a parent: its options, or yes and no."""
    return q.option_names if kinds.has_options(q) else (YES, NO)


def child_values(q: Question) -> tuple[str, ...]:
    """What a link gives for ``q`` as a child, per combination: its options' probabilities,
    or P(yes) (an event: P(by its first deadline))."""
    return q.option_names if kinds.has_options(q) else (YES,)


def check(link: QuestionLink, questions: Mapping[str, Question]) -> QuestionLink:
    """``link`` checked against its questions (one line naming what is wrong)."""
    for qid in (link.child, *link.parents):
        if qid not in questions:
            raise NotFound(f"no question {qid!r}")
    if not link.parents:
        raise ForecastError(f"the link of {link.child!r} names no parent")
    if len(set(link.parents)) != len(link.parents):
        raise ForecastError(f"the link of {link.child!r} names a parent twice")
    if link.child in link.parents:
        raise ForecastError(f"question {link.child!r} cannot be its own parent")
    by = link.by or (None,) * len(link.parents)
    if len(by) != len(link.parents):
        raise ForecastError(f"the link of {link.child!r} gives {len(by)} deadlines for "
                            f"{len(link.parents)} parents")  # fmt: skip
    for parent, deadline in zip(link.parents, by, strict=True):
        if deadline is not None and not kinds.has_ladder(questions[parent]):
            raise ForecastError(
                f"a deadline (--by) is for an event parent; {parent!r} is "
                f"{questions[parent].kind.value}"
            )
    wanted = set(itertools.product(*(states(questions[p]) for p in link.parents)))
    given = [combo for combo, _ in link.given]
    if len(set(given)) != len(given):
        raise ForecastError(f"the link of {link.child!r} gives a combination twice")
    missing = sorted(wanted - set(given))
    if missing:
        raise ForecastError(
            f"the link of {link.child!r} needs the child's probability for every state of "
            f"its parents; missing: {', '.join('|'.join(m) for m in missing)}"
        )
    extra = sorted(set(given) - wanted)
    if extra:
        raise ForecastError(
            f"the link of {link.child!r} names states its parents do not have: "
            f"{', '.join('|'.join(e) for e in extra)}"
        )
    child = questions[link.child]
    for combo, values in link.given:
        _check_values(link.child, child, combo, values)
    return link


def _check_values(
    key: str, child: Question, combo: tuple[str, ...], values: tuple[float, ...]
) -> None:
    where = f"the link of {key!r} given {'|'.join(combo)}"
    names = child_values(child)
    if len(values) != len(names):
        raise ForecastError(f"{where}: give {len(names)} probabilities ({', '.join(names)})")
    if not all(np.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        raise ForecastError(f"{where}: a probability must be between 0 and 1")
    if kinds.has_options(child) and abs(sum(values) - 1.0) > TOLERANCE:
        raise ForecastError(f"{where}: the options' probabilities must add up to 1")


# --------------------------------------------------------------------------- the network


def network(questions: Mapping[str, Question], links: Sequence[QuestionLink]) -> Network:
    """The network of the linked questions (every question some link names).

    The same nodes and tables give the same network object (``_NETWORKS``), with what it
    remembers (its marginals by evidence, its claims' fits): a group read again after a
    write recomputes only what the write changed."""
    keys = sorted({k for link in links for k in (link.child, *link.parents)})
    children = {link.child for link in links}
    nodes = [
        Node(k, _size(questions[k]), None if k in children else _prior(questions[k])) for k in keys
    ]
    tables = [_table(link, questions) for link in links]
    key = network_key(nodes, tables)
    return _NETWORKS.get(key) or _NETWORKS.put(key, Network(nodes, tables))


# The networks kept, most recently used first: each holds its engines and what it remembers.
# More than a team's linked groups: an overview reads every group in turn, and a memo that
# holds fewer than that never finds one again.
_NETWORKS: Memo[Network] = Memo(16, lambda _: 1)


def forget(*, kept: bool = True) -> None:
    """Drop every network, fit and group's days remembered (a benchmark's cold run starts
    from nothing), and (``kept``) what the cache folder holds."""
    _NETWORKS.clear()
    _FITS.clear()
    _JOINTLY.clear()
    _DAYS.clear()
    on = shelf() if kept else None
    if on is not None:
        on.clear()


def _size(q: Question) -> int:
    if kinds.has_ladder(q):
        return Calendar(q).size
    return len(q.option_names) if kinds.has_options(q) else 2


def _prior(q: Question) -> np.ndarray:
    if kinds.has_ladder(q):
        return event_prior(Calendar(q))
    if kinds.has_options(q):
        return np.array([p for _, p in q.options], dtype=float)
    assert q.prior is not None
    return binary_prior(q.prior)


def _masks(q: Question, deadline: object) -> dict[str, np.ndarray]:
    """Each state a link names for ``q`` as a parent, as a mask over its node's states."""
    if kinds.has_options(q):
        eye = np.eye(len(q.option_names), dtype=bool)
        return {name: eye[i] for i, name in enumerate(q.option_names)}
    if kinds.has_ladder(q):
        calendar = Calendar(q)
        yes = event_yes(calendar, deadline or q.deadlines[0])  # type: ignore[arg-type]
    else:
        yes = np.array([False, True])
    return {YES: yes, NO: ~yes}


def _table(link: QuestionLink, questions: Mapping[str, Question]) -> Link:
    child = questions[link.child]
    parents = [questions[p] for p in link.parents]
    masks = [_masks(p, link.deadline(p.id)) for p in parents]
    shape = tuple(len(next(iter(m.values()))) for m in masks)
    table = np.zeros((*shape, _size(child)))
    calendar = Calendar(child) if kinds.has_ladder(child) else None
    for combo, values in link.given:
        if calendar is not None:
            row = event_rows(calendar, values[0])
        elif kinds.has_options(child):
            row = np.asarray(values, dtype=float)
        else:
            row = binary_rows(values[0])
        table[np.ix_(*(m[s] for m, s in zip(masks, combo, strict=True)))] = row
    return Link(link.child, link.parents, table)


# --------------------------------------------------------------------------- evidence


def components(links: Sequence[QuestionLink]) -> dict[str, int]:
    """Each linked question's group: questions joined by links, in any direction."""
    group: dict[str, str] = {}

    def root(key: str) -> str:
        group.setdefault(key, key)
        while group[key] != key:
            group[key] = group[group[key]]
            key = group[key]
        return key

    for link in links:
        for parent in link.parents:
            group[root(parent)] = root(link.child)
    roots = sorted({root(k) for k in list(group)})
    return {k: roots.index(root(k)) for k in sorted(group)}


@dataclass(frozen=True)
class NodeStep:
    """One report's step on a linked question's node: a log-likelihood over its states
    (binary: [0, its log-odds step]; choice: per option; event: per day cell), counted
    from ``day`` (from the question's opening day)."""

    report_id: str
    origin: str  # its echo cluster
    order: tuple  # (published, report id)
    day: int
    log_l: np.ndarray


def node_steps(q: Question, items: Sequence[Item]) -> list[NodeStep]:
    """A question's reports as steps on its node, as its own trajectory takes them (echoes
    of one origin sharing one term, discounted by their sources' reliability)."""
    first = {i.report_id: i for i in sorted(items, key=lambda i: (i.order, i.analyst))}
    binary = not (kinds.has_options(q) or kinds.has_ladder(q))
    return [
        NodeStep(
            s.report_id,
            first[s.report_id].origin,
            first[s.report_id].order,
            s.day,
            np.array([0.0, float(s.increment)]) if binary else np.asarray(s.increment, float),
        )
        for s in report_steps(items)
    ]


@dataclass(frozen=True)
class Counted:
    """A linked group's evidence: each question's steps (``steps``); the questions each
    report was assessed against (``assessed``) and the one it is shown as counted on
    (``on``: of those, the one it moves most on its own)."""

    steps: dict[str, list[NodeStep]]
    assessed: dict[str, tuple[str, ...]]
    on: dict[str, str]

    def via(self, question: str, report_id: str) -> str:
        """ "" when the report was assessed against ``question``; else the question it is
        shown as counted on."""
        return "" if question in self.assessed[report_id] else self.on[report_id]

    def reports(self, until: datetime) -> list[str]:
        """Every report counted in the group published by ``until``, in publication order."""
        found = {
            (st.order, st.report_id) for ss in self.steps.values() for st in ss
            if st.order[0] <= until
        }  # fmt: skip
        return [r for _, r in sorted(found)]

    def without(self, report_ids: set[str]) -> Counted:
        """The same evidence without some reports (leave-one-out)."""
        kept = {
            k: [st for st in ss if st.report_id not in report_ids] for k, ss in self.steps.items()
        }
        return Counted(kept, self.assessed, self.on)


def count(
    net: Network,
    questions: Mapping[str, Question],
    items: Mapping[str, Sequence[Item]],
    links: Sequence[QuestionLink],
    resolutions: Mapping[str, Resolution | None],
) -> Counted:
    """Each linked question's evidence as steps on its node, a claim assessed against
    several questions of the group counted once, jointly.

    A claim (an echo cluster: one origin, one report or several) assessed against several
    questions is one piece of evidence with one likelihood over their joint states: a
    factor exp(sum_k theta_k(x_k)), fitted so that each of those questions stands exactly
    where its own assessment alone would put it (its cluster's term, as its trajectory
    takes it) from the forecast without the claim. That is Jeffrey's rule on the joint,
    by iterative proportional fitting: the smallest change to the joint that meets every
    assessment. The factor is refitted when a report of the claim arrives, on what was
    known just before (reports published earlier, an event question's silence, the
    resolutions by then); the report's steps are the change it makes to the factor. When
    the assessments agree with the links (each the one the others imply), the factor is
    one question's own likelihood: the result of assessing the claim once. Once fitted,
    a step is kept like any likelihood, for later days and for leave-one-out. Where the links
    tie the questions so that their assessments cannot all hold at once (a venue that exists
    only if the summit happens, assessed against both with different strengths), no factor
    fits: the claim then counts on the one question it moves most, as assessed there, and
    reaches the others through the links."""
    steps = {k: node_steps(questions[k], its) for k, its in items.items()}
    depth = {k: len(a) for k, a in _ancestors(links).items()}
    assessed: dict[str, dict[str, NodeStep]] = {}
    for k, ss in steps.items():
        for st in ss:
            assessed.setdefault(st.report_id, {})[k] = st
    on = {
        r: min(found, key=lambda k: (-_reach(found[k].log_l), depth.get(k, 0), k))
        for r, found in assessed.items()
    }
    spread: dict[str, set[str]] = {}
    for k, ss in steps.items():
        for st in ss:
            spread.setdefault(st.origin, set()).add(k)
    shared = {o for o, ks in spread.items() if len(ks) > 1}
    unused: set[tuple[str, str]] = set()
    if shared:
        steps, unused = _jointly(net, questions, steps, shared, resolutions, depth)
    return Counted(
        steps,
        {r: tuple(sorted(k for k in f if (k, r) not in unused)) for r, f in assessed.items()},
        on,
    )


def _reach(log_l: np.ndarray) -> float:
    """How far a step moves its node: its largest log-likelihood gap between states."""
    finite = log_l[np.isfinite(log_l)]
    return float(finite.max() - finite.min()) if finite.size else 0.0


def _jointly(
    net: Network,
    questions: Mapping[str, Question],
    steps: dict[str, list[NodeStep]],
    shared: set[str],
    resolutions: Mapping[str, Resolution | None],
    depth: Mapping[str, int],
) -> tuple[dict[str, list[NodeStep]], set[tuple[str, str]]]:
    """The steps with the claims assessed against several questions fitted jointly (see
    :func:`count`), report by report in the order they were published; and the (question,
    report) assessments left unused where no factor fits. Remembered (in memory and on the
    shelf) by everything they are computed from."""
    order = sorted(questions)
    key = digest(
        net.key,
        [repr(questions[k]) for k in order],
        repr([[(st.report_id, st.origin, st.order, st.day) for st in steps[k]] for k in order]),
        [st.log_l for k in order for st in steps[k]],
        sorted(shared),
        repr([(k, resolutions.get(k), depth.get(k, 0)) for k in order]),
    )
    kept = _JOINTLY.get(key)
    if kept is None:
        kept = _JOINTLY.put(
            key, _joint_arrays(*_jointly_now(net, questions, steps, shared, resolutions, depth))
        )
    reports = {st.report_id: st for ss in steps.values() for st in ss}
    out = {}
    for k in steps:
        ids, days, log_l = kept[f"i{k}"], kept[f"d{k}"], kept[f"l{k}"]
        out[k] = [
            NodeStep(r, reports[r].origin, reports[r].order, int(d), row)
            for r, d, row in zip(ids.tolist(), days.tolist(), log_l, strict=True)
        ]
    return out, {(str(k), str(r)) for k, r in kept["unused"].tolist()}


def _joint_arrays(
    steps: dict[str, list[NodeStep]], unused: set[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """:func:`_jointly_now`'s result as named arrays (its reports' origins and order are
    the input steps')."""
    out = {"unused": np.array(sorted(unused), dtype=str).reshape(-1, 2)}
    for k, ss in steps.items():
        out[f"i{k}"] = np.array([st.report_id for st in ss], dtype=str)
        out[f"d{k}"] = np.array([st.day for st in ss], dtype=np.int64)
        out[f"l{k}"] = np.array([st.log_l for st in ss], dtype=float) if ss else np.zeros((0, 0))
    return frozen(out)


# The groups' joint fits (see ``_jointly``), by their inputs.
_JOINTLY: Memo[dict[str, np.ndarray]] = Memo(
    32 * 2**20, arrays_size, Kept(b"jointly", lambda found: found, lambda kept: kept or {})
)


def _jointly_now(
    net: Network,
    questions: Mapping[str, Question],
    steps: dict[str, list[NodeStep]],
    shared: set[str],
    resolutions: Mapping[str, Resolution | None],
    depth: Mapping[str, int],
) -> tuple[dict[str, list[NodeStep]], set[tuple[str, str]]]:
    from forecast.clock import day_start

    start = day_start(min(q.opened for q in questions.values()))
    offsets = {k: day_index(start, q.opened) for k, q in questions.items()}
    known = {
        k: (day_index(start, r.resolved_on), _known(questions[k], r))
        for k, r in resolutions.items()
        if r is not None and r.outcome != "annulled"
    }
    arrivals: dict[tuple[int, tuple, str], list[tuple[str, NodeStep]]] = {}
    for k, ss in steps.items():
        for st in ss:
            when = (offsets[k] + max(0, st.day), st.order, st.report_id)
            arrivals.setdefault(when, []).append((k, st))
    totals = {k: np.zeros(_size(q)) for k, q in questions.items()}
    terms: dict[str, dict[str, np.ndarray]] = {}  # claim -> question -> its cluster term
    factors: dict[str, dict[str, np.ndarray]] = {}  # claim -> question -> theta
    out: dict[str, list[NodeStep]] = {k: [] for k in steps}
    unused: set[tuple[str, str]] = set()
    for (i, order, report), found in sorted(arrivals.items()):
        origin = found[0][1].origin
        if origin not in shared:
            for k, st in found:
                totals[k] = totals[k] + st.log_l
                out[k].append(st)
            continue
        term = terms.setdefault(origin, {})
        for k, st in found:
            term[k] = term.get(k, 0.0) + st.log_l
        old = factors.get(origin, {})
        rest = {k: totals[k] - old.get(k, 0.0) for k in questions}

        def evidence(
            theta: Mapping[str, np.ndarray], i: int = i, rest: dict[str, np.ndarray] = rest
        ) -> dict[Any, np.ndarray]:
            found_: dict[Any, np.ndarray] = {}
            for k, q in questions.items():
                resolved = known.get(k)
                if resolved and resolved[0] < i:
                    found_[k] = resolved[1]
                else:
                    found_[k] = _silenced(q, rest[k] + theta.get(k, 0.0), i - offsets[k])
            return found_

        new = _fit(net, evidence, term, {k: _size(questions[k]) for k in term})
        if new is None:  # the assessments cannot all hold: the strongest one stands
            strongest = min(term, key=lambda k: (-_reach(term[k]), depth.get(k, 0), k))
            new = {k: term[k] if k == strongest else np.zeros(_size(questions[k])) for k in term}
            unused |= {(k, report) for k, _ in found if k != strongest}
        factors[origin] = new
        for k in new:
            step = new[k] - old.get(k, 0.0)
            totals[k] = totals[k] + step
            out[k].append(NodeStep(report, origin, order, i - offsets[k], step))
    return out, unused


def _fit(
    net: Network,
    evidence: Callable[[Mapping[str, np.ndarray]], dict[Any, np.ndarray]],
    term: Mapping[str, np.ndarray],
    sizes: Mapping[str, int],
) -> dict[str, np.ndarray] | None:
    """:func:`_fit_now`, remembered by its inputs: the network, the evidence without the
    claim, and the claim's terms."""
    key = digest(net.key, evidence({}), dict(term), dict(sizes))
    found = _FITS.get(key)
    if found is None:
        theta = _fit_now(net, evidence, term, sizes)
        found = _FITS.put(key, (None if theta is None else frozen(theta),))
    return found[0]


def _fit_now(
    net: Network,
    evidence: Callable[[Mapping[str, np.ndarray]], dict[Any, np.ndarray]],
    term: Mapping[str, np.ndarray],
    sizes: Mapping[str, int],
) -> dict[str, np.ndarray] | None:
    """The factor theta (per question) under which each question's marginal is the one its
    own term alone gives from the marginals without it (iterative proportional fitting);
    None when no factor does: the links tie the questions so that their assessments cannot
    all hold at once (the fit stops closing in).

    The factor touches only these questions, so the fit runs on their joint distribution
    given the rest of the evidence, read from the network once (when it is small enough:
    else each sweep asks the network for their marginals)."""
    keys = list(term)
    if len(keys) == 1:  # one question so far: its own term is the factor
        return {k: np.array(v, dtype=float) for k, v in term.items()}
    joint = (
        net.joint(evidence({}), keys) if math.prod(sizes[k] for k in keys) <= _JOINT_CELLS
        else None
    )  # fmt: skip

    def marginal(k: str, theta: Mapping[str, np.ndarray]) -> np.ndarray:
        if joint is None:
            return net.marginals(evidence(theta), [k])[k]
        others = tuple(a for a in range(len(keys)) if a != keys.index(k))
        return _tilted(joint, keys, theta).sum(axis=others)

    theta = {k: np.zeros(sizes[k]) for k in keys}
    targets = {}
    for k, log_l in term.items():
        before = marginal(k, {})
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(before > 0, np.log(before) + log_l, -np.inf)
        w = np.exp(w - np.max(w))
        targets[k] = w / w.sum()
    last, stalled = np.inf, 0
    for _ in range(_SWEEPS):
        worst = 0.0
        for k in keys:
            now = marginal(k, theta)
            now = now / now.sum()
            live = (targets[k] > 0) & (now > 0)
            gap = np.zeros_like(now)
            gap[live] = np.log(targets[k][live]) - np.log(now[live])
            theta[k] = theta[k] + gap
            worst = max(worst, float(np.max(np.abs(now - targets[k]))))
        if worst < _CONVERGED:
            return theta
        stalled = stalled + 1 if worst > _STALL * last else 0
        if stalled == 3:
            return None
        last = worst
    return None


def _tilted(joint: np.ndarray, keys: Sequence[str], theta: Mapping[str, np.ndarray]) -> np.ndarray:
    """``joint`` times exp(theta_k) along each key's axis (unnormalised)."""
    out = joint
    for axis, k in enumerate(keys):
        if k in theta:
            shape = [1] * joint.ndim
            shape[axis] = -1
            out = out * np.exp(theta[k] - np.max(theta[k])).reshape(shape)
    return out


# The claims' fits kept (a result: the factor, or None where none fits), by their inputs.
_FITS: Memo[tuple[dict[str, np.ndarray] | None]] = Memo(
    16 * 2**20,
    lambda found: arrays_size(found[0] or {}) + 64,
    Kept(b"fit", lambda found: found[0], lambda kept: (kept,)),
)
# The largest joint the fit reads whole. A larger one (two event date nodes) can cost pyAgrum
# a table over every question between them; the sweeps' marginals cost one propagation each.
_JOINT_CELLS = 100_000
_SWEEPS = 200
_CONVERGED = 1e-14  # the largest gap between a fitted marginal's probability and its target
_STALL = 0.9  # three sweeps in a row that close less than a tenth of the gap: no factor fits


def _ancestors(links: Sequence[QuestionLink]) -> dict[str, set[str]]:
    """Every linked question's ancestors (parents, their parents, ...)."""
    parents = {link.child: set(link.parents) for link in links}
    found: dict[str, set[str]] = {}

    def up(key: str) -> set[str]:
        if key not in found:
            found[key] = set()
            for p in parents.get(key, ()):
                found[key] |= {p} | up(p)
        return found[key]

    for link in links:
        for key in (link.child, *link.parents):
            up(key)
    return found


def likelihood(q: Question, traj: Trajectory, resolution: Resolution | None) -> np.ndarray:
    """The log-likelihood over ``q``'s node states of its own evidence on the trajectory's
    last day (see the module's notes)."""
    if resolution is not None and resolution.outcome != "annulled":
        return _known(q, resolution)
    final = traj.probability[-1]
    if kinds.has_ladder(q):
        prior = Calendar(q).prior()
        assert traj.log_weights is not None
        with np.errstate(invalid="ignore"):
            log_l = np.where(np.isfinite(prior), traj.log_weights - prior, 0.0)
        today = min(len(traj.probability) - 1, len(prior) - 1)
        log_l[:today] = -np.inf  # silence: the days before are past
        return log_l
    if kinds.has_options(q):
        prior = np.array([p for _, p in q.options], dtype=float)
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(final, dtype=float)) - np.log(prior)
    assert q.prior is not None
    return np.array([0.0, logit(float(final)) - logit(q.prior)])


def _known(q: Question, resolution: Resolution) -> np.ndarray:
    """A resolved question's outcome as evidence: every other state ruled out."""
    if kinds.has_ladder(q):
        calendar = Calendar(q)
        out = np.full(calendar.size, -np.inf)
        if resolution.outcome == YES:
            out[min(day_index(calendar.first, resolution.happened_on), calendar.last + 1)] = 0.0
        else:
            out[calendar.last + 1] = 0.0  # not by the last deadline: "later or never"
        return out
    names = list(states(q)) if kinds.has_options(q) else [NO, YES]
    out = np.full(len(names), -np.inf)
    out[names.index(resolution.outcome)] = 0.0
    return out


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Reading:
    """A linked question's forecast read from its node's marginal on day ``day`` (index
    from its opening day): binary, P(yes); event, P(by the first deadline still open) and
    the ladder; choice, one probability per option."""

    headline: float | dict[str, float]
    ladder: tuple[float, ...] = ()


def own(q: Question, traj: Trajectory) -> Reading:
    """The question's forecast on its own evidence, on the trajectory's last day."""
    final = traj.probability[-1]
    if kinds.has_options(q):
        return Reading(dict(zip(q.option_names, map(float, final), strict=True)))
    ladder = tuple(float(p) for p in traj.ladder[-1]) if kinds.has_ladder(q) else ()
    return Reading(float(final), ladder)


def reading(q: Question, marginal: np.ndarray, day: int) -> Reading:
    if kinds.has_options(q):
        return Reading(dict(zip(q.option_names, map(float, marginal), strict=True)))
    if not kinds.has_ladder(q):
        return Reading(float(marginal[1]))
    deadlines = _deadline_days(q)
    mass = np.cumsum(marginal)
    ladder = tuple(float(mass[d]) if day <= d else 0.0 for d in deadlines)
    rung = int(np.searchsorted(deadlines, day, side="left"))
    return Reading(ladder[min(rung, len(ladder) - 1)], ladder)


@functools.lru_cache(maxsize=1024)
def _deadline_days(q: Question) -> np.ndarray:
    """An event question's deadlines as day cells (read every day of every linked event)."""
    found = Calendar(q).deadlines
    found.setflags(write=False)
    return found


INCOHERENT = 0.10
"""How far a linked child's stated prior may be from the one its links imply before the
two are flagged as disagreeing."""


def stated_prior(q: Question) -> float | dict[str, float]:
    """The prior the question states: P(yes), P(by its first deadline), or per option."""
    if kinds.has_options(q):
        return dict(q.options)
    assert q.prior is not None
    return q.prior


def apart(a: float | dict[str, float], b: float | dict[str, float]) -> bool:
    """Whether two forecasts differ by :data:`INCOHERENT` or more (choice: on any option)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return any(abs(a[k] - b[k]) >= INCOHERENT for k in a)
    assert isinstance(a, float) and isinstance(b, float)
    return abs(a - b) >= INCOHERENT


def read_statements(
    child: Question, statements: Sequence[tuple[str, str]]
) -> list[tuple[tuple[str, ...], tuple[float, ...]]]:
    """Link statements as typed (the CLI's ``--if STATES=VALUE``, the dashboard's form) as
    ``QuestionLink.given``: STATES are the parents' states joined by "|" in their order;
    VALUE is a probability (0.8 or 80%), or for a choice child OPTION:P for each option,
    separated by commas."""
    given = []
    for combo, value in statements:
        states_typed = tuple(s.strip() for s in combo.split("|"))
        what = f"the child's probability given {combo}"
        if kinds.has_options(child):
            parts = dict(_option_value(part, what) for part in value.split(",") if part.strip())
            unknown = sorted(set(parts) - set(child.option_names))
            if unknown:
                raise ForecastError(f"{what}: {unknown[0]!r} is not an option of {child.id!r}")
            values = tuple(parts.get(name, 0.0) for name in child.option_names)
        else:
            values = (check_share(value.strip(), what),)
        given.append((states_typed, values))
    return given


def _option_value(part: str, what: str) -> tuple[str, float]:
    name, sep, number = part.rpartition(":")
    if not sep or not name.strip():
        raise ForecastError(f"{what}: {part.strip()!r} is not OPTION:P")
    return name.strip(), check_share(number.strip(), f"{what} ({name.strip()})")


# --------------------------------------------------------------------------- why it moved


@dataclass(frozen=True)
class Why:
    """One report's part in a linked question's forecast: ``change`` is the forecast with
    it minus without it (leave-one-out), ``via`` the question it is counted on (the
    question itself, or one it is linked to). A report is an echo cluster: one origin, the
    reports carrying it."""

    origin: str
    reports: tuple[str, ...]
    via: str
    change: float | dict[str, float]


def _delta(a: Reading, b: Reading) -> float | dict[str, float]:
    if isinstance(a.headline, dict) and isinstance(b.headline, dict):
        return {k: a.headline[k] - b.headline[k] for k in a.headline}
    assert isinstance(a.headline, float) and isinstance(b.headline, float)
    return a.headline - b.headline


def linked_readings(
    net: Network,
    questions: Mapping[str, Question],
    counted: Counted,
    ends: Mapping[str, datetime],
    resolutions: Mapping[str, Resolution | None],
    days: Mapping[str, int],
) -> tuple[dict[str, Reading], dict[str, list[Why]]]:
    """Every linked question's reading from the network on its evidence (``counted``), and,
    for each, every report's leave-one-out part in it (an echo cluster's reports left out
    together), largest first. ``days``: each question's day (from its opening)."""

    def evidence(c: Counted) -> dict[str | tuple[str, ...], np.ndarray]:
        out: dict[str | tuple[str, ...], np.ndarray] = {}
        for k, q in questions.items():
            r = resolutions[k]
            if r is not None and r.outcome != "annulled":
                out[k] = _known(q, r)
            else:
                out[k] = daily_evidence(q, c.steps[k], np.array([day_index(q.opened, ends[k])]))[0]
        return out

    found = net.marginals(evidence(counted))
    readings = {k: reading(questions[k], found[k], days[k]) for k in questions}
    why: dict[str, list[Why]] = {k: [] for k in questions}
    clusters: dict[str, list[str]] = {}
    for ss in counted.steps.values():
        for st in ss:
            clusters.setdefault(st.origin, [])
            if st.report_id not in clusters[st.origin]:
                clusters[st.origin].append(st.report_id)
    for origin, reports in clusters.items():
        others = net.marginals(evidence(counted.without(set(reports))))
        via = counted.on[reports[0]]
        for k, q in questions.items():
            change = _delta(readings[k], reading(q, others[k], days[k]))
            why[k].append(Why(origin, tuple(reports), via, change))
    for k in why:
        why[k].sort(key=lambda w: -_magnitude(w.change))
    return readings, why


def _magnitude(change: float | dict[str, float]) -> float:
    return max(map(abs, change.values())) if isinstance(change, dict) else abs(change)


# --------------------------------------------------------------------------- day by day


def daily_evidence(q: Question, steps: Sequence[NodeStep], days: np.ndarray) -> np.ndarray:
    """The log-likelihood of ``q``'s own evidence on each of ``days`` (day indices from its
    opening day; negative: before it opened), one row per day: the steps of the reports
    published by then, and for an event question the days before ruled out (silence)."""
    ordered = sorted(steps, key=lambda st: (max(0, st.day), st.order))
    totals = np.zeros((len(ordered) + 1, _size(q)))
    for j, st in enumerate(ordered, start=1):
        totals[j] = totals[j - 1] + st.log_l
    at = np.array([max(0, st.day) for st in ordered], dtype=int)
    out = totals[np.searchsorted(at, days, side="right")]
    if kinds.has_ladder(q):
        for row, t in enumerate(days):
            out[row] = _silenced(q, out[row], int(t))
    return out


# --------------------------------------------------------------------------- the headline


@dataclass(frozen=True)
class GroupDays:
    """A linked group computed day by day, as every face reads it (``Tracker.state``).

    ``probability[k]`` holds question ``k``'s headline on each day from its opening day to
    ``ends[k]``'s day (a choice question: one column per option), ``ladder[k]`` its ladder
    on each (an event question: one column per deadline; else none); ``moves[k]`` each
    report's arrival that moved it (its own reports, and reports on the questions it is
    linked to); ``final[k]`` its node's marginal on its last day. A question resolved by
    then reads, on its resolution day, what was known before its own resolution (its
    trajectory ends there, as an unlinked one does), while the questions linked to it learn
    the outcome that day."""

    probability: dict[str, np.ndarray]
    ladder: dict[str, np.ndarray]
    moves: dict[str, list[Move]]
    final: dict[str, np.ndarray]


_Days = tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]


def group_days(
    net: Network,
    questions: Mapping[str, Question],
    counted: Counted,
    resolutions: Mapping[str, Resolution | None],
    ends: Mapping[str, datetime],
    *,
    moves: bool = True,
    shown: Sequence[str] | None = None,
) -> GroupDays:
    """The network's reading of every question of a linked group (``shown``: of those
    only) on each of its days, and (``moves``) each report's move on each: the state just
    before and just after it, reports taken in the order they were published (a resolution
    on a report's day is read after it). Every report counted in the group moves every
    question of it (by nothing, where the links keep them apart), so a linked question's
    reports are its group's. The moves cost one inference per report; without them,
    ``moves`` is empty.

    The days are remembered (in memory and on the shelf) by everything they are read from:
    the network, the questions, each report's step and day, the resolutions and the ends'
    days."""
    from forecast.clock import day_start

    start = day_start(min(q.opened for q in questions.values()))
    last = max(day_index(start, e) for e in ends.values())
    offsets = {k: day_index(start, q.opened) for k, q in questions.items()}
    known = {
        k: (day_index(start, r.resolved_on), _known(questions[k], r))
        for k, r in resolutions.items()
        if r is not None and r.outcome != "annulled"
    }

    @functools.cache
    def rows() -> dict[str, np.ndarray]:
        """Each question's evidence on each group day (see ``daily_evidence``)."""
        return {
            k: daily_evidence(q, counted.steps[k], np.arange(last + 1) - offsets[k])
            for k, q in questions.items()
        }

    def evidence_on(
        i: int,
        totals: Mapping[str, np.ndarray] | None = None,
        *,
        drop: str = "",
        strictly: bool = False,
    ) -> dict[str | tuple[str, ...], np.ndarray]:
        """The evidence on group day ``i``: each question's reports by then (``totals``:
        those taken so far), a resolution from its day (``strictly``: from the day after)
        unless it is ``drop``'s."""
        out: dict[str | tuple[str, ...], np.ndarray] = {}
        for k, q in questions.items():
            resolved = known.get(k)
            if resolved and k != drop and (resolved[0] < i or (resolved[0] == i and not strictly)):
                out[k] = resolved[1]
            elif totals is None:
                out[k] = rows()[k][i]
            else:
                out[k] = _silenced(q, totals[k], i - offsets[k])
        return out

    end_of = {k: min(day_index(start, ends[k]), last) for k in questions}
    keys = list(questions) if shown is None else [k for k in questions if k in shown]
    order = sorted(questions)
    key = digest(
        net.key,
        [repr(questions[k]) for k in order],
        [[(st.report_id, st.day, st.log_l) for st in counted.steps[k]] for k in order],
        repr([(k, resolutions.get(k), end_of[k]) for k in order]),  # ends: their days
        keys,
    )
    found = _DAYS.get(key)
    if found is None:
        read = _read_days(net, questions, keys, offsets, end_of, known, evidence_on)
        found = _DAYS.put(key, read)
    probability, ladder, final = found
    arrivals = (
        _group_moves(net, questions, counted, offsets, end_of, evidence_on, keys) if moves else {}
    )
    return GroupDays(probability, ladder, arrivals, final)


def _read_days(
    net: Network,
    questions: Mapping[str, Question],
    keys: Sequence[str],
    offsets: Mapping[str, int],
    end_of: Mapping[str, int],
    known: Mapping[str, tuple[int, np.ndarray]],
    evidence_on: Callable[..., dict[str | tuple[str, ...], np.ndarray]],
) -> _Days:
    """The readings of ``keys`` on each of their days (see ``group_days``)."""
    days: dict[str, list[Reading]] = {k: [] for k in keys}
    last = max((end_of[k] for k in keys), default=-1)  # past every shown question's end
    final: dict[str, np.ndarray] = {}
    seen: dict[bytes, dict[str, np.ndarray]] = {}
    for i in range(last + 1):
        # days with the same evidence (past every deadline, no report since) share one
        # inference: the marginals depend on the evidence alone
        evidence = evidence_on(i)
        key = b"".join(np.ascontiguousarray(evidence[k]).tobytes() for k in sorted(questions))
        if key not in seen:
            seen.clear()  # evidence never comes back once it has changed
            seen[key] = net.marginals(evidence, keys)
        found = seen[key]
        for k in keys:
            q = questions[k]
            if offsets[k] <= i <= end_of[k]:
                marginal = found[k]
                if i == end_of[k] and k in known and known[k][0] == i:
                    marginal = net.marginals(evidence_on(i, drop=k), [k])[k]
                days[k].append(reading(q, marginal, i - offsets[k]))
                if i == end_of[k]:
                    final[k] = marginal
    probability, ladder = {}, {}
    for k in keys:
        q, read = questions[k], days[k]
        if kinds.has_options(q):
            probability[k] = np.array([list(r.headline.values()) for r in read])  # type: ignore[union-attr]
        else:
            probability[k] = np.array([r.headline for r in read], dtype=float)
        ladder[k] = np.array([r.ladder for r in read], dtype=float).reshape(len(read), -1)
    return frozen(probability), frozen(ladder), frozen(final)


def _days_kept(found: _Days) -> dict[str, np.ndarray]:
    """A group's days as named arrays for the shelf (see ``_days_read``)."""
    return {f"{part}{k}": v for part, d in zip("plf", found, strict=True) for k, v in d.items()}


def _days_read(kept: dict[str, np.ndarray] | None) -> _Days:
    out: _Days = ({}, {}, {})
    for name, v in (kept or {}).items():
        out["plf".index(name[0])][name[1:]] = v
    return out


# A group's days, by what they are read from (the overview reads every group's each run).
_DAYS: Memo[_Days] = Memo(
    64 * 2**20,
    lambda found: sum(arrays_size(d) for d in found),
    Kept(b"days", _days_kept, _days_read),
)


def _silenced(q: Question, total: np.ndarray, t: int) -> np.ndarray:
    """A question's summed evidence on its day ``t``: an event's days before are ruled out."""
    if not kinds.has_ladder(q):
        return total
    out = total.copy()
    out[: max(0, min(t, len(out) - 1))] = -np.inf
    return out


def _group_moves(
    net: Network,
    questions: Mapping[str, Question],
    counted: Counted,
    offsets: Mapping[str, int],
    end_of: Mapping[str, int],
    evidence_on: Callable[..., dict[str | tuple[str, ...], np.ndarray]],
    keys: Sequence[str],
) -> dict[str, list[Move]]:
    """Each report's move on each of ``keys`` (see ``group_days``)."""
    arrivals: dict[tuple[int, tuple, str], list[tuple[str, NodeStep]]] = {}
    for k, ss in counted.steps.items():
        for st in ss:
            arrivals.setdefault((offsets[k] + max(0, st.day), st.order, st.report_id), []).append(
                (k, st)
            )
    totals = {k: np.zeros(_size(q)) for k, q in questions.items()}
    moves: dict[str, list[Move]] = {k: [] for k in keys}
    day = -1
    after: dict[str, np.ndarray] = {}
    stop = max((end_of[k] for k in keys), default=-1)
    for (i, _, report), found in sorted(arrivals.items()):
        if i > stop:
            break  # every question asked for has ended
        before = after if i == day else net.marginals(evidence_on(i, totals, strictly=True), keys)
        for k0, st in found:
            totals[k0] = totals[k0] + st.log_l
        after = net.marginals(evidence_on(i, totals, strictly=True), keys)
        day = i
        for k in keys:
            q = questions[k]
            if i > end_of[k]:
                continue  # after its resolution: its trajectory has ended
            t = i - offsets[k]  # before it opened: a move that shapes its first day
            b, a = reading(q, before[k], t), reading(q, after[k], t)
            moves[k].append(_move(q, report, max(0, t), b, a))
    return moves


def _move(q: Question, report_id: str, day: int, before: Reading, after: Reading) -> Move:
    """A move on a linked question: its headline's log-odds step (choice: log-weights)."""
    if isinstance(before.headline, dict) and isinstance(after.headline, dict):
        b = np.array(list(before.headline.values()))
        a = np.array(list(after.headline.values()))
        with np.errstate(divide="ignore", invalid="ignore"):
            return Move(report_id, day, np.log(a) - np.log(b), b, a, np.empty(0))
    assert isinstance(before.headline, float) and isinstance(after.headline, float)
    pb, pa = before.headline, after.headline
    with np.errstate(divide="ignore", invalid="ignore"):
        step = float(np.log(pa) - np.log1p(-pa) - (np.log(pb) - np.log1p(-pb)))
    return Move(report_id, day, step, pb, pa, np.array(after.ladder))


def linked_trajectory(own: Trajectory, found: GroupDays) -> Trajectory:
    """A linked question's trajectory: the network's reading of it on each of its days."""
    q = own.question
    log_weights = None
    if kinds.has_ladder(q):
        with np.errstate(divide="ignore"):
            log_weights = np.log(found.final[q.id])
    moves = found.moves.get(q.id, [])
    return Trajectory(
        q, own.first_day, found.probability[q.id], found.ladder[q.id], moves, log_weights
    )


def explain_linked(
    net: Network,
    questions: Mapping[str, Question],
    counted: Counted,
    resolutions: Mapping[str, Resolution | None],
    end: datetime,
    target: str,
    moves: Sequence[Move],
) -> list[Contribution]:
    """Each report's part in ``target``'s forecast on its last day (``end``), leave-one-out:
    the forecast there without that report, the rest of the group as it stood (``target``'s
    own resolution left out, as its trajectory ends before it). One per move, in order;
    ``via`` names the question the report is counted on when it is not ``target``."""

    def settled(k: str) -> bool:  # another question's outcome, known by then: its evidence
        r = resolutions[k]
        return k != target and r is not None and r.outcome != "annulled" and r.resolved_on <= end

    def own(k: str, without: str = "") -> np.ndarray:
        q = questions[k]
        if settled(k):
            return _known(q, resolutions[k])  # type: ignore[arg-type]
        steps = [st for st in counted.steps[k] if st.report_id != without]
        return daily_evidence(q, steps, np.array([day_index(q.opened, end)]))[0]

    base: dict[str | tuple[str, ...], np.ndarray] = {k: own(k) for k in questions}
    on = {k: set() if settled(k) else {st.report_id for st in counted.steps[k]} for k in questions}
    q = questions[target]
    day = max(0, day_index(q.opened, end))
    out = []
    for move in moves:
        # only the questions the report has a step on change
        evidence = dict(base)
        evidence.update((k, own(k, move.report_id)) for k in questions if move.report_id in on[k])
        found = net.marginals(evidence, [target])[target]
        gone = reading(q, found, day)
        without: float | np.ndarray = (
            np.array([gone.headline[o] for o in q.option_names])
            if isinstance(gone.headline, dict)
            else gone.headline
        )
        jump = move.after - move.before
        out.append(
            Contribution(
                move.report_id, move.increment, jump, without, counted.via(target, move.report_id)
            )
        )
    return out
