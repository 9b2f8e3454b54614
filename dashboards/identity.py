"""Who is using the dashboard, and whether they may change anything.

Three settings decide it, and pages ask only :func:`who` and :func:`can_write`:

- **Sign-in** is on when Streamlit's secrets hold an ``[auth]`` section (OpenID Connect,
  ``st.login``). Then a visitor sees nothing but a sign-in button until signed in, and every
  write records the signed-in identity: the e-mail if the provider says it is verified, else
  the subject id with its issuer (never the display name: users choose it themselves, so
  it could claim an editor's identity). The "Analyst" and "Created by" fields show that
  identity and cannot be edited.
- Without sign-in the dashboard is one **local user**: whom a ``Tracker`` records by default
  (``$FORECAST_USER``, else the login name), and the sidebar says so.
- ``FORECAST_DASHBOARD_MODE=viewer`` makes the dashboard **read-only** for everyone: the write
  pages are not offered and every write in ``state`` refuses. ``FORECAST_EDITORS`` (a
  comma-separated list of identities) lets only those write; everyone else is a viewer. A
  list that names nobody (``FORECAST_EDITORS=","``) is refused at start, not read as "no
  restriction".

:func:`decide` holds the rules and reads nothing, so they can be tested without a server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboards.text import md
from forecast.api import default_user
from forecast.domain import ForecastError
from forecast.settings import DASHBOARD_MODE_ENV as MODE_ENV
from forecast.settings import EDITORS_ENV

MODES = ("editor", "viewer")
NO_IDENTITY = (
    "the identity provider gave no verified e-mail and no subject id: sign-in works, but "
    "changes are refused (ask the administrator to request the email or openid scope)"
)


@dataclass(frozen=True)
class Access:
    """What this visitor is: who writes would record, and whether they may write."""

    who: str | None  # the identity every write records; None when nobody is signed in
    sign_in: bool  # sign-in (OpenID Connect) is configured
    writer: bool
    refusal: str = ""  # why this visitor may not write ("" for a writer)


# --------------------------------------------------------------------------- the rules


def _claim(user: Mapping[str, Any], name: str) -> str:
    value = user.get(name)
    return value.strip() if isinstance(value, str) else ""


def _verified(user: Mapping[str, Any]) -> bool:
    # A JSON true in the ID token; some providers (Amazon Cognito) send the string "true".
    flag = user.get("email_verified")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def identify(user: Mapping[str, Any]) -> tuple[str | None, str]:
    """The identity of a signed-in user (``st.user``), and a note when it is not the e-mail.

    The e-mail when the provider marks it verified; else the subject id (``sub``), as
    ``issuer#sub`` when the issuer is known (subject ids are unique per issuer only); else
    None. The ``name`` claim is never used: a user sets it to whatever they like. ``None``
    also when not signed in: Streamlit sets ``is_logged_in`` to ``True`` only after the
    identity provider has vouched for the user.
    """
    if user.get("is_logged_in") is not True:
        return None, ""
    email, sub, issuer = _claim(user, "email"), _claim(user, "sub"), _claim(user, "iss")
    if email and _verified(user):
        return email, ""
    note = f"the e-mail {email} is not verified by the identity provider" if email else ""
    if sub:
        return (f"{issuer}#{sub}" if issuer else sub), note
    return None, note or NO_IDENTITY


def name_of(user: Mapping[str, Any]) -> str | None:
    """The identity every write of this signed-in user records (see :func:`identify`)."""
    return identify(user)[0]


def parse_mode(raw: str | None) -> str:
    """The dashboard mode from ``$FORECAST_DASHBOARD_MODE``; blank means "editor"."""
    mode = (raw or "").strip().lower() or "editor"
    if mode not in MODES:
        # Refuse to start rather than guess: a typo must not leave a viewer site writable.
        raise ForecastError(f"{MODE_ENV} must be one of {', '.join(MODES)}, not {raw!r}")
    return mode


def parse_editors(raw: str | None) -> frozenset[str] | None:
    """The identities in ``$FORECAST_EDITORS`` (case-insensitive); None (no restriction)
    when it is unset or blank, as an empty ``FORECAST_EDITORS=`` line is.

    A list that is written but names nobody (``","``) is refused: whoever wrote it meant to
    restrict writing, and reading it as "no restriction" would let every visitor write.
    """
    if raw is None or not raw.strip():
        return None
    names = frozenset(n.strip().casefold() for n in raw.split(",") if n.strip())
    if not names:
        raise ForecastError(
            f"{EDITORS_ENV}={raw!r} names nobody: list the identities who may write, "
            "comma-separated, or unset it to let everyone write"
        )
    return names


def decide(
    *,
    who: str | None,
    sign_in: bool,
    mode: str,
    editors: frozenset[str] | None,
    note: str = "",
) -> Access:
    """Whether ``who`` may write, and if not, why (the message a refused write shows).

    ``note`` says why a signed-in user has no identity, or why it is not their e-mail.
    """
    if mode == "viewer":
        refusal = f"this dashboard is read-only ({MODE_ENV}=viewer)"
    elif who is None:
        refusal = note or "sign in to make changes"
    elif editors is not None and who.casefold() not in editors:
        refusal = f"{who} is not one of the editors ({EDITORS_ENV}): this view is read-only"
        if note:
            refusal += f" ({note})"
    else:
        refusal = ""
    return Access(who=who, sign_in=sign_in, writer=not refusal, refusal=refusal)


# --------------------------------------------------------------------------- this visitor


def auth_section() -> Mapping[str, Any] | None:
    """The ``[auth]`` section of Streamlit's secrets, or None when sign-in is not configured.

    Streamlit itself decides the same way (``load_if_toml_exists``, then the "auth" key);
    reading it through ``st.secrets`` lets tests set it with ``AppTest.secrets``.
    """
    if not st.secrets.load_if_toml_exists():
        return None
    section = st.secrets.get("auth")
    return section if isinstance(section, Mapping) and section else None


def sign_in_configured() -> bool:
    return auth_section() is not None


def providers() -> list[str | None]:
    """The identity providers to offer: None is the unnamed one of a flat ``[auth]``."""
    section = auth_section() or {}
    named = [
        name
        for name, value in section.items()
        if isinstance(value, Mapping) and "client_id" in value
    ]
    return [None] if "client_id" in section or not named else named


def local_user() -> str:
    """Who the dashboard writes as without sign-in: whom a tracker records by default
    (``forecast.api.default_user``: ``$FORECAST_USER``, else the login name)."""
    return default_user()


def current() -> Access:
    """This visitor's access, from the secrets, ``st.user`` and the environment."""
    sign_in = sign_in_configured()
    who, note = identify(st.user.to_dict()) if sign_in else (local_user(), "")
    return decide(
        who=who,
        sign_in=sign_in,
        mode=parse_mode(os.environ.get(MODE_ENV)),
        editors=parse_editors(os.environ.get(EDITORS_ENV)),
        note=note,
    )


