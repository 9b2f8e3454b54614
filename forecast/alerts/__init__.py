"""Alerts: what needs an analyst's attention, sent to them or to a team channel.

:mod:`forecast.alerts.rules` works out which alerts are due (pure: states, settings and the
time in; alerts with their subjects, bodies and dedupe keys out);
:mod:`forecast.alerts.channels` checks and masks the channel URLs the settings hold;
:mod:`forecast.alerts.send` delivers the alerts and says, per alert, whether it was sent.
The package itself imports nothing, so importing a rule does not load the sender.
"""
