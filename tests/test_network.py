"""Linked questions (issue 15): hand-computed marginals, two independent oracles, the rules.

The hand values use one link: A is binary with prior 0.4, and P(B | A) = 0.8, P(B | not A)
= 0.1. The joint is P(A, B) = 0.32, P(A, not B) = 0.08, P(not A, B) = 0.06, P(not A, not B)
= 0.54. Random networks are checked against pgmpy's variable elimination with virtual
evidence, and against a brute-force sum over the whole joint in numpy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from pgmpy.factors.discrete import TabularCPD
from pgmpy.inference import VariableElimination
from pgmpy.models import DiscreteBayesianNetwork

from forecast.clock import parse_time
from forecast.domain import Kind, Question
from forecast.errors import NotFound
from forecast.event_dates import Calendar
from forecast.network import (
    NO,
    YES,
    Link,
    Network,
    NetworkError,
    Node,
    binary_prior,
    binary_rows,
    binary_yes,
    event_prior,
    event_rows,
    event_yes,
    if_yes,
)

EXACT = 1e-12
OPENED = parse_time("2025-01-01")
RULED_OUT = -math.inf


def a_to_b() -> Network:
    link = Link("B", ("A",), binary_rows(if_yes(binary_yes(), 0.8, 0.1)))
    return Network([Node("A", 2, binary_prior(0.4)), Node("B", 2)], [link])


def lr(value: float) -> np.ndarray:
    """The log-likelihood of a binary question's report with likelihood ratio ``value``."""
    log = np.zeros(2)
    log[YES] = math.log(value)
    return log


def event_question(prior: float = 0.3, created: int = 0) -> Question:
    return Question(
        "e",
        "event",
        Kind.EVENT,
        OPENED,
        prior=prior,
        alpha=1.0,
        deadlines=(OPENED + timedelta(days=60), OPENED + timedelta(days=120)),
        created_at=OPENED + timedelta(days=created),
    )


def silence(size: int, day: int) -> np.ndarray:
    """The log-likelihood of silence on ``day``: the days before it are ruled out."""
    log = np.zeros(size)
    log[:day] = RULED_OUT
    return log


# --------------------------------------------------------------------------- hand values


def test_no_evidence_gives_the_prior_the_link_implies() -> None:
    m = a_to_b().marginals()
    assert m["A"][YES] == pytest.approx(0.4, abs=EXACT)
    assert m["B"][YES] == pytest.approx(0.38, abs=EXACT)  # 0.4 * 0.8 + 0.6 * 0.1


def test_evidence_on_the_parent_moves_the_child() -> None:
    m = a_to_b().marginals({"A": lr(3.0)})
    assert m["A"][YES] == pytest.approx(2 / 3, abs=EXACT)  # odds 0.4/0.6 * 3 = 2
    assert m["B"][YES] == pytest.approx(17 / 30, abs=EXACT)  # 0.8 * 2/3 + 0.1 * 1/3


def test_evidence_on_the_child_moves_the_parent() -> None:
    # weights: A: 0.32 * 4 + 0.08 = 1.36; not A: 0.06 * 4 + 0.54 = 0.78; total 2.14
    m = a_to_b().marginals({"B": lr(4.0)})
    assert m["A"][YES] == pytest.approx(1.36 / 2.14, abs=EXACT)
    assert m["B"][YES] == pytest.approx(1.52 / 2.14, abs=EXACT)  # 0.32 * 4 + 0.06 * 4


def test_marginals_sum_to_one_and_a_flat_likelihood_adds_nothing() -> None:
    net = a_to_b()
    m = net.marginals({"A": [5.0, 5.0], "B": lr(4.0)})
    assert m["A"][YES] == pytest.approx(1.36 / 2.14, abs=EXACT)
    assert all(v.sum() == pytest.approx(1.0, abs=EXACT) for v in m.values())


def test_terms_for_one_question_multiply() -> None:
    net = a_to_b()
    both = net.marginals({"A": lr(3.0), ("A",): lr(2.0)})
    assert both["A"][YES] == pytest.approx(net.marginals({"A": lr(6.0)})["A"][YES], abs=EXACT)


def test_a_single_question_is_prior_times_likelihood() -> None:
    prior = np.array([0.5, 0.3, 0.2])
    log = np.array([0.2, RULED_OUT, -1.3])
    m = Network([Node("C", 3, prior)]).marginals({"C": log})
    expected = prior * np.exp(log)
    np.testing.assert_allclose(m["C"], expected / expected.sum(), rtol=0, atol=EXACT)


