"""Configuration: the data home and the files forecast finds, from a checkout or installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast import settings
from forecast.cli import main
from forecast.learning import fits
from forecast.store import default_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Nothing configured: no $FORECAST_* locations, and a home folder of the test's own."""
    for name in (settings.HOME_ENV, settings.DB_ENV, settings.FITS_ENV, settings.XDG_DATA_ENV):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """As from a wheel: no source checkout above the package."""
    monkeypatch.setattr(settings, "source_checkout", lambda: None)


def test_a_checkout_keeps_its_data_folder(no_config: Path) -> None:
    assert settings.source_checkout() == ROOT
    assert settings.data_home() == ROOT / "data"
    assert settings.default_db_file() == ROOT / "data" / "forecast.db"
    assert settings.fits_dir() == ROOT / "data" / "fits"
    assert default_url() == f"sqlite:///{ROOT / 'data' / 'forecast.db'}"


def test_forecast_home_wins_everywhere(
    no_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.HOME_ENV, str(tmp_path / "elsewhere"))
    assert settings.data_home() == tmp_path / "elsewhere"
    assert default_url() == f"sqlite:///{tmp_path / 'elsewhere' / 'forecast.db'}"
    assert (tmp_path / "elsewhere").is_dir()  # made on first use
    assert fits.fits_dir() == tmp_path / "elsewhere" / "fits"
    # The database and fit variables still name their own places outright.
    monkeypatch.setenv(settings.DB_ENV, str(tmp_path / "team.db"))
    monkeypatch.setenv(settings.FITS_ENV, str(tmp_path / "fits"))
    assert default_url() == f"sqlite:///{tmp_path / 'team.db'}"
    assert fits.fits_dir() == tmp_path / "fits"


def test_installed_uses_the_per_user_data_folder(
    no_config: Path, installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.data_home() == no_config / ".local" / "share" / "forecast"
    monkeypatch.setenv(settings.XDG_DATA_ENV, str(tmp_path / "xdg"))
    assert settings.data_home() == tmp_path / "xdg" / "forecast"
    assert settings.fits_dir() == tmp_path / "xdg" / "forecast" / "fits"
    monkeypatch.setenv(settings.XDG_DATA_ENV, "relative/path")  # invalid by the XDG spec
    assert settings.data_home() == no_config / ".local" / "share" / "forecast"


def test_installed_init_creates_the_database_in_the_data_home(
    no_config: Path, installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    database = no_config / ".local" / "share" / "forecast" / "forecast.db"
    assert database.is_file()
    assert capsys.readouterr().out.startswith(f"database ready at sqlite:///{database} ")


def test_another_projects_pyproject_is_no_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "forecast").mkdir()
    monkeypatch.setattr(settings, "PACKAGE_DIR", tmp_path / "forecast")
    find = settings.source_checkout.__wrapped__  # uncached
    assert find() is None  # no pyproject.toml: site-packages
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    assert find() is None
    (tmp_path / "pyproject.toml").write_text("not = [toml", encoding="utf-8")
    assert find() is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "forecast"\n', encoding="utf-8")
    assert find() == tmp_path


def test_the_demo_and_the_dashboard_are_found(installed: None) -> None:
    assert settings.dashboard_app() == ROOT / "dashboards" / "app.py"
    # Installed, the demo scenario sits in the package (seeds/ is mapped onto forecast.seeds).
    assert settings.demo_file() == ROOT / "forecast" / "seeds" / "putin-trump-2025.yaml"


def test_the_demo_is_found_in_a_checkout() -> None:
    assert settings.demo_file() == ROOT / "seeds" / "putin-trump-2025.yaml"
    assert settings.demo_file().is_file()
    assert settings.dashboard_app().is_file()


def test_the_dashboard_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.DASHBOARD_ADDRESS_ENV, raising=False)
    assert settings.dashboard_address() == "127.0.0.1"
    monkeypatch.setenv(settings.DASHBOARD_ADDRESS_ENV, " 0.0.0.0 ")
    assert settings.dashboard_address() == "0.0.0.0"
    assert settings.dashboard_address("10.0.0.5") == "10.0.0.5"
