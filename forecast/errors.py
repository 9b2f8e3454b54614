"""The tracker's errors: the bottom of the import order, so every layer can raise them."""


class ForecastError(ValueError):
    """A user-facing error: the message is one clear line meant for the analyst."""


class NotFound(ForecastError):
    """An id (question, source, report, assessment) that does not exist."""