def test_large_log_likelihoods_do_not_overflow() -> None:
    m = a_to_b().marginals({"A": np.array([1000.0, 1000.0 + math.log(3.0)])})
    assert m["A"][YES] == pytest.approx(2 / 3, abs=EXACT)


def test_a_choice_parent_with_a_probability_per_option() -> None:
    prior = np.array([0.5, 0.3, 0.2])
    link = Link("B", ("C",), binary_rows([0.1, 0.5, 0.9]))
    net = Network([Node("C", 3, prior), Node("B", 2)], [link])
    assert net.marginals()["B"][YES] == pytest.approx(0.05 + 0.15 + 0.18, abs=EXACT)


def test_a_choice_child_with_a_vector_per_parent_state() -> None:
    rows = if_yes(binary_yes(), [0.7, 0.2, 0.1], [0.1, 0.3, 0.6])
    assert rows.shape == (2, 3)
    net = Network([Node("A", 2, binary_prior(0.4)), Node("C", 3)], [Link("C", ("A",), rows)])
    np.testing.assert_allclose(
        net.marginals()["C"], 0.4 * rows[YES] + 0.6 * rows[NO], rtol=0, atol=EXACT
    )


# --------------------------------------------------------------------------- event questions


def test_an_event_parent_moves_the_child_day_by_day_in_silence() -> None:
    # P(child) = p_yes P(by D | t) + p_no (1 - P(by D | t)), P(by D | t) = mass(t..D) / mass(t..end)
    calendar = Calendar(event_question())
    deadline = OPENED + timedelta(days=60)
    table = binary_rows(if_yes(event_yes(calendar, deadline), 0.7, 0.2))
    net = Network(
        [Node("E", calendar.size, event_prior(calendar)), Node("B", 2)],
        [Link("B", ("E",), table)],
    )
    w = event_prior(calendar)
    for day in range(calendar.size):
        by = w[day:61].sum() / w[day:].sum()
        m = net.marginals({"E": silence(calendar.size, day)})
        assert m["B"][YES] == pytest.approx(0.7 * by + 0.2 * (1 - by), abs=EXACT), day
        assert m["E"][61:].sum() == pytest.approx(1 - by, abs=EXACT), day


def test_event_yes_is_the_days_up_to_the_deadline() -> None:
    calendar = Calendar(event_question())
    yes = event_yes(calendar, OPENED + timedelta(days=60, hours=23))
    assert yes[:61].all() and not yes[61:].any()
    assert len(yes) == calendar.size == 122  # days 0..120 and "later or never"


def test_an_event_child_row_at_its_own_prior_is_its_prior() -> None:
    q = event_question(prior=0.3, created=10)
    calendar = Calendar(q)
    row = event_rows(calendar, [0.3])[0]
    w = np.exp(calendar.prior())
    np.testing.assert_allclose(row, w / w.sum(), rtol=0, atol=EXACT)


def test_an_event_child_rows_hold_the_link_probability_by_the_deadline() -> None:
    calendar = Calendar(event_question(prior=0.3, created=10))
    rows = event_rows(calendar, if_yes(binary_yes(), 0.7, 0.2))
    assert rows[YES, :61].sum() == pytest.approx(0.7, abs=EXACT)
    assert rows[NO, :61].sum() == pytest.approx(0.2, abs=EXACT)
    assert not rows[:, :10].any()  # days before the anchor (creation) carry no mass
    net = Network(
        [Node("A", 2, binary_prior(0.4)), Node("E", calendar.size)],
        [Link("E", ("A",), rows)],
    )
    m = net.marginals({"A": lr(3.0)})
    assert m["E"][:61].sum() == pytest.approx(2 / 3 * 0.7 + 1 / 3 * 0.2, abs=EXACT)


def test_an_event_child_at_the_ends_of_probability() -> None:
    calendar = Calendar(event_question(created=10))
    rows = event_rows(calendar, [0.0, 1.0])
    assert rows[0, -1] == 1.0  # never: all on "later or never"
    assert rows[1, 10] == 1.0  # certain: on the day the prior was stated


def test_an_event_child_of_an_event_parent() -> None:
    # the child's P(by its first deadline) is 0.7 if the parent happened by day 60, else 0.2
    parent, child = Calendar(event_question(prior=0.4)), Calendar(event_question(prior=0.3))
    rows = event_rows(child, if_yes(event_yes(parent, OPENED + timedelta(days=60)), 0.7, 0.2))
    assert rows.shape == (parent.size, child.size)
    net = Network(
        [Node("P", parent.size, event_prior(parent)), Node("C", child.size)],
        [Link("C", ("P",), rows)],
    )
    w = event_prior(parent)
    for day in (0, 30, 59, 60, 61, 100):
        by = w[day:61].sum() / w[day:].sum()
        m = net.marginals({"P": silence(parent.size, day)})
        assert m["C"][:61].sum() == pytest.approx(0.7 * by + 0.2 * (1 - by), abs=EXACT), day


