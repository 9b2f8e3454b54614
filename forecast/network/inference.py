"""Exact inference over linked questions, with each question's evidence as a likelihood.

The network's prior is the product of the root priors and the links' tables,
``P(x) = prod_i P(x_i | parents_i)``. A question's own evidence is not an observed state but
a likelihood over its states, ``L(x_i) = P(evidence | x_i)``: layer 1 sums a report's log
terms into it, and an event question's silence puts 0 on the days already past. Bayes with
such (soft, or "virtual") evidence is

    P(x | evidence)  ∝  P(x) · prod_i L_i(x_i) · prod_f L_f(x_f),

where ``L_f`` is a likelihood over a combination of questions: a report assessed against two
linked questions is one observation, so it enters once, as a table over both, rather than
twice as if it were two independent reports.

Only the ratios within a likelihood matter, so a likelihood is taken as log-values (callers
add report terms), shifted by its largest value before ``exp`` (no overflow; -inf, ruled
out, becomes 0).

**Why a virtual child gives a joint likelihood.** Add a binary node ``V_f`` whose parents are
the questions of ``f``, with ``P(V_f = yes | x_f) = L_f(x_f) / max L_f``, and observe
``V_f = yes``. The observation multiplies the joint by ``P(V_f = yes | x_f)``, which is
``L_f(x_f)`` up to a constant, and no node depends on ``V_f``, so nothing else changes. A
single-question likelihood is given to pyAgrum directly as soft evidence, which is the same
construction with one parent.

pyAgrum's ``LazyPropagation`` does the exact inference on the junction tree of the network.
A ``Network`` builds the Bayesian network once and keeps one propagation engine per set of
joint-evidence scopes (and, within it, one per set of questions whose joint is asked): a
day's inference only changes evidence, and only a new value in a joint table (a new report
on that combination) makes its engines afresh.

**Impossible evidence.** If no combination of states has both a positive probability and a
positive likelihood, there is no posterior; ``marginals`` says which question's evidence
rules out all its links allow, or that the evidence does so together, rather than return
NaN. Whether it is impossible depends only on which entries are 0, so that is decided on the
network's support, where very strong but possible evidence cannot underflow to 0.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np
import pyagrum as gum
from numpy.typing import ArrayLike

from forecast.network.graph import (
    YES,
    Link,
    NetworkError,
    Node,
    check_links,
    check_nodes,
    known,
    named,
    quoted,
    topological,
)
from forecast.network.memo import Kept, Memo, arrays_size, digest, frozen

Scope = tuple[str, ...]
MEMO_BYTES = 32 * 2**20  # the marginals a network remembers, by their evidence (see memo)
_Aim = tuple[str, frozenset[int]]  # what a propagation engine is for (see ``_Engine._infer``)
Evidence = Mapping[str | Scope, ArrayLike]


class Network:
    """A compiled network of linked questions: build once, then ask ``marginals`` often."""

    def __init__(self, nodes: Sequence[Node], links: Sequence[Link] = ()):
        self.nodes = check_nodes(nodes)
        self.links = check_links(self.nodes, links)
        self.key = network_key(nodes, links)  # the same for the same tables, byte for byte
        self.keys = topological(self.nodes, self.links)
        self._engines: dict[tuple[Scope, ...], _Engine] = {}
        self._support: Network | None = None  # built when evidence proves impossible
        # pyAgrum's engines keep state between calls: one computation at a time
        self._lock = threading.RLock()
        self._memo: Memo[dict[str, np.ndarray]] = Memo(
            MEMO_BYTES, arrays_size, Kept(b"marginals" + self.key, _arrays, _arrays)
        )
        self._patterns: Memo[tuple[bool]] = Memo(4096, lambda _: 1)  # possible, by zeros

    @functools.cached_property
    def _built(self) -> tuple[gum.BayesNet, dict[str, int]]:
        """pyAgrum's network and each key's node id, built when first inferred from (a
        network whose results are all remembered never is)."""
        return _build(self.nodes, self.links, self.keys)

    @property
    def _bn(self) -> gum.BayesNet:
        return self._built[0]

    @property
    def _ids(self) -> dict[str, int]:
        return self._built[1]

    def states(self, key: str) -> int:
        return known(self.nodes, key).states

    def marginals(
        self, evidence: Evidence | None = None, keys: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """P(state | evidence) of every question (``keys``: of those only), by key.

        ``evidence`` maps a question's key to a log-likelihood vector over its states, or a
        tuple of keys to a log-likelihood array over their combined states (shape: their
        states in that order). -inf rules a state out; a constant adds nothing. With no
        evidence the marginals are the priors the links imply.
        """
        given = evidence or {}
        wanted = list(keys or self.keys)
        # keyed by the evidence as given: a remembered result was checked when computed
        values = [np.asarray(v, dtype=float) for v in given.values()]
        key = digest(repr(list(given)), values, repr(wanted))
        remembered = self._memo.get(key)
        if remembered is not None:
            return dict(remembered)
        likelihoods = self._likelihoods(given)
        with self._lock:
            return dict(self._memo.put(key, frozen(self._marginals(likelihoods, wanted))))

    def _marginals(
        self, likelihoods: dict[Scope, np.ndarray], wanted: list[str]
    ) -> dict[str, np.ndarray]:
        if not self._possible(likelihoods):
            raise self._impossible(likelihoods)
        engine = self._engine(likelihoods)
        # only some: an engine with those as its targets computes nothing for the others
        targets = None if len(wanted) == len(self.keys) else frozenset(self._ids[k] for k in wanted)
        # possible, yet pyAgrum finds P(evidence) = 0 or no number: the evidence is too
        # improbable for the product of its numbers to be represented
        ie = engine.run(likelihoods, targets)
        out: dict[str, np.ndarray] | None = None
        if ie is not None:
            with suppress(gum.IncompatibleEvidence):
                out = {key: _posterior(ie, self._ids[key]) for key in wanted}
        if out is None or not all(np.all(np.isfinite(p)) for p in out.values()):
            raise NetworkError("the evidence is too improbable to compute the marginals")
        return out

    def joint(self, evidence: Evidence | None, keys: Sequence[str]) -> np.ndarray:
        """P(states of ``keys`` together | evidence): an array with one axis per key, in
        their order (several distinct questions)."""
        if len(set(keys)) != len(keys) or len(keys) < 2:
            raise NetworkError("a joint is of two or more distinct questions")
        likelihoods = self._likelihoods(evidence or {})
        with self._lock:
            if not self._possible(likelihoods):
                raise self._impossible(likelihoods)
            found = self._engine(likelihoods).joint(likelihoods, [self._ids[k] for k in keys])
        if found is None or not np.all(np.isfinite(found)):
            raise NetworkError("the evidence is too improbable to compute the marginals")
        return found

    def _likelihoods(self, evidence: Evidence) -> dict[Scope, np.ndarray]:
        """The likelihood of each question or combination with evidence, informative ones
        only, in a fixed order; several entries for one question or scope are multiplied."""
        logs: dict[Scope, np.ndarray] = {}
        for where, values in evidence.items():
            scope = (where,) if isinstance(where, str) else tuple(where)
            log = self._log_likelihood(scope, values)
            logs[scope] = logs[scope] + log if scope in logs else log
        out = {scope: _likelihood(logs[scope], named(scope)) for scope in sorted(logs)}
        return {scope: v for scope, v in out.items() if not np.all(v == 1.0)}  # flat: nothing

    def _log_likelihood(self, scope: Scope, values: ArrayLike) -> np.ndarray:
        if not scope:
            raise NetworkError("evidence must name at least one question")
        shape = tuple(self.states(key) for key in scope)
        if len(set(scope)) != len(scope):
            raise NetworkError(f"evidence on {named(scope)} names a question twice")
        log = np.asarray(values, dtype=float)
        if log.shape != shape:
            raise NetworkError(f"evidence on {named(scope)} has shape {log.shape}, not {shape}")
        if np.any(np.isnan(log) | (log == np.inf)):
            raise NetworkError(f"evidence on {named(scope)} has a log-likelihood of NaN or +inf")
        return log

    def _engine(self, likelihoods: dict[Scope, np.ndarray]) -> _Engine:
        scopes = tuple(scope for scope in likelihoods if len(scope) > 1)
        if scopes not in self._engines:
            self._engines[scopes] = _Engine.build(self._bn, self._ids, scopes)
        return self._engines[scopes]

    def _possible(self, likelihoods: dict[Scope, np.ndarray]) -> bool:
        """Whether some combination of states has a positive probability and likelihood.

        Likelihoods above 0 everywhere always leave one: P(evidence) is then a mean of
        positive numbers under the network's prior. Otherwise only which entries are 0
        matters, so the question is put to this network's *support* (each table uniform
        over the states it allows, each likelihood 1 where it allows a state), where no
        product of small numbers can underflow to 0; the answer is remembered by that
        pattern of zeros. pyAgrum cannot be left to say so: it takes a likelihood that
        leaves one state as an observation, and an observation of a state of probability 0
        passes unnoticed, as does evidence on questions a propagation for some targets
        leaves out."""
        zeros = {scope: v > 0.0 for scope, v in likelihoods.items() if not np.all(v > 0.0)}
        if not zeros or self._witness(zeros):
            return True
        key = digest(repr(list(zeros)), list(zeros.values()))
        found = self._patterns.get(key)
        if found is None:
            with self._lock:
                if self._support is None:
                    self._support = Network(*_supports(self.nodes, self.links))
                allowed = {scope: mask.astype(float) for scope, mask in zeros.items()}
                support = self._support._engine(allowed)
                found = self._patterns.put(key, (support.probability(allowed) > 0.0,))
        return found[0]

    def _witness(self, allowed: dict[Scope, np.ndarray]) -> bool:
        """Whether a quick search finds a combination of states that proves the evidence
        possible: each question, parents first, takes of the states its evidence allows the
        likeliest given the states its parents took. Finding one is a proof (its probability
        and likelihood are above 0); not finding one proves nothing."""
        chosen: dict[str, int] = {}
        for key in self.keys:
            link = self.links.get(key)
            if link is None:
                p = np.asarray(self.nodes[key].prior, dtype=float)
            else:
                p = np.asarray(link.table, dtype=float)[tuple(chosen[k] for k in link.parents)]
            mask = allowed.get((key,))
            if mask is not None:
                p = np.where(mask, p, 0.0)
            if not p.max() > 0.0:
                return False
            chosen[key] = int(np.argmax(p))
        return all(
            bool(mask[tuple(chosen[k] for k in scope)])
            for scope, mask in allowed.items()
            if len(scope) > 1
        )

    def _impossible(self, likelihoods: dict[Scope, np.ndarray]) -> NetworkError:
        """Name the question whose evidence alone rules out every state its links allow, or
        else every question the evidence is on."""
        for scope, likelihood in likelihoods.items():
            if len(scope) == 1 and not self._possible({scope: likelihood}):
                return NetworkError(
                    f"the evidence on {quoted(scope[0])} rules out every state its links allow"
                )
        keys = sorted({key for scope in likelihoods for key in scope})
        return NetworkError(
            f"the evidence on {named(keys)} is impossible: together it rules out "
            "every combination of states the links allow"
        )


def _arrays(found: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Marginals as the shelf keeps them (never None)."""
    assert found is not None
    return found


