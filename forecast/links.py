"""Links between questions: what an analyst states about a child given its parents.

A link is stated in the words of the questions: "if the Lavrov-Rubio meeting happens by 31
October, a summit by 31 December is 60% likely; if not, 15%". One record holds a child's
whole table: for each combination of its parents' states, the child's probability (a binary
child: P(yes); an event child: P(by its first deadline); a choice child: one per option).

A parent's states, as a link names them: a binary parent "yes" and "no"; an event parent
"yes" and "no" for "happened by ``by``" (its deadline for this link, by default its first);
a choice parent its option names. A combination is the parents' states in the order of
``parents``.

Records are versions, like every record: a change is a new version with who, when and why,
and an ended link is a last, inactive version. Pure values; ``forecast.linking`` checks them
against the questions and computes with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

YES, NO = "yes", "no"


@dataclass(frozen=True)
class QuestionLink:
    """One version of a child's links to its parents."""

    child: str
    parents: tuple[str, ...]
    given: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...]  # (parent states, child's)
    by: tuple[datetime | None, ...] = ()  # per parent: an event parent's deadline, else None
    active: bool = True
    version: int = 1
    logged_at: datetime | None = None
    logged_by: str = ""
    reason: str = ""
    imported_at: datetime | None = None
    imported_by: str = ""

    def deadline(self, parent: str) -> datetime | None:
        """The deadline an event parent's "yes" means (None: its first)."""
        by = dict(zip(self.parents, self.by or (None,) * len(self.parents), strict=True))
        return by[parent]

    def values(self) -> dict[tuple[str, ...], tuple[float, ...]]:
        return dict(self.given)