def who() -> str | None:
    """The identity this visitor's writes record (None: nobody is signed in)."""
    return current().who


def can_write() -> bool:
    """Whether this visitor may change anything (pages hide their forms otherwise)."""
    return current().writer


def pinned() -> bool:
    """Whether the analyst of a write is fixed to the signed-in identity (sign-in is on)."""
    return sign_in_configured()


def require_writer() -> str:
    """The identity to record for a write, or a ForecastError saying why it is refused."""
    access = current()
    if not access.writer or access.who is None:
        raise ForecastError(f"not saved: {access.refusal or 'nobody is signed in'}")
    return access.who


# --------------------------------------------------------------------------- what it draws


def gate() -> None:
    """With sign-in configured and nobody signed in: a sign-in button, and nothing else.

    The forecasts, rationales and sources of a team are not for anonymous visitors, so
    there is no anonymous read-only view; a public read-only site is what
    ``FORECAST_DASHBOARD_MODE=viewer`` without sign-in is for.
    """
    # Signed in is enough to read; whether there is an identity to write as is current()'s.
    if not sign_in_configured() or st.user.to_dict().get("is_logged_in") is True:
        return
    st.title("Forecast tracker")
    st.write("Sign in to see the forecasts.")
    for provider in providers():
        st.button(
            "Sign in" if provider is None else f"Sign in with {md(provider)}",
            key=f"sign_in_{provider or 'default'}",
            on_click=st.login,
            args=() if provider is None else (provider,),
            type="primary",
            icon=":material/login:",
        )
    st.stop()


def sidebar(access: Access) -> None:
    """Who is signed in (or that nobody is), whether this is read-only, and sign-out."""
    with st.sidebar:
        st.subheader("Signed in")
        if access.sign_in and access.who is not None:
            st.markdown(f"Signed in as **{md(access.who)}**.")
        elif access.who is not None:
            st.markdown(
                f"Signed in as nobody: running as local user **{md(access.who)}**; "
                "no sign-in is configured."
            )
        elif access.sign_in:
            st.markdown("Signed in, with no identity to record changes under.")
        if not access.writer:
            st.caption(md(f"Read-only: {access.refusal}"))
        if access.sign_in:
            st.button(
                "Sign out",
                key="sign_out",
                on_click=st.logout,
                icon=":material/logout:",
                width="stretch",
            )