def network_key(nodes: Sequence[Node], links: Sequence[Link]) -> bytes:
    """A digest of a network's nodes and tables: what its results are computed from."""
    return digest(
        [(n.key, n.states, None if n.prior is None else np.asarray(n.prior, float)) for n in nodes],
        [(k.child, k.parents, np.asarray(k.table, float)) for k in links],
    )


@dataclass
class _Engine:
    """One Bayesian network (the compiled one, plus a virtual child per joint scope) and its
    propagation engine, kept across calls."""

    bn: gum.BayesNet
    ids: dict[str, int]
    virtual: dict[Scope, int]
    tables: dict[Scope, np.ndarray] = field(default_factory=dict)
    engines: dict[_Aim, gum.LazyPropagation] = field(default_factory=dict)

    @classmethod
    def build(cls, base: gum.BayesNet, ids: dict[str, int], scopes: tuple[Scope, ...]) -> _Engine:
        bn = gum.BayesNet(base) if scopes else base
        virtual = {
            scope: _virtual_child(bn, [ids[k] for k in scope], n) for n, scope in enumerate(scopes)
        }
        return cls(bn, ids, virtual)

    def run(
        self, likelihoods: dict[Scope, np.ndarray], targets: frozenset[int] | None = None
    ) -> gum.LazyPropagation | None:
        """Propagate the evidence for the marginals of ``targets`` (default: every node's):
        the propagation engine, or None where pyAgrum finds the evidence incompatible. That
        it is possible is for the caller to know first (``Network._possible``)."""
        aim: _Aim = ("some", targets) if targets else ("all", frozenset())
        try:
            return self._infer(likelihoods, aim)
        except gum.IncompatibleEvidence:
            return None

    def probability(self, likelihoods: dict[Scope, np.ndarray]) -> float:
        """P(evidence): 0 where pyAgrum finds it incompatible."""
        try:
            return float(self._infer(likelihoods, ("all", frozenset())).evidenceProbability())
        except gum.IncompatibleEvidence:
            return 0.0

    def joint(self, likelihoods: dict[Scope, np.ndarray], nodes: list[int]) -> np.ndarray | None:
        """The joint posterior of ``nodes`` (axes in their order) under the evidence, in one
        propagation; None if the evidence has probability 0."""
        try:
            ie = self._infer(likelihoods, ("joint", frozenset(nodes)))
            # no separate P(evidence) here (it costs a propagation of its own): an
            # impossible evidence shows as a table that is not a distribution
            table = ie.jointPosterior(set(nodes))
        except gum.IncompatibleEvidence:
            return None
        # pyAgrum lists a table with its last variable first
        found = np.array(table.tolist(), dtype=float).transpose()
        if not (np.all(np.isfinite(found)) and abs(found.sum() - 1.0) < 1e-9):
            return None
        names = list(table.names)
        order = [names.index(self.bn.variable(n).name()) for n in nodes]
        return np.transpose(found, order)

    def _infer(self, likelihoods: dict[Scope, np.ndarray], aim: _Aim) -> gum.LazyPropagation:
        """Propagate the evidence in the engine for ``aim``: every node's marginal
        ("all"), some nodes' ("some"), or the joint of some ("joint"). An engine is kept per
        aim, whose only targets are those: a propagation computes nothing else."""
        for scope, node in self.virtual.items():
            self._set_joint(scope, node, likelihoods[scope])
        ie = self.engines.get(aim)
        if ie is None:
            ie = gum.LazyPropagation(self.bn)
            # One thread: several would add the same terms in an order that varies from run
            # to run, and the same evidence must give the same probabilities to the last bit.
            ie.setNumberOfThreads(1)
            what, nodes = aim
            if what != "all":
                ie.eraseAllTargets()
            if what == "joint":
                ie.addJointTarget(set(nodes))
            for node in nodes if what == "some" else ():
                ie.addTarget(node)
            if len(self.engines) >= _ENGINES:  # each holds its own messages
                del self.engines[next(iter(self.engines))]
            self.engines[aim] = ie
        ie.eraseAllEvidence()
        for scope, likelihood in likelihoods.items():
            if len(scope) == 1:
                ie.addEvidence(self.ids[scope[0]], likelihood.tolist())
        for node in self.virtual.values():
            ie.addEvidence(node, YES)
        ie.makeInference()
        return ie

    def _set_joint(self, scope: Scope, node: int, likelihood: np.ndarray) -> None:
        """Write a joint likelihood into its virtual child's table if it changed. The
        propagation engine is then made afresh: it does not follow a table's values."""
        old = self.tables.get(scope)
        if old is not None and np.array_equal(old, likelihood):
            return
        rows = np.stack([1.0 - likelihood, likelihood], axis=-1)  # NO, YES
        _fill(self.bn, node, [self.ids[k] for k in scope], rows)
        self.tables[scope] = likelihood
        self.engines.clear()


