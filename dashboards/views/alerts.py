"""Alerts: who hears about what, by which channel; add, change or end a setting.

The page only edits settings: `forecast alerts` (from cron) sends. A channel URL may hold a
password or token: it is shown masked, and a changed setting keeps its stored channel unless
a new one is typed.
"""

from __future__ import annotations

import streamlit as st

from dashboards import components, forms, state
from dashboards.text import md, moment
from forecast.alerts.channels import mask
from forecast.alerts.rules import DEFAULT_CLOSE_DAYS, AlertKind, Setting, Subscription, Threshold
from forecast.domain import ForecastError, check_share

FORM = "alert_setting"
KINDS = [k.value for k in AlertKind]


def _table(settings: list[Setting]) -> None:
    components.table(
        [
            {
                "setting": s.subscription.id,
                "who": s.subscription.who,
                "channel": mask(s.subscription.channel),
                "alerts": ", ".join(sorted(k.value for k in s.subscription.kinds)),
                "thresholds": ", ".join(
                    f"{t.question_id} at {t.level:.0%}" for t in s.subscription.thresholds
                ),
                "close within (days)": s.subscription.close_days,
                "questions": "all"
                if s.subscription.questions is None
                else ", ".join(sorted(s.subscription.questions)),
                "version": s.version,
                "changed": moment(s.logged_at),
                "by": s.logged_by,
            }
            for s in settings
        ],
        hide_index=True,
        width="stretch",
    )


def _form(settings: list[Setting]) -> None:
    known = {s.subscription.id: s.subscription for s in settings}
    with st.form(FORM, enter_to_submit=False):
        st.markdown("**Add or change a setting** (the same id makes a new version)")
        sid_col, who_col = st.columns(2)
        sid = sid_col.text_input("Setting id", key=forms.key(FORM, "id"), help="e.g. olga-mail")
        who = who_col.text_input("For whom", key=forms.key(FORM, "who"))
        channel = st.text_input(
            "Channel URL",
            key=forms.key(FORM, "channel"),
            type="password",
            help="mailto://HOST:PORT?from=...&to=..., slack://..., json://HOST/path. Leave "
            "empty to keep a stored setting's channel.",
        )
        kinds = st.multiselect("Alerts", KINDS, default=KINDS, key=forms.key(FORM, "kinds"))
        thresholds = st.text_input(
            "Thresholds", key=forms.key(FORM, "thresholds"), help="QUESTION=LEVEL, e.g. q1=60%"
        )
        days_col, questions_col = st.columns(2)
        close_days = days_col.text_input(
            "Close date within (days)", value=str(DEFAULT_CLOSE_DAYS), key=forms.key(FORM, "days")
        )
        questions = questions_col.multiselect(
            "Only these questions (none: all)",
            [q.id for q in state.questions()],
            key=forms.key(FORM, "questions"),
        )
        reason = st.text_input("Reason", key=forms.key(FORM, "reason"))
        submitted = st.form_submit_button("Save setting", key="alert_save", type="primary")
        feedback = st.container()
    if not submitted:
        return
    with forms.reporting(feedback):
        stored = known.get(sid.strip())
        url = channel.strip() or (stored.channel if stored else "")
        if not url:
            raise ForecastError("a new alert setting needs a channel URL")
        sub = Subscription(
            sid.strip(),
            who.strip(),
            url,
            kinds=frozenset(kinds),
            thresholds=tuple(
                Threshold(q, p) for q, p in forms.pairs(thresholds, "threshold", check_share)
            ),
            close_days=forms.days(close_days, "close date within"),
            questions=frozenset(questions) or None,
        )
        saved = state.subscribe(sub, reason=reason.strip())
        forms.flash(md(f"Alert setting {saved.subscription.id} is now version {saved.version}."))
        forms.reset(FORM)
        st.rerun()


def _end(settings: list[Setting]) -> None:
    with st.form(f"{FORM}_end", enter_to_submit=False):
        st.markdown("**End a setting** (its versions stay in the record)")
        sid = st.selectbox("Setting", [s.subscription.id for s in settings])
        reason = st.text_input("Reason", key=forms.key(FORM, "end_reason"))
        submitted = st.form_submit_button("End setting", key="alert_end")
        feedback = st.container()
    if submitted and sid is not None:
        with forms.reporting(feedback):
            state.unsubscribe(sid, reason=reason.strip())
            forms.flash(md(f"Alert setting {sid} ended."))
            st.rerun()


st.title("Alerts")
forms.show_flash()
st.caption(
    "Who hears about what, and where. `forecast alerts`, run from cron, sends each alert once: "
    "thresholds crossed since its last run, close dates near, questions awaiting resolution "
    "or gone stale, the weekly report."
)
current = state.alert_settings()
if current:
    _table(current)
else:
    st.info("No alert setting yet.", icon=":material/notifications_off:")
_form(current)
if current:
    _end(current)
