"""The verbal scale of evidence strength.

The scale is Kass and Raftery's (1995, "Bayes Factors", JASA 90:773-795, section 3.2),
which grades a Bayes factor B on the 2 ln B scale:

    2 ln B in 0-2  (B 1-3)     not worth more than a bare mention  -> "weak"
    2 ln B in 2-6  (B 3-20)    positive                             -> "positive"
    2 ln B in 6-10 (B 20-150)  strong                               -> "strong"
    2 ln B > 10    (B > 150)   very strong                          -> "very-strong"

Each word stands for the midpoint of its band on that 2 ln B scale (the open top band
takes its lower edge, the conservative choice), so "strong" means B = exp(8 / 2) = 54.6.
A word ends in "-for" (the report is more likely if the answer is YES) or "-against"
(LR = 1 / B); "neutral" is LR = 1.
"""

from __future__ import annotations

import math

from forecast.domain import ForecastError

# band name -> midpoint of the band on the 2 ln B scale
_TWO_LN_B = {"weak": 1.0, "positive": 4.0, "strong": 8.0, "very-strong": 10.0}

SCALE: dict[str, float] = {"neutral": 1.0}
for _band, _two_ln_b in _TWO_LN_B.items():
    SCALE[f"{_band}-for"] = math.exp(_two_ln_b / 2.0)
    SCALE[f"{_band}-against"] = math.exp(-_two_ln_b / 2.0)

SCALE_NAME = "Kass-Raftery (1995)"


def strength_to_lr(word: str) -> float:
    """The likelihood ratio a verbal strength stands for (case and spacing ignored)."""
    key = "-".join(str(word).strip().casefold().replace("_", " ").split())
    if key not in SCALE:
        raise ForecastError(
            f"strength {word!r} is not on the {SCALE_NAME} scale: use one of " + ", ".join(SCALE)
        )
    return SCALE[key]


def lr_to_strength(lr: float) -> str:
    """The word whose band holds ``lr`` (the inverse of ``strength_to_lr`` on band midpoints)."""
    if lr <= 0 or not math.isfinite(lr):
        raise ForecastError(f"likelihood ratio must be a positive finite number, not {lr!r}")
    two_ln_b = 2.0 * abs(math.log(lr))
    if two_ln_b == 0.0:
        return "neutral"
    band = "very-strong"
    for name, upper in (("weak", 2.0), ("positive", 6.0), ("strong", 10.0)):
        if two_ln_b < upper:
            band = name
            break
    return f"{band}-{'for' if lr > 1 else 'against'}"