# --------------------------------------------------------------------------- joint evidence


def test_a_joint_likelihood_that_factorises_is_two_separate_ones() -> None:
    net = a_to_b()
    la, lb = np.array([0.3, -0.4]), np.array([0.5, RULED_OUT])
    separate = net.marginals({"A": la, "B": lb})
    joint = net.marginals({("A", "B"): la[:, None] + lb[None, :]})
    for key in ("A", "B"):
        np.testing.assert_allclose(joint[key], separate[key], rtol=0, atol=EXACT)


def test_a_joint_report_counts_once() -> None:
    # one report with LR 4 for "A and B" against everything else: weight 4 on P(A, B) only
    log = np.zeros((2, 2))
    log[YES, YES] = math.log(4.0)
    m = a_to_b().marginals({("A", "B"): log})
    assert m["A"][YES] == pytest.approx((1.28 + 0.08) / 1.96, abs=EXACT)
    assert m["B"][YES] == pytest.approx((1.28 + 0.06) / 1.96, abs=EXACT)


def test_joint_evidence_comes_and_goes() -> None:
    net = a_to_b()
    log = np.zeros((2, 2))
    log[YES, YES] = math.log(4.0)
    assert net.marginals({("A", "B"): log})["A"][YES] == pytest.approx(1.36 / 1.96, abs=EXACT)
    assert net.marginals({"A": lr(3.0)})["A"][YES] == pytest.approx(2 / 3, abs=EXACT)
    log[YES, YES] = math.log(2.0)  # the same scope with other values
    assert net.marginals({("A", "B"): log})["A"][YES] == pytest.approx(0.72 / 1.32, abs=EXACT)


def test_a_joint_likelihood_over_parents_in_either_order() -> None:
    net = a_to_b()
    log = np.log(np.array([[1.0, 2.0], [3.0, 5.0]]))  # axes: A, B
    np.testing.assert_allclose(
        net.marginals({("A", "B"): log})["A"],
        net.marginals({("B", "A"): log.T})["A"],
        rtol=0,
        atol=EXACT,
    )


# --------------------------------------------------------------------------- oracles


def random_network(rng: np.random.Generator) -> tuple[list[Node], list[Link]]:
    """Five or six questions of two to four states; each later one has up to three parents
    among the earlier ones (so some children have several), tables drawn from a Dirichlet."""
    n = int(rng.integers(5, 7))
    states = [int(rng.integers(2, 5)) for _ in range(n)]
    nodes, links = [], []
    for i in range(n):
        k = min(i, int(rng.integers(0, 4)))
        parents = sorted(rng.choice(i, size=k, replace=False).tolist()) if k else []
        if not parents:
            nodes.append(Node(f"q{i}", states[i], rng.dirichlet(np.ones(states[i]))))
            continue
        nodes.append(Node(f"q{i}", states[i]))
        shape = tuple(states[p] for p in parents)
        table = rng.dirichlet(np.full(states[i], 0.7), size=shape)
        links.append(Link(f"q{i}", tuple(f"q{p}" for p in parents), table))
    return nodes, links


def random_evidence(rng: np.random.Generator, nodes: list[Node]) -> dict:
    evidence: dict = {}
    for node in nodes:
        if rng.random() < 0.7:
            log = rng.normal(0, 1.5, node.states)
            log[rng.random(node.states) < 0.2] = RULED_OUT
            log[rng.integers(node.states)] = 0.0  # never all ruled out
            evidence[node.key] = log
    return evidence


def random_joint(rng: np.random.Generator, nodes: list[Node]) -> dict:
    a, b = rng.choice(len(nodes), size=2, replace=False)
    scope = (nodes[a].key, nodes[b].key)
    return {scope: rng.normal(0, 1.0, (nodes[a].states, nodes[b].states))}


