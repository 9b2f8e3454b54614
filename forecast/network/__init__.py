"""Linked questions as a Bayesian network: each question's evidence as a likelihood on its
node, exact marginals for all of them (issue 15).

``graph`` holds the nodes, links and their rules; ``tables`` turns an analyst's statements
about a link into conditional tables; ``inference`` compiles the network and answers
``marginals(evidence)``.
"""

from forecast.network.graph import NO, YES, Link, NetworkError, Node
from forecast.network.inference import Evidence, Network
from forecast.network.tables import (
    binary_prior,
    binary_rows,
    binary_yes,
    event_prior,
    event_rows,
    event_yes,
    if_yes,
)

__all__ = [
    "NO",
    "YES",
    "Evidence",
    "Link",
    "Network",
    "NetworkError",
    "Node",
    "binary_prior",
    "binary_rows",
    "binary_yes",
    "event_prior",
    "event_rows",
    "event_yes",
    "if_yes",
]
