"""Linked questions' speed: marginals of a 30-question network under a year of evidence.

The network: 6 event questions with 400-day ladders (402 day cells each), 14 binary and 10
choice questions; chains, an event child of an event parent, and children of two parents.
500 reports bear on single questions (summed log-likelihoods per question) and 6 on two
linked questions at once (joint tables); event questions also hear silence day by day.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_network.py
"""

from __future__ import annotations

import math
import os
import time
from datetime import timedelta

import numpy as np

from forecast import settings
from forecast.clock import parse_time
from forecast.domain import Kind, Question
from forecast.event_dates import Calendar, Target
from forecast.network import (
    Link,
    Network,
    Node,
    binary_prior,
    binary_rows,
    binary_yes,
    event_prior,
    event_rows,
    event_yes,
    if_yes,
)

N_REPORTS, N_JOINT, N_DAYS = 500, 6, 365
OPENED = parse_time("2025-01-01")
FIRST, LAST = 300, 400  # the event questions' deadlines, in days from the opening


def calendar(prior: float) -> Calendar:
    deadlines = (OPENED + timedelta(days=FIRST), OPENED + timedelta(days=LAST))
    return Calendar(Question("e", "bench", Kind.EVENT, OPENED, prior=prior, deadlines=deadlines))


def network(rng: np.random.Generator) -> tuple[list[Node], list[Link], dict[str, Calendar]]:
    """Events e0..e5, binaries b0..b13, choices c0..c9 (3 or 4 options)."""
    cal = {f"e{i}": calendar(float(rng.uniform(0.1, 0.6))) for i in range(6)}
    nodes = [Node(k, c.size, event_prior(c)) for k, c in cal.items()]
    nodes += [Node(f"b{i}", 2, binary_prior(float(rng.uniform(0.1, 0.9)))) for i in range(14)]
    options = {f"c{i}": 3 + i % 2 for i in range(10)}
    nodes += [Node(k, n, rng.dirichlet(np.ones(n))) for k, n in options.items()]
    by_deadline = {k: event_yes(c, OPENED + timedelta(days=FIRST)) for k, c in cal.items()}

    def binary_child(parent: str) -> np.ndarray:
        yes = by_deadline.get(parent, binary_yes())
        return binary_rows(if_yes(yes, rng.uniform(0.5, 0.9), rng.uniform(0.05, 0.4)))

    links = [
        Link("b0", ("e0",), binary_child("e0")),  # chain e0 -> b0 -> b1 -> b2
        Link("b1", ("b0",), binary_child("b0")),
        Link("b2", ("b1",), binary_child("b1")),
        Link("e2", ("e1",), event_rows(cal["e2"], if_yes(by_deadline["e1"], 0.7, 0.2))),
        Link("e3", ("b3", "b4"), event_rows(cal["e3"], rng.uniform(0.1, 0.9, (2, 2)))),
        Link("b5", ("c0",), binary_rows(rng.uniform(0.1, 0.9, options["c0"]))),
        Link("c1", ("b5",), rng.dirichlet(np.ones(options["c1"]), 2)),
        Link("b6", ("b2", "c2"), binary_rows(rng.uniform(0.1, 0.9, (2, options["c2"])))),
        Link("c3", ("e4",), if_yes(by_deadline["e4"], *rng.dirichlet(np.ones(4), 2))),
        Link("b7", ("e5", "b8"), binary_rows(if_yes(by_deadline["e5"], [0.9, 0.6], [0.3, 0.1]))),
        Link("b9", ("c3",), binary_rows(rng.uniform(0.1, 0.9, options["c3"]))),
    ]
    nodes = [
        Node(n.key, n.states) if any(link.child == n.key for link in links) else n for n in nodes
    ]
    return nodes, links, cal


def reports(
    rng: np.random.Generator, nodes: list[Node], cal: dict[str, Calendar]
) -> dict[str, np.ndarray]:
    """Each question's summed log-likelihood as of each day: shape (days, states)."""
    daily = {n.key: np.zeros((N_DAYS, n.states)) for n in nodes}
    for _ in range(N_REPORTS):
        node = nodes[int(rng.integers(len(nodes)))]
        day = int(rng.integers(N_DAYS))
        if node.key in cal:  # an LR on the days up to the first deadline still ahead
            cells = cal[node.key].mask(day, Target())
            daily[node.key][day] += np.where(cells, rng.normal(0, 0.7), 0.0)
        else:
            daily[node.key][day] += rng.normal(0, 0.7, node.states)
    return {k: np.cumsum(v, axis=0) for k, v in daily.items()}


def joint_reports(
    rng: np.random.Generator, nodes: list[Node], links: list[Link]
) -> list[tuple[int, tuple[str, str], np.ndarray]]:
    """Reports assessed against a linked pair at once: (day, scope, log-likelihood table)."""
    states = {n.key: n.states for n in nodes}
    pairs = [(link.parents[0], link.child) for link in links]
    out = []
    for _ in range(N_JOINT):
        a, b = pairs[int(rng.integers(len(pairs)))]
        table = rng.normal(0, 0.5, (states[a], states[b]))
        out.append((int(rng.integers(N_DAYS)), (a, b), table))
    return out


def evidence_on(
    day: int,
    cumulative: dict[str, np.ndarray],
    joint: list[tuple[int, tuple[str, str], np.ndarray]],
    cal: dict[str, Calendar],
) -> dict:
    """The evidence as of ``day``: reports so far, silence on the event questions, and the
    joint reports so far."""
    evidence: dict = {k: v[day].copy() for k, v in cumulative.items()}
    for key in cal:
        evidence[key][:day] = -math.inf
    for when, scope, table in joint:
        if when <= day:
            evidence[scope] = evidence[scope] + table if scope in evidence else table
    return evidence


def main() -> None:
    os.environ[settings.CACHE_ENV] = settings.CACHE_OFF  # every figure computed, none read back
    rng = np.random.default_rng(15)
    start = time.perf_counter()
    nodes, links, cal = network(rng)
    net = Network(nodes, links)
    built = time.perf_counter() - start
    cumulative, joint = reports(rng, nodes, cal), joint_reports(rng, nodes, links)
    last = evidence_on(N_DAYS - 1, cumulative, joint, cal)

    start = time.perf_counter()
    net.marginals(last)
    cold = time.perf_counter() - start
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        net.marginals(last)
        walls.append(time.perf_counter() - start)

    days = [evidence_on(day, cumulative, joint, cal) for day in range(N_DAYS)]
    start = time.perf_counter()
    for evidence in days:
        net.marginals(evidence)
    year = time.perf_counter() - start

    cells = sum(n.states for n in nodes)
    print(
        f"network: {len(nodes)} questions ({cells} states), {len(links)} links; "
        f"built in {built * 1e3:.1f} ms"
    )
    print(
        f"(a) all marginals at one as-of ({N_REPORTS} reports, {N_JOINT} joint): "
        f"{cold * 1e3:.1f} ms first call, {min(walls) * 1e3:.1f} ms after (best of 5)"
    )
    print(
        f"(b) daily marginals over a year: {N_DAYS} inferences in {year:.2f} s "
        f"({year / N_DAYS * 1e3:.1f} ms each)"
    )


if __name__ == "__main__":
    main()