def brute_force(nodes: list[Node], links: list[Link], evidence: dict) -> dict[str, np.ndarray]:
    """Every marginal by summing the whole joint, P(x) prod L, over every combination."""
    keys = [n.key for n in nodes]
    by_key = {n.key: n for n in nodes}
    by_child = {link.child: link for link in links}
    total = {k: np.zeros(by_key[k].states) for k in keys}
    for combo in itertools.product(*(range(n.states) for n in nodes)):
        x = dict(zip(keys, combo, strict=True))
        p = 1.0
        for k in keys:
            link = by_child.get(k)
            if link is None:
                p *= by_key[k].prior[x[k]]  # type: ignore[index]
            else:
                p *= link.table[(*(x[q] for q in link.parents), x[k])]
        for where, log in evidence.items():
            scope = (where,) if isinstance(where, str) else where
            p *= math.exp(log[tuple(x[k] for k in scope)])
        for k in keys:
            total[k][x[k]] += p
    return {k: v / v.sum() for k, v in total.items()}


def pgmpy_marginals(nodes: list[Node], links: list[Link], evidence: dict) -> dict:
    """The same marginals from pgmpy: each question's likelihood as its virtual evidence,
    each joint likelihood as an observed child with P(seen | x) = L(x) / max L."""
    by_child = {link.child: link for link in links}
    model = DiscreteBayesianNetwork()
    model.add_nodes_from([n.key for n in nodes])
    for node in nodes:
        link = by_child.get(node.key)
        if link is None:
            model.add_cpds(TabularCPD(node.key, node.states, node.prior.reshape(-1, 1)))  # type: ignore[union-attr]
            continue
        model.add_edges_from([(p, node.key) for p in link.parents])
        cards = list(link.table.shape[:-1])
        values = link.table.reshape(-1, node.states).T
        model.add_cpds(TabularCPD(node.key, node.states, values, list(link.parents), cards))
    virtual, seen = [], {}
    for n, (where, log) in enumerate(evidence.items()):
        likelihood = np.exp(log - np.max(log))
        if isinstance(where, str):
            virtual.append(TabularCPD(where, len(log), (likelihood / likelihood.sum())[:, None]))
            continue
        name = f"seen{n}"
        model.add_edges_from([(k, name) for k in where])
        rows = np.stack([likelihood.ravel(), 1.0 - likelihood.ravel()])
        model.add_cpds(TabularCPD(name, 2, rows, list(where), list(likelihood.shape)))
        seen[name] = 0
    model.check_model()
    out = {}
    for node in nodes:
        query = VariableElimination(model).query(
            [node.key], evidence=seen, virtual_evidence=virtual or None, show_progress=False
        )
        out[node.key] = np.asarray(query.values, dtype=float)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_agree_with_pgmpy_and_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nodes, links = random_network(rng)
    net = Network(nodes, links)
    for evidence in (random_evidence(rng, nodes), random_evidence(rng, nodes)):
        ours = net.marginals(evidence)
        oracle = pgmpy_marginals(nodes, links, evidence)
        for key, value in brute_force(nodes, links, evidence).items():
            np.testing.assert_allclose(ours[key], oracle[key], rtol=0, atol=1e-9)
            np.testing.assert_allclose(ours[key], value, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_random_joint_evidence_agrees_with_pgmpy_and_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    nodes, links = random_network(rng)
    net = Network(nodes, links)
    # the same network asked again with other joint values: its engine must follow them
    for _ in range(3):
        evidence = {**random_evidence(rng, nodes), **random_joint(rng, nodes)}
        ours = net.marginals(evidence)
        oracle = pgmpy_marginals(nodes, links, evidence)
        for key, value in brute_force(nodes, links, evidence).items():
            np.testing.assert_allclose(ours[key], oracle[key], rtol=0, atol=1e-9)
            np.testing.assert_allclose(ours[key], value, rtol=0, atol=1e-9)


def test_some_random_networks_have_several_parents() -> None:
    draws = [random_network(np.random.default_rng(seed))[1] for seed in range(12)]
    assert sum(any(len(link.parents) > 1 for link in links) for links in draws) >= 3


# --------------------------------------------------------------------------- the rules


@contextmanager
def refused(message: str, error: type[Exception] = NetworkError) -> Iterator[None]:
    """The block raises ``error`` with exactly ``message``."""
    with pytest.raises(error) as caught:
        yield
    assert str(caught.value) == message


YES_80_10 = binary_rows(if_yes(binary_yes(), 0.8, 0.1))


def test_a_cycle_is_refused_by_name() -> None:
    nodes = [Node("A", 2, binary_prior(0.4)), Node("B", 2, binary_prior(0.5))]
    with refused('a link from "B" to "A" would close a cycle: A -> B -> A'):
        Network(nodes, [Link("B", ("A",), YES_80_10), Link("A", ("B",), YES_80_10)])


def test_a_longer_cycle_names_every_step() -> None:
    two = binary_rows(np.full((2, 2), 0.5))
    nodes = [Node(k, 2, binary_prior(0.5)) for k in "ABCD"]
    links = [Link("B", ("A",), YES_80_10), Link("C", ("B", "D"), two), Link("A", ("D", "C"), two)]
    with refused('a link from "C" to "A" would close a cycle: A -> B -> C -> A'):
        Network(nodes, links)


def test_a_question_cannot_be_its_own_parent() -> None:
    with refused('a link from "A" to "A" would close a cycle: A -> A'):
        Network([Node("A", 2, binary_prior(0.4))], [Link("A", ("A",), np.eye(2))])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (np.full((3, 2), 0.5), "has a table of shape (3, 2), not (2, 2)"),
        (np.array([[0.5, 0.4], [0.5, 0.5]]), "has a probability vector that sums to 0.9, not 1"),
        (np.array([[1.2, -0.2], [0.5, 0.5]]), "has a negative probability"),
        (np.array([[np.nan, 1], [0.5, 0.5]]), "has a value that is not a finite number"),
    ],
)
def test_a_bad_table_is_refused_with_its_link(table: np.ndarray, message: str) -> None:
    with refused(f'the link from "A" to "B" {message}'):
        Network([Node("A", 2, binary_prior(0.4)), Node("B", 2)], [Link("B", ("A",), table)])


