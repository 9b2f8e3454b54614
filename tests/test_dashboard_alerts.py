"""The Alerts page: settings added, changed and ended through the form; channels masked;
refused input named; the page is for writers only."""

from __future__ import annotations

from pathlib import Path

from dashboard_support import errors, run_app, submit, texts

from forecast.api import Tracker

SECRET = "mailto://alerts:hunter22@127.0.0.1:2525?from=a@example.org&to=olga@example.org"


def _fill(at: object, **fields: str) -> None:
    for name, value in fields.items():
        at.text_input(key=f"alert_setting_{name}_0").input(value)


def test_a_setting_is_saved_masked_changed_and_ended(db: Path) -> None:
    at = run_app("alerts")
    assert "No alert setting yet." in texts(at)
    _fill(at, id="olga-mail", who="olga", channel=SECRET, thresholds="russia-ceasefire-line=10%")
    submit(at, "alert_save")
    assert not errors(at)
    [setting] = Tracker.open().alert_settings()
    assert setting.subscription.channel == SECRET  # stored whole: it is needed to send
    table = at.dataframe[0].value
    assert table["channel"].tolist() == [
        "mailto://****@127.0.0.1:2525?from=a@example.org&to=olga@example.org"
    ]
    assert "hunter22" not in texts(at) + table.to_string()
    # A change with the channel left empty keeps the stored one.
    at.text_input(key="alert_setting_id_1").input("olga-mail")
    at.text_input(key="alert_setting_who_1").input("olga")
    at.text_input(key="alert_setting_thresholds_1").input("russia-ceasefire-line=20%")
    submit(at, "alert_save")
    [changed] = Tracker.open().alert_settings()
    assert (changed.version, changed.subscription.channel) == (2, SECRET)
    assert changed.subscription.thresholds[0].level == 0.2
    at.text_input(key="alert_setting_end_reason_2").input("left the team")
    submit(at, "alert_end")
    assert Tracker.open().alert_settings() == []


def test_refused_settings_say_why_and_store_nothing(db: Path) -> None:
    at = run_app("alerts")
    _fill(at, id="s1", who="olga", channel="json://127.0.0.1:9/hook", thresholds="nope=50%")
    submit(at, "alert_save")
    assert errors(at) == ["alert setting 's1' names no question 'nope'"]
    _fill(at, id="s2", who="olga", channel="")
    submit(at, "alert_save")
    assert "a new alert setting needs a channel URL" in errors(at)
    assert Tracker.open().alert_settings() == []
