"""Shared test set-up: no test ever touches the real database or compile cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Before anything imports pytensor: keep its compile cache in an ignored project folder.
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.pytensor'}")


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default database at a fresh file for every test."""
    db = tmp_path / "forecast.db"
    monkeypatch.setenv("FORECAST_DB", str(db))
    monkeypatch.setenv("FORECAST_USER", "tester")
    return db