def test_a_table_within_the_tolerance_is_accepted() -> None:
    table = np.array([[0.5, 0.5 + 5e-10], [0.2, 0.8]])
    Network([Node("A", 2, binary_prior(0.4)), Node("B", 2)], [Link("B", ("A",), table)])


def test_the_rules_of_nodes_and_links() -> None:
    a, b = Node("A", 2, binary_prior(0.4)), Node("B", 2)
    link = Link("B", ("A",), YES_80_10)
    with refused('the question "B" has no link into it, so it needs a prior'):
        Network([a, b])
    with refused('the question "A" is in the network twice'):
        Network([a, a])
    with refused('the question "A" needs at least two states'):
        Network([Node("A", 1, np.ones(1))])
    with refused('the prior of "A" has 2 values for 3 states'):
        Network([Node("A", 3, binary_prior(0.4))])
    with refused('the prior of "A" has a probability vector that sums to 1.1, not 1'):
        Network([Node("A", 2, np.array([0.5, 0.6]))])
    with refused('"B" already has a link; give one table over all its parents'):
        Network([a, b], [link, link])
    with refused('the link to "B" names no parent'):
        Network([a, b], [Link("B", (), np.ones(2) / 2)])
    with refused('the link from "A", "A" to "B" names a parent twice'):
        Network([a, b], [Link("B", ("A", "A"), np.full((2, 2, 2), 0.5))])


def test_an_unknown_question_is_not_found() -> None:
    with refused('no question "Z" in the network', NotFound):
        Network([Node("A", 2, binary_prior(0.4))], [Link("A", ("Z",), np.eye(2))])
    with refused('no question "Z" in the network', NotFound):
        a_to_b().marginals({"Z": lr(2.0)})
    with refused('no question "Z" in the network', NotFound):
        a_to_b().marginals({("A", "Z"): np.zeros((2, 2))})


def test_evidence_of_the_wrong_shape_or_value_is_refused() -> None:
    net = a_to_b()
    with refused('evidence on "A" has shape (3,), not (2,)'):
        net.marginals({"A": np.zeros(3)})
    with refused('evidence on "A", "B" has shape (2,), not (2, 2)'):
        net.marginals({("A", "B"): np.zeros(2)})
    with refused('evidence on "A" has a log-likelihood of NaN or +inf'):
        net.marginals({"A": [0.0, np.nan]})
    with refused('evidence on "A", "A" names a question twice'):
        net.marginals({("A", "A"): np.zeros((2, 2))})
    with refused("evidence must name at least one question"):
        net.marginals({(): np.zeros(())})


def test_impossible_evidence_is_an_error_not_nan() -> None:
    net = a_to_b()
    with refused('the evidence on "A" rules out every state'):
        net.marginals({"A": [RULED_OUT, RULED_OUT]})
    with refused('the evidence on "A", "B" rules out every state'):
        net.marginals({("A", "B"): np.full((2, 2), RULED_OUT)})
    certain = Network([Node("A", 2, np.array([0.0, 1.0]))])
    with refused('the evidence on "A" rules out every state its links allow'):
        certain.marginals({"A": [0.0, RULED_OUT]})