_ENGINES = 16  # the propagation engines kept per set of joint scopes, oldest dropped first


def _posterior(ie: gum.LazyPropagation, node: int) -> np.ndarray:
    # through a list: ``toarray`` reshapes in place, which numpy now deprecates
    return np.array(ie.posterior(node).tolist(), dtype=float)


def _supports(nodes: dict[str, Node], links: dict[str, Link]) -> tuple[list[Node], list[Link]]:
    """The nodes and links with each probability vector made uniform over its nonzero
    entries: the same possible combinations, none of them improbable."""

    def uniform(p: np.ndarray) -> np.ndarray:
        allowed = (np.asarray(p) > 0.0).astype(float)
        return allowed / allowed.sum(axis=-1, keepdims=True)

    support_nodes = [
        Node(n.key, n.states, None if n.prior is None else uniform(n.prior)) for n in nodes.values()
    ]
    support_links = [Link(k.child, k.parents, uniform(k.table)) for k in links.values()]
    return support_nodes, support_links


def _build(
    nodes: dict[str, Node], links: dict[str, Link], order: list[str]
) -> tuple[gum.BayesNet, dict[str, int]]:
    """The Bayesian network: a variable per question, arcs from each link's parents in the
    link's order, and the roots' priors and the links' tables as its tables."""
    bn = gum.BayesNet()
    ids: dict[str, int] = {}
    for n, key in enumerate(order):
        ids[key] = bn.add(gum.LabelizedVariable(f"q{n}", key, nodes[key].states))
        link = links.get(key)
        if link is None:
            _fill(bn, ids[key], [], np.asarray(nodes[key].prior, dtype=float))
            continue
        parents = [ids[p] for p in link.parents]
        for parent in parents:
            bn.addArc(parent, ids[key])
        _fill(bn, ids[key], parents, np.asarray(link.table, dtype=float))
    return bn, ids


def _virtual_child(bn: gum.BayesNet, parents: list[int], n: int) -> int:
    node = int(bn.add(gum.LabelizedVariable(f"joint{n}", "joint evidence", 2)))
    for parent in parents:
        bn.addArc(parent, node)
    return node


def _fill(bn: gum.BayesNet, node: int, parents: Sequence[int], table: np.ndarray) -> None:
    """Write ``table`` (axes: ``parents`` in order, then the node) into the node's CPT.

    pyAgrum stores a table flat with its first variable (the node itself) varying fastest,
    the reverse of numpy's row-major order, so the axes are laid out in reverse of its order
    of variables before flattening."""
    cpt = bn.cpt(node)
    axes = [bn.variable(i).name() for i in (*parents, node)]
    order = [axes.index(name) for name in reversed(cpt.names)]
    cpt.fillWith(np.transpose(table, order).ravel().tolist())


def _likelihood(log: np.ndarray, where: str) -> np.ndarray:
    top = np.max(log)
    if top == -np.inf:
        raise NetworkError(f"the evidence on {where} rules out every state")
    return np.exp(log - top)
