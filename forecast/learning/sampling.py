"""How the layer-3 model is sampled, apart from the model itself: light to import (no PyMC),
so a command can settle its settings and check its data before loading the sampler."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

RETRY_ACCEPT = 0.95
"""The target acceptance of the one retry after divergent transitions: smaller steps, which
get through the narrow regions that make a sampler diverge, at the price of more of them."""


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample; apart from the model's settings (its priors)."""

    sampler: Literal["nutpie", "pymc"] = "nutpie"
    draws: int = 1000
    tune: int = 300
    chains: int = 4
    cores: int = 2
    seed: int | None = None
    progressbar: bool = False
    target_accept: float = 0.8  # both samplers' default

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