def test_evidence_impossible_only_together_names_the_questions() -> None:
    copy = Link("B", ("A",), np.eye(2))  # B is A
    net = Network([Node("A", 2, binary_prior(0.4)), Node("B", 2)], [copy])
    only_yes, only_no = np.array([RULED_OUT, 0.0]), np.array([0.0, RULED_OUT])
    message = (
        'the evidence on "A", "B" is impossible: together it rules out every combination '
        "of states the links allow"
    )
    with refused(message):
        net.marginals({"A": only_yes, "B": only_no})
    with refused(message):
        net.marginals({("A", "B"): np.array([[RULED_OUT, 0.0], [0.0, RULED_OUT]])})
    assert net.marginals({"A": only_yes})["B"][YES] == 1.0  # and the network still works


def test_very_strong_evidence_is_not_mistaken_for_impossible() -> None:
    # 40 independent questions, each seen in a state of prior 1e-20: P(evidence) = 1e-800
    # underflows, but every state the evidence keeps is possible.
    nodes = [Node(f"q{i}", 2, np.array([1 - 1e-20, 1e-20])) for i in range(40)]
    m = Network(nodes).marginals({f"q{i}": [RULED_OUT, 0.0] for i in range(40)})
    assert all(m[f"q{i}"][1] == 1.0 for i in range(40))


def test_link_builders_check_their_input() -> None:
    calendar = Calendar(event_question())
    with refused("a link's probability must be between 0 and 1"):
        binary_rows([0.5, 1.2])
    with refused('2025-07-01 is not a day of "e" (2025-01-01 to 2025-05-01)'):
        event_yes(calendar, OPENED + timedelta(days=181))
    with refused("the if-yes and if-no values differ in shape: (2,), (3,)"):
        if_yes(binary_yes(), [0.1, 0.9], [0.5, 0.3, 0.2])


def test_the_joint_of_two_questions_matches_brute_force() -> None:
    """``Network.joint``: the joint posterior of non-adjacent questions, under evidence on
    a third, in the order asked, against the product of the tables summed by hand."""
    tb = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    tc = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    net = Network(
        [Node("a", 2, np.array([0.4, 0.6])), Node("b", 3, None), Node("c", 2, None)],
        [Link("b", ("a",), tb), Link("c", ("b",), tc)],
    )
    lik = np.array([1.0, 2.0, 3.0])
    joint = np.einsum("i,ij,jk,j->ijk", [0.4, 0.6], tb, tc, lik)
    joint /= joint.sum()
    found = net.joint({"b": np.log(lik)}, ["c", "a"])
    np.testing.assert_allclose(found, joint.sum(axis=1).T, atol=1e-15)
    # the engine answers single marginals again afterwards
    np.testing.assert_allclose(net.marginals({"b": np.log(lik)})["a"], joint.sum(axis=(1, 2)))
    with pytest.raises(NetworkError, match="a joint is of two or more distinct questions"):
        net.joint({}, ["a", "a"])


def test_a_digest_names_every_input_byte_for_byte() -> None:
    from forecast.network.memo import digest

    a = np.array([0.25, 0.75])
    assert digest(a, "x") == digest(a.copy(), "x")
    different = [
        digest(a, "y"),
        digest(np.array([0.25, 0.7500000000000001]), "x"),  # the last bit
        digest(a.astype(np.float32), "x"),
        digest(a.reshape(2, 1), "x"),
        digest((a,), "x"),
        digest({"x": a}),
        digest(a, "x", None),
    ]
    assert len({digest(a, "x"), *different}) == 1 + len(different)
    with pytest.raises(TypeError, match="cannot digest a object"):
        digest(object())


def test_a_memo_keeps_its_budget_dropping_the_least_recently_used() -> None:
    from forecast.network.memo import Memo

    memo: Memo[str] = Memo(10, len)
    memo.put(b"a", "aaaa")
    memo.put(b"b", "bbbb")
    assert memo.get(b"a") == "aaaa"  # now the most recently used
    memo.put(b"c", "cccc")  # 12 bytes: "b" goes
    assert (memo.get(b"a"), memo.get(b"b"), memo.get(b"c")) == ("aaaa", None, "cccc")
    assert memo.put(b"d", "d" * 11) == "d" * 11 and memo.get(b"d") is None  # over budget
    memo.clear()
    assert len(memo) == 0 and memo.get(b"a") is None


