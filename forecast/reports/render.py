"""Render the weekly statistics: Markdown, self-contained HTML, and PDF where WeasyPrint loads.

Templates live in ``templates/``. HTML is autoescaped by jinja2; Markdown has no autoescape,
so every value printed into it passes through :func:`md_escape` unless a formatting filter
already produced safe text. Links are only made for http(s) URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.clock import iso, utc
from forecast.domain import ForecastError

if TYPE_CHECKING:
    import jinja2

    from forecast.reports.weekly import WeeklyStats

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("md", "html", "pdf")
# "$" too: GitHub and Streamlit read $...$ as LaTeX.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!$])")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Written:
    """Files a render wrote, and formats it had to skip (with the reason)."""

    paths: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- escaping


def md_escape(value: Any) -> Any:
    """Text made inert in Markdown: markup characters backslash-escaped, on one line."""
    from markupsafe import Markup

    flat = _WHITESPACE.sub(" ", str(value))
    return Markup(_MD_SPECIAL.sub(r"\\\1", flat))


def _plain(value: Any) -> Any:
    """Text for the plain-text rendering: as it is (marked safe only so nothing escapes it)."""
    from markupsafe import Markup

    return Markup("" if value is None else str(value))


def _md_finalize(value: Any) -> Any:
    from markupsafe import Markup

    if value is None:
        return ""
    if isinstance(value, Markup | int | float):
        return value
    return md_escape(value)


def safe_url(url: str) -> str | None:
    """The URL if it is a plain web address (http or https), else None: no script links."""
    text = (url or "").strip()
    return text if re.match(r"https?://[^\s]+$", text, re.IGNORECASE) else None


# --------------------------------------------------------------------------- formatting


def _filters(escape: Callable[[Any], Any]) -> dict[str, Callable[..., Any]]:
    """Formatting filters; ``escape`` makes user text safe for the output format."""
    from markupsafe import Markup

    def pct(p: float | None) -> Any:
        return Markup("n/a") if p is None else Markup(f"{100 * p:.1f}%")

    def prob(value: Any) -> Any:
        if isinstance(value, dict):
            parts = [escape(name) + Markup(f" {100 * p:.1f}%") for name, p in value.items()]
            return Markup(", ").join(parts)
        return pct(value)

    def pts(change: Any) -> Any:
        if isinstance(change, dict):
            parts = [escape(name) + Markup(f" {100 * p:+.1f}") for name, p in change.items()]
            return Markup(", ").join(parts) + Markup(" pts")
        return Markup("n/a") if change is None else Markup(f"{100 * change:+.1f} pts")

    def num(value: float | None, digits: int = 3) -> Any:
        return Markup("n/a") if value is None else Markup(f"{value:.{digits}f}")

    def day(value: date | datetime | None) -> Any:
        if value is None:
            return Markup("never")
        return Markup((utc(value).date() if isinstance(value, datetime) else value).isoformat())

    def moment(value: datetime) -> Any:
        return Markup(iso(utc(value).replace(microsecond=0)))

    return {"pct": pct, "prob": prob, "pts": pts, "num": num, "day": day, "moment": moment}


def environment(kind: str) -> jinja2.Environment:
    """The jinja2 environment of one output format (``"md"``, ``"html"`` or ``"text"``)."""
    import jinja2
    from markupsafe import escape

    common: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader(TEMPLATES),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if kind == "html":
        env = jinja2.Environment(autoescape=True, **common)
        env.filters.update(_filters(escape))
    elif kind == "text":
        env = jinja2.Environment(autoescape=False, finalize=_plain, **common)
        env.filters.update(_filters(_plain))
    else:
        env = jinja2.Environment(autoescape=False, finalize=_md_finalize, **common)
        env.filters.update(_filters(md_escape))
    env.filters["url"] = safe_url
    return env


# --------------------------------------------------------------------------- rendering


def context(stats: WeeklyStats, images: dict[str, str]) -> dict[str, Any]:
    """What the templates see: the statistics, their summaries, and chart locations."""
    from forecast import track_record

    track = stats.track
    return {
        "stats": stats,
        "track": {
            "scores": track.scores,
            "annulled": track.annulled,
            "unscored": track.unscored,
            "overall": track.overall(),
            "calibration": track.calibration(),
            "murphy": track.murphy(),
            "by_analyst": track.by_analyst(),
            "versus": track.versus(),
            "bases": track.bases(),
            "basis_notes": track_record.BASIS_NOTES,
        },
        "charts": {"movers": None, "calibration": None, **images},
    }


def chart_images(stats: WeeklyStats) -> dict[str, bytes]:
    """PNG charts the report shows: movers, and calibration once anything is scored."""
    from forecast.reports import charts

    images = {}
    if stats.movers:
        images["movers"] = charts.png(charts.movers(stats.movers))
    table = stats.track.calibration()
    if table is not None:
        images["calibration"] = charts.png(charts.calibration(table))
    return images


def markdown(stats: WeeklyStats, images: dict[str, str] | None = None) -> str:
    """The report as Markdown; ``images`` maps chart names to the files beside it."""
    template = environment("md").get_template("weekly.md.j2")
    return template.render(context(stats, images or {}))


def text(stats: WeeklyStats) -> str:
    """The Markdown report's words with nothing escaped, to be shown as plain text only.

    The dashboard shows the report this way: Streamlit's Markdown would still read user
    text as LaTeX (``$...$``), turn web addresses into links and take its own directives,
    whatever the escaping; plain text parses nothing.
    """
    template = environment("text").get_template("weekly.md.j2")
    return template.render(context(stats, {}))


def html(stats: WeeklyStats, images: dict[str, bytes] | None = None) -> str:
    """The report as one self-contained HTML page (charts inlined as base64 PNG)."""
    from forecast.reports import charts

    uris = {name: charts.data_uri(png) for name, png in (images or {}).items()}
    template = environment("html").get_template("weekly.html.j2")
    return template.render(context(stats, uris))


def pdf(page: str) -> bytes:
    """The HTML page printed to PDF with WeasyPrint.

    Raises :class:`ForecastError` saying why when WeasyPrint or its system libraries
    (Pango) cannot be loaded.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ForecastError(f"PDF skipped: WeasyPrint cannot load ({reason})") from None
    return bytes(HTML(string=page).write_pdf())


