"""Layer 3: learning from the team's track record (PyMC and ArviZ).

One hierarchical model over every resolved binary and event question learns each
source's reliability (pooled by source type), each analyst's calibration exponent on
stated likelihood ratios (pooled around 1) and the Gamma shape ``alpha`` of event decay,
from the forecasts as they stood on each day a question was open.

Modules, in the order data flows through them:

- ``data``: the training arrays built from a ``History`` (pure numpy);
- ``model``: ``build_model`` / ``fit`` / ``predict`` (PyMC); layer 2's decay law is
  ``forecast.decay``'s, written once for numpy and PyTensor;
- ``diagnostics``: R-hat, ESS, divergences, LOO against the defaults, calibration plot;
- ``calibrate``: the whole run behind ``forecast calibrate``;
- ``holdout``: the out-of-time check (the same model fitted at an earlier cut, scored on
  the questions resolved after it) and the rule for offering a fit to forecasts;
- ``fits``: saving and loading a fit, refusing stale or mismatched ones (light: no PyMC);
- ``draws`` and ``bands``: posterior draws as numpy arrays, and credible bands on
  trajectories from them (binary: layer 1 vectorised over draws; event: the exact core
  of ``forecast.trajectory`` run per draw);
- ``simulate``: team histories with known parameters, for tests and benchmarks;
- ``team``: the team's recalibration (rows from scored days, walk-forward check, saved file);
- ``recalibration``: the model of held forecasts: shift and slope by class and pooled
  groups, and decay (``forecast.backtest``, ``team``);

Importing this package does not import PyMC: only ``model`` and ``diagnostics`` do (and
``calibrate``, ``recalibration`` and ``team`` when they fit), so the point-forecast path
stays fast.

For the engine: ``fits.load_learned(history=...)`` gives a ``Learned`` whose
``reliabilities(stated, types)``, ``exponent_means()`` and ``alpha.mean`` plug into
``forecast.evidence.items_for`` and the question's decay; ``fits.load_draws()`` gives the
``Draws`` that ``bands.band`` / ``bands.bands`` turn into credible bands.
"""

MODEL_VERSION = "3"
"""Version of the layer-3 model (``model.py``). Bump it when the model's structure or
parameter names change: fits saved by another version are then refused (``FitMismatch``).
"2": layer 1 of model v2 (the symmetric discount, distinct sources, the most reliable
member's reading). "3": learned on what was known each day (a composite likelihood over
daily states, event questions decaying as layer 2 says) and on event dates, censored."""