def test_remembered_marginals_are_shared_read_only_and_asked_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORECAST_CACHE", "off")  # the memo in memory, alone
    net = a_to_b()
    calls: list[object] = []
    real = net._marginals
    net._marginals = lambda *args: calls.append(args) or real(*args)  # type: ignore[method-assign]
    first = net.marginals({"A": lr(3.0)})
    second = net.marginals({"A": lr(3.0)})
    assert len(calls) == 1
    assert second["B"][YES] == pytest.approx(0.8 * 2 / 3 + 0.1 / 3, abs=1e-15)
    assert second["B"] is first["B"]
    with pytest.raises(ValueError, match="read-only"):
        second["B"][YES] = 0.0
    net.marginals({"A": lr(3.0)}, ["B"])  # other targets: asked anew
    assert len(calls) == 2


def test_the_same_tables_give_the_same_network() -> None:
    from forecast import linking
    from forecast.links import QuestionLink

    a = Question("a", "A?", Kind.BINARY, parse_time("2026-01-01"), prior=0.4)
    b = Question("b", "B?", Kind.BINARY, parse_time("2026-01-01"), prior=0.5)
    questions = {"a": a, "b": b}
    link = QuestionLink("b", ("a",), ((("yes",), (0.8,)), (("no",), (0.1,))))
    net = linking.network(questions, [link])
    assert linking.network(questions, [link]) is net
    other = QuestionLink("b", ("a",), ((("yes",), (0.8,)), (("no",), (0.2,))))
    assert linking.network(questions, [other]) is not net
    assert linking.network({"a": replace(a, prior=0.5), "b": b}, [link]) is not net
    linking.forget()
    assert linking.network(questions, [link]) is not net


def test_impossible_evidence_is_found_whatever_is_asked() -> None:
    """Evidence ruling out every state a question's prior allows is impossible even where
    the question asked about is independent of it (pyAgrum's propagation for one target
    leaves it out); the message names the question, for every target."""
    both = np.full((2, 3, 2), 0.5)
    net = Network(
        [Node("A", 2, binary_prior(0.6)), Node("C", 3, np.array([1.0, 0.0, 0.0])), Node("D", 2)],
        [Link("D", ("A", "C"), both)],
    )
    evidence = {"C": [RULED_OUT, 0.0, 0.0], "A": lr(3.0)}
    for keys in (["A"], None, ["D"]):
        with refused('the evidence on "C" rules out every state its links allow'):
            net.marginals(evidence, keys)
    with refused('the evidence on "C" rules out every state its links allow'):
        net.joint(evidence, ["A", "D"])


def test_possible_evidence_the_quick_search_misses_is_still_computed() -> None:
    """B copies A; seeing B = yes leaves only A = yes, which the quick search (A first, at
    its likeliest, no) misses: the exact check finds it possible, and P(A = yes) = 1."""
    net = Network([Node("A", 2, binary_prior(0.3)), Node("B", 2)], [Link("B", ("A",), np.eye(2))])
    seen = {"B": [RULED_OUT, 0.0]}
    likelihoods = net._likelihoods(seen)
    assert not net._witness({s: v > 0 for s, v in likelihoods.items()})
    assert net.marginals(seen, ["A"])["A"][YES] == 1.0


# --------------------------------------------------------------------------- the shelf


def test_arrays_go_onto_the_shelf_and_come_back_byte_for_byte() -> None:
    from forecast.network.memo import pack, unpack

    found = {
        "event": np.array([0.25, 1e-300, 0.0, 0.75]),
        "grid": np.arange(6, dtype=np.int32).reshape(2, 3),
        "scalar": np.array(7.5),
        "empty": np.zeros(0),
    }
    back = unpack(pack(found))
    assert back is not None and list(back) == list(found)
    for k, v in found.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        assert back[k].tobytes() == v.tobytes()
        assert not back[k].flags.writeable
    assert unpack(pack(None)) is None
    assert unpack(pack({})) == {}


def test_a_result_read_from_the_shelf_is_counted_with_its_data() -> None:
    """A memo's budget counts what an entry holds: one read back from the shelf is a view of
    the entry's bytes, counted with its data like an array of its own."""
    from forecast.network.memo import arrays_size, pack, unpack

    own = {"p": np.zeros(1000)}
    back = unpack(pack(own))
    assert back is not None and back["p"].base is not None  # a view
    assert arrays_size(back) >= 8000 and arrays_size(own) >= 8000
    assert abs(arrays_size(back) - arrays_size(own)) < 200  # headers apart