def write(stats: WeeklyStats, folder: Path, formats: Iterable[str] = ("md", "html")) -> Written:
    """Write the report in each format to ``folder`` as ``weekly-<week>.<format>``."""
    wanted = check_formats(formats)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"weekly-{stats.week}"
    images = chart_images(stats)
    written = Written()
    if "md" in wanted:
        files = {name: f"{stem}-{name}.png" for name in images}
        for name, file in files.items():
            written.paths.append(_save(folder / file, images[name]))
        written.paths.append(_save(folder / f"{stem}.md", markdown(stats, files).encode()))
    page = html(stats, images) if {"html", "pdf"} & wanted else ""
    if "html" in wanted:
        written.paths.append(_save(folder / f"{stem}.html", page.encode()))
    if "pdf" in wanted:
        try:
            written.paths.append(_save(folder / f"{stem}.pdf", pdf(page)))
        except ForecastError as exc:
            written.skipped.append(str(exc))
    return written


def check_formats(formats: Iterable[str]) -> set[str]:
    """The requested formats, or an error naming one that is not md, html or pdf."""
    wanted = {f.strip().lower() for f in formats if f.strip()}
    unknown = sorted(wanted - set(FORMATS))
    if unknown or not wanted:
        raise ForecastError(
            f"format {unknown[0] if unknown else '(none)'!r} is not one of {', '.join(FORMATS)}"
        )
    return wanted


def _save(path: Path, data: bytes) -> Path:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ForecastError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
