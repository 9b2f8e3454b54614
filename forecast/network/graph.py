"""The shape of a network of linked questions: nodes, links and the rules they keep.

A **node** is one question: its key, its number of states and, for a question no link
points into (a root), its prior probability vector. States are indexed from 0:

- a binary question has two states, ``NO`` (0) and ``YES`` (1);
- a choice question has one state per option, in the question's order;
- an event question has one state per day cell of its ``Calendar``, from the opening day
  to the last deadline, then "later or never".

A **link** gives one child its conditional table over one or more parents: an array of
shape ``(*parent_states, child_states)`` whose last axis, for each combination of parent
states, is the child's probability vector. A child has at most one link, holding all its
parents; a linked child's own stated prior is not used by inference (the prior its links
imply is what ``Network.marginals`` gives without evidence).

Every rule is checked when the network is built, and every breach is one line naming the
node or link at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.errors import ForecastError, NotFound

NO, YES = 0, 1  # the states of a binary question
TOLERANCE = 1e-9  # how far from 1 a probability vector may sum


class NetworkError(ForecastError):
    """A network of linked questions, or the evidence given to it, breaks a rule."""


@dataclass(frozen=True)
class Node:
    """One question: ``states`` outcomes, and its prior vector if no link points into it."""

    key: str
    states: int
    prior: np.ndarray | None = None


@dataclass(frozen=True)
class Link:
    """P(child | parents): a table of shape ``(*parent_states, child_states)``."""

    child: str
    parents: tuple[str, ...]
    table: np.ndarray

    @property
    def name(self) -> str:
        return f"the link from {named(self.parents)} to {quoted(self.child)}"


def quoted(key: str) -> str:
    """A question's key as messages show it: in double quotes."""
    return f'"{key}"'


def named(keys: Iterable[str]) -> str:
    """Keys as messages list them: ``"A", "B"``."""
    return ", ".join(quoted(key) for key in keys)


def check_vector(values: np.ndarray, what: str) -> None:
    """A probability vector (or rows of them on the last axis): finite, >= 0, summing to 1."""
    if not np.all(np.isfinite(values)):
        raise NetworkError(f"{what} has a value that is not a finite number")
    if np.any(values < 0):
        raise NetworkError(f"{what} has a negative probability")
    sums = values.sum(axis=-1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > TOLERANCE:
        raise NetworkError(
            f"{what} has a probability vector that sums to "
            f"{float(sums.flat[np.argmax(np.abs(sums - 1.0))]):.12g}, not 1"
        )


def check_nodes(nodes: Sequence[Node]) -> dict[str, Node]:
    """The nodes by key, each with at least two states and a well-formed prior if it has one."""
    by_key: dict[str, Node] = {}
    for node in nodes:
        if node.key in by_key:
            raise NetworkError(f"the question {quoted(node.key)} is in the network twice")
        if node.states < 2:
            raise NetworkError(f"the question {quoted(node.key)} needs at least two states")
        if node.prior is not None:
            what = f"the prior of {quoted(node.key)}"
            prior = np.asarray(node.prior, dtype=float)
            if prior.shape != (node.states,):
                raise NetworkError(f"{what} has {prior.size} values for {node.states} states")
            check_vector(prior, what)
        by_key[node.key] = node
    return by_key


def check_links(nodes: dict[str, Node], links: Sequence[Link]) -> dict[str, Link]:
    """The links by child: known questions, one link per child, tables of the right shape
    that are probability vectors, no cycle; and a prior for every question that is a root."""
    by_child: dict[str, Link] = {}
    for link in links:
        for key in (*link.parents, link.child):
            known(nodes, key)
        if link.child in by_child:
            raise NetworkError(
                f"{quoted(link.child)} already has a link; give one table over all its parents"
            )
        if not link.parents:
            raise NetworkError(f"the link to {quoted(link.child)} names no parent")
        if len(set(link.parents)) != len(link.parents):
            raise NetworkError(f"{link.name} names a parent twice")
        _check_table(nodes, link)
        _refuse_cycle(by_child, link)
        by_child[link.child] = link
    for key, node in nodes.items():
        if key not in by_child and node.prior is None:
            raise NetworkError(
                f"the question {quoted(key)} has no link into it, so it needs a prior"
            )
    return by_child


def known(nodes: dict[str, Node], key: str) -> Node:
    if key not in nodes:
        raise NotFound(f"no question {quoted(key)} in the network")
    return nodes[key]


def _check_table(nodes: dict[str, Node], link: Link) -> None:
    table = np.asarray(link.table, dtype=float)
    shape = (*(nodes[p].states for p in link.parents), nodes[link.child].states)
    if table.shape != shape:
        raise NetworkError(f"{link.name} has a table of shape {table.shape}, not {shape}")
    check_vector(table, link.name)


def _refuse_cycle(by_child: dict[str, Link], link: Link) -> None:
    """Refuse a link whose child already leads to one of its parents, naming the cycle."""
    children = _children(by_child.values())
    for parent in link.parents:
        path = _path(children, link.child, parent)
        if path is not None:
            cycle = " -> ".join([*path, link.child])
            raise NetworkError(
                f"a link from {quoted(parent)} to {quoted(link.child)} would close a cycle: {cycle}"
            )


def _children(links: Iterable[Link]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for link in links:
        for parent in link.parents:
            out.setdefault(parent, []).append(link.child)
    return out


def _path(children: dict[str, list[str]], start: str, goal: str) -> list[str] | None:
    """A path of links from ``start`` down to ``goal`` (``[start]`` if they are one), or None."""
    stack: list[list[str]] = [[start]]
    seen = {start}
    while stack:
        path = stack.pop()
        if path[-1] == goal:
            return path
        for child in children.get(path[-1], []):
            if child not in seen:
                seen.add(child)
                stack.append([*path, child])
    return None


def topological(nodes: dict[str, Node], links: dict[str, Link]) -> list[str]:
    """The keys with every parent before its children (the order the network is built in)."""
    order: list[str] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        if key in placed:
            return
        for parent in links[key].parents if key in links else ():
            place(parent)
        placed.add(key)
        order.append(key)

    for key in nodes:
        place(key)
    return order