def test_the_shelfs_stamp_covers_the_models_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Results are kept under their inputs as records (a question, a resolution, a day),
    which the model's modules turn into evidence: a change to any of them, not only to the
    network's, gives another stamp (and an emptied shelf)."""
    from forecast.network import memo

    stamp = memo.code_stamp.__wrapped__
    before = stamp()
    real = Path.read_bytes
    for module in ("event_dates.py", "clock.py", "domain.py", "kinds.py", "linking.py"):

        def changed(self: Path, module: str = module) -> bytes:
            return real(self) + (b"# changed" if self.name == module else b"")

        monkeypatch.setattr(Path, "read_bytes", changed)
        assert stamp() != before, module
        monkeypatch.setattr(Path, "read_bytes", real)
    assert stamp() == before


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b'[["a", "<f8", [2]]]\n' + b"\0" * 8, "cut short"),
        (b'[["a", "<f8", [1]]]\n' + b"\0" * 9, "bytes to spare"),
        (b'[["a", "|O", [1]]]\n' + b"\0" * 8, "object array"),
        (b"not json\n", "Expecting value"),
    ],
)
def test_a_damaged_shelf_entry_is_refused(blob: bytes, message: str) -> None:
    from forecast.network.memo import unpack

    with pytest.raises(ValueError, match=message):
        unpack(blob)


def test_the_shelf_keeps_results_across_processes_and_a_damaged_entry_is_a_miss(
    tmp_path: Path,
) -> None:
    """A second shelf on the same file (another process) finds what the first kept; an
    entry that no longer reads back is a miss, not an error."""
    import sqlite3

    from forecast.network.memo import Shelf

    first = Shelf(tmp_path / "s.sqlite", b"code 1")
    first.put(b"k", {"p": np.array([0.2, 0.8])})
    first.put(b"none", None)
    second = Shelf(tmp_path / "s.sqlite", b"code 1")
    kept = second.get(b"k")
    assert kept is not None and kept[0] is not None and kept[0]["p"].tolist() == [0.2, 0.8]
    assert second.get(b"none") == (None,)  # None kept (no factor fits), told from a miss
    assert second.get(b"other") is None
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute("UPDATE entry SET value = ? WHERE key = ?", (b"garbage", b"k"))
    assert second.get(b"k") is None
    first.close(), second.close()


def test_a_shelf_written_by_other_code_is_emptied(tmp_path: Path) -> None:
    from forecast.network.memo import Shelf

    old = Shelf(tmp_path / "s.sqlite", b"code 1")
    old.put(b"k", {"p": np.array([0.5, 0.5])})
    old.close()
    new = Shelf(tmp_path / "s.sqlite", b"code 2")
    assert new.get(b"k") is None and len(new) == 0
    new.close()


def test_the_shelf_keeps_its_budget_dropping_the_least_recently_used_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries carry the day they were last used; past its budget the shelf drops the
    oldest-used ones (then the oldest written) until it holds 80% of the budget."""
    from forecast.network import memo

    day = [100]
    monkeypatch.setattr(memo, "_today", lambda: day[0])
    one = len(memo.pack({"p": np.zeros(100)}))
    shelf = memo.Shelf(tmp_path / "s.sqlite", b"code", budget=int(3.5 * one))
    for k in (b"a", b"b", b"c"):
        shelf.put(k, {"p": np.zeros(100)})
    day[0] = 101
    assert shelf.get(b"a") is not None  # used today: now the most recently used
    shelf.put(b"d", {"p": np.zeros(100)})  # 4 entries > 3.5: down to 2.8, so two go
    assert [shelf.get(k) is not None for k in (b"a", b"b", b"c", b"d")] == [
        True, False, False, True
    ]  # fmt: skip
    shelf.close()


def test_a_shelf_that_cannot_be_opened_is_no_shelf(tmp_path: Path) -> None:
    from forecast.network.memo import Shelf

    (tmp_path / "file").write_text("not a folder")
    shelf = Shelf(tmp_path / "file" / "s.sqlite", b"code")
    shelf.put(b"k", {"p": np.zeros(2)})
    assert shelf.get(b"k") is None and len(shelf) == 0


def test_the_cache_folder_is_the_settings_and_off_means_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast import settings
    from forecast.network import memo

    monkeypatch.setenv("FORECAST_CACHE", "off")
    assert settings.cache_dir() is None and memo.shelf() is None
    monkeypatch.delenv("FORECAST_CACHE")
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "home"))
    assert settings.cache_dir() == tmp_path / "home" / "cache"
    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "elsewhere"))
    found = memo.shelf()
    assert found is not None and found.path == tmp_path / "elsewhere" / memo.SHELF_FILE
    assert memo.shelf() is found  # opened once
