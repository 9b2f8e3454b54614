"""Layer 2's decay law in PyTensor, for the models that learn its shape ``alpha``.

With no evidence, the time T to an event whose rate is Gamma(alpha, b) follows a Lomax law:
survival ``S(t) = (b / (b + t)) ** alpha``. The scale ``b`` is fixed by asking that the
probability of the event within ``horizon`` days be ``p``:

    b = horizon / expm1(-log(1 - p) / alpha),  and  -log(1 - p) = softplus(logit p),

the same closed form as ``forecast.decay.rate_for_probability``. Everything here is kept on
the log scale so that gradients stay finite for small and large probabilities.
"""

from __future__ import annotations

import pytensor.tensor as pt


def log_scale(
    logit_p: pt.TensorLike, horizon: pt.TensorLike, alpha: pt.TensorLike
) -> pt.TensorVariable:
    """``log b`` for which P(event within ``horizon``) has log-odds ``logit_p``."""
    return pt.log(horizon) - pt.log(pt.expm1(pt.softplus(logit_p) / alpha))


def log_survival(
    log_b: pt.TensorLike, elapsed: pt.TensorLike, alpha: pt.TensorLike
) -> pt.TensorVariable:
    """``log S(elapsed)``: no event in the first ``elapsed`` days."""
    rate = pt.exp(-pt.as_tensor_variable(log_b))  # 1 / b
    return -pt.as_tensor_variable(alpha) * pt.log1p(elapsed * rate)


def log_density(
    log_b: pt.TensorLike, elapsed: pt.TensorLike, alpha: pt.TensorLike
) -> pt.TensorVariable:
    """``log f(elapsed)``: the event happens ``elapsed`` days in."""
    log_b_plus_t = pt.logaddexp(log_b, pt.log(elapsed))
    return pt.log(alpha) - log_b_plus_t + log_survival(log_b, elapsed, alpha)
